// Runs the `seqtorch` command from source in a child process (stdin closed, stderr a pipe, so
// progress comes out as plain lines).

import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../../', import.meta.url))

export interface CliRun {
  status: number | null
  stdout: string
  stderr: string
}

export function runCli(args: string[]): CliRun {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 120_000,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

export const vega = (name: string): string => fileURLToPath(new URL(`../../node_modules/vega-datasets/data/${name}`, import.meta.url))
