// Runs a snippet of seqtorch code in its own Node process, for calls that used to crash or
// hang the process: the test sees the exit status, the signal and the output instead of dying.

import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../../', import.meta.url))

export interface IsolatedRun {
  status: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  timedOut: boolean
}

/**
 * `code` is the body of an ES module with `st` bound to the seqtorch package (from source);
 * what it prints comes back in `stdout`.
 */
export function runIsolated(code: string, options: { timeoutMs?: number; nodeArgs?: string[]; env?: Record<string, string> } = {}): IsolatedRun {
  const module = `import * as st from ${JSON.stringify(`${root}index.ts`)}\n${code}\n`
  const r = spawnSync(process.execPath, [...(options.nodeArgs ?? []), '--import', 'tsx', '--input-type=module', '-e', module], {
    cwd: root,
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 60_000,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
  })
  return {
    status: r.status,
    signal: r.signal,
    stdout: r.stdout,
    stderr: r.stderr,
    timedOut: r.error !== undefined && (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT',
  }
}
