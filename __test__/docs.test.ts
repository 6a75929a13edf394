// The API reference is generated from the sources (`npm run docs`), so the sources must carry it:
// every exported class and function has a summary and an @example, every public member of an
// exported class a summary, and every example type-checks as a file of its own (strict) against
// the sources and runs without throwing.
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'

import { describe, expect, it } from 'vitest'

import { exampleErrors, undocumented } from './helpers/api_docs.js'

describe('API reference', () => {
  it('documents every public class, function and member, with an example per class and function', () => {
    const { gaps, counted } = undocumented()
    expect(counted.classes).toBeGreaterThan(35)
    expect(counted.functions).toBeGreaterThan(40)
    expect(counted.members).toBeGreaterThan(200)
    expect(gaps.map((g) => `${g.name}: ${g.missing}`)).toEqual([])
  }, 60_000)

  it('has examples that type-check against the sources', () => {
    const { examples } = undocumented()
    expect(examples.length).toBeGreaterThan(80)
    expect(exampleErrors(examples)).toEqual([])
  }, 120_000)

  it('has examples that run', () => {
    const tsx = join(import.meta.dirname, '..', 'node_modules', '.bin', 'tsx')
    const out = execFileSync(tsx, [join(import.meta.dirname, 'helpers', 'run_examples.ts')], { encoding: 'utf8', timeout: 120_000 })
    const results = JSON.parse(out.trim().split('\n').at(-1)!) as { name: string; error?: string }[]
    expect(results.length).toBeGreaterThan(80)
    expect(results.filter((r) => r.error).map((r) => `${r.name}: ${r.error}`)).toEqual([])
  }, 150_000)
})
