// Runs fuzz workers in child processes and gathers their summaries. A worker that dies (a
// signal, an abort, an exit without its summary) or runs past its time is reported with the
// case it was running, taken from the progress lines it writes before each call.

import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../../', import.meta.url))

export interface BatchResult<S> {
  seed: number
  summary: S | null
  /** Why the process ended badly, with the last case it started. */
  crash: string | null
  seconds: number
}

export function runBatch<S>(worker: string, seed: number, cases: number, timeoutMs: number): BatchResult<S> {
  const dir = mkdtempSync(join(tmpdir(), 'seqtorch-fuzz-'))
  const started = performance.now()
  try {
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, '__test__', 'fuzz', worker), String(seed), String(cases), dir], {
      cwd: root,
      encoding: 'utf8',
      timeout: timeoutMs,
      maxBuffer: 256 * 2 ** 20,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const lines = r.stdout.split('\n')
    const last = lines.filter((l) => l.startsWith('>')).pop()?.slice(1) ?? '(before the first case)'
    const done = lines.find((l) => l.startsWith('='))
    const failure = lines.find((l) => l.startsWith('!'))
    let crash: string | null = null
    if (r.error && (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT') crash = `timed out after ${timeoutMs} ms in case ${last}`
    else if (r.signal) crash = `killed by ${r.signal} in case ${last}: ${r.stderr.slice(-600)}`
    else if (r.status !== 0 || !done) crash = `exit status ${r.status} in case ${last}: ${failure ?? r.stderr.slice(-600)}`
    return { seed, summary: done ? (JSON.parse(done.slice(1)) as S) : null, crash, seconds: (performance.now() - started) / 1000 }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
