// Corrupted checkpoints: valid safetensors files (seqtorch's own and two written by PyTorch)
// mutated by fast-check (bit flips, truncations, header field edits, size-prefix edits,
// appended and zeroed bytes) and loaded, in child processes. Every mutant must load (and then
// work) or be rejected with an Error; none may crash or hang the process. Fixed seed and count,
// printed with the outcome.

import { expect, test } from 'vitest'

import { runBatch } from './fuzz/batches.js'

interface CorruptSummary {
  tried: number
  loaded: number
  rejected: number
  threw: Record<string, number>
  violations: { index: number; mutation: string; problem: string }[]
}

const SEED = Number(process.env['FUZZ_SEED'] ?? 20261127)
const FILES = Number(process.env['CORRUPT_FILES'] ?? 20_000)
const PER_BATCH = 3_000

test(`${FILES} mutated safetensors files: each loads or is rejected cleanly`, () => {
  const totals = { tried: 0, loaded: 0, rejected: 0, threw: {} as Record<string, number> }
  const problems: string[] = []
  let seconds = 0
  for (let b = 0; b * PER_BATCH < FILES; b++) {
    const r = runBatch<CorruptSummary>('corrupt_worker.ts', SEED + b, Math.min(PER_BATCH, FILES - b * PER_BATCH), 180_000)
    seconds += r.seconds
    if (r.crash) problems.push(`seed ${r.seed}: ${r.crash}`)
    const s = r.summary
    if (!s) continue
    totals.tried += s.tried
    totals.loaded += s.loaded
    totals.rejected += s.rejected
    for (const [k, n] of Object.entries(s.threw)) totals.threw[k] = (totals.threw[k] ?? 0) + n
    for (const v of s.violations) problems.push(`seed ${r.seed} mutant ${v.index} ${v.mutation}: ${v.problem}`)
  }
  console.log(
    `corruption: seed ${SEED}, ${totals.tried} mutated files in ${seconds.toFixed(1)} s: ${totals.loaded} loaded and used, ` +
      `${totals.rejected} rejected ${JSON.stringify(totals.threw)}, crashes and hangs ${problems.filter((p) => / in case /.test(p)).length}`,
  )
  expect(problems).toEqual([])
  expect(totals.tried).toBe(FILES)
}, 1_200_000)
