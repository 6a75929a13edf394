// Writes a run's files all-or-nothing: into a temporary folder inside the target (so the final
// renames stay on one filesystem, even when the target is a mount point), moved into place only
// when every file is written. Folders it had to create are removed again if the run fails.

import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmdirSync, rmSync, statSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'

import { CliError } from './errors.js'

/**
 * `mkdir -p`, one level at a time: Node's recursive mkdirSync can spin forever on paths it
 * cannot create (seen under /proc). Returns the folders it created, outermost first.
 */
function makeDirs(target: string): string[] {
  const missing: string[] = []
  let dir = target
  // Bounded by the path's depth: dirname stops changing at the root.
  for (;;) {
    try {
      if (!statSync(dir).isDirectory()) throw new CliError(`--out '${dir}' is a file, not a folder`)
      break
    } catch (e) {
      if (e instanceof CliError) throw e
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
    }
    missing.push(dir)
    const parent = dirname(dir)
    if (parent === dir) break
    dir = parent
  }
  const created: string[] = []
  for (const d of missing.reverse()) {
    mkdirSync(d)
    created.push(d)
  }
  return created
}

export class OutputDir {
  readonly target: string
  readonly staging: string
  private readonly created: string[]

  constructor(target: string) {
    this.target = resolve(target)
    try {
      this.created = makeDirs(this.target)
    } catch (e) {
      if (e instanceof CliError) throw e
      throw new CliError(`cannot create --out '${target}': ${(e as Error).message}`)
    }
    try {
      this.staging = mkdtempSync(join(this.target, '.partial-'))
    } catch (e) {
      this.removeCreated()
      throw new CliError(`cannot write into --out '${target}': ${(e as Error).message}`)
    }
  }

  path(name: string): string {
    return join(this.staging, name)
  }

  /** Moves the finished files into the target folder (replacing files of the same name). */
  commit(): string[] {
    const names = readdirSync(this.staging)
    for (const n of names) renameSync(join(this.staging, n), join(this.target, n))
    rmSync(this.staging, { recursive: true, force: true })
    return names.map((n) => join(this.target, n))
  }

  discard(): void {
    rmSync(this.staging, { recursive: true, force: true })
    this.removeCreated()
  }

  /** Removes the folders this run created, innermost first, if they are still empty. */
  private removeCreated(): void {
    for (const d of [...this.created].reverse()) {
      try {
        rmdirSync(d)
      } catch {
        return
      }
    }
  }
}
