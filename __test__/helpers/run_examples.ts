// Runs every @example of the public API (see api_docs.ts) in one process, in a temporary working
// directory (examples write checkpoints and pages), and prints `[{ name, error? }]` as JSON.
// `npx tsx __test__/helpers/run_examples.ts`; docs.test.ts runs it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'

import { undocumented } from './api_docs.js'

const entry = resolve(import.meta.dirname, '..', '..', 'index.ts')
const { examples } = undocumented()
const dir = mkdtempSync(join(tmpdir(), 'seqtorch-run-examples-'))
const results: { name: string; error?: string }[] = []
const log = console.log
process.chdir(dir)
try {
  for (const [i, e] of examples.entries()) {
    const file = join(dir, `example_${i}.mts`)
    writeFileSync(file, e.code.replaceAll("from 'seqtorch'", `from ${JSON.stringify(pathToFileURL(entry).href)}`))
    console.log = () => {}
    try {
      await import(pathToFileURL(file).href)
      results.push({ name: e.name })
    } catch (error) {
      results.push({ name: e.name, error: error instanceof Error ? error.message : String(error) })
    } finally {
      console.log = log
    }
  }
} finally {
  process.chdir(tmpdir())
  rmSync(dir, { recursive: true, force: true })
}
log(JSON.stringify(results))
