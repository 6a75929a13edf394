// Writes a run's files all-or-nothing: into a temporary folder beside the target, moved into
// place only when every file is written.

import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'

import { CliError } from './errors.js'

export class OutputDir {
  readonly target: string
  readonly staging: string

  constructor(target: string) {
    this.target = resolve(target)
    try {
      if (statSync(this.target).isFile()) throw new CliError(`--out '${target}' is a file, not a folder`)
    } catch (e) {
      if (e instanceof CliError) throw e
    }
    try {
      mkdirSync(dirname(this.target), { recursive: true })
      this.staging = mkdtempSync(join(dirname(this.target), `.${basename(this.target)}.partial-`))
    } catch (e) {
      throw new CliError(`cannot create --out '${target}': ${(e as Error).message}`)
    }
  }

  path(name: string): string {
    return join(this.staging, name)
  }

  /** Moves the finished files into the target folder (replacing files of the same name). */
  commit(): string[] {
    mkdirSync(this.target, { recursive: true })
    const names = readdirSync(this.staging)
    for (const n of names) renameSync(join(this.staging, n), join(this.target, n))
    rmSync(this.staging, { recursive: true, force: true })
    return names.map((n) => join(this.target, n))
  }

  discard(): void {
    rmSync(this.staging, { recursive: true, force: true })
  }
}
