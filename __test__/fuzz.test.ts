// Property-based fuzzing of the whole public API (fast-check): every function and method gets
// generated hostile arguments (wrong types, NaN and infinities, negative, fractional and huge
// sizes, disposed tensors, shapes at integer limits, unknown option names), in child processes.
// Each call must return or throw an Error (TypeError, RangeError or Error) whose message is
// seqtorch's own, and no process may crash or hang. Fixed seed, fixed case count; the counts
// are printed. FUZZ_SEED and FUZZ_CASES override them for longer local runs.

import { expect, test } from 'vitest'

import { runBatch } from './fuzz/batches.js'
import type { Summary } from './fuzz/worker.js'

const SEED = Number(process.env['FUZZ_SEED'] ?? 20261127)
const CASES = Number(process.env['FUZZ_CASES'] ?? 200_000)
const PER_BATCH = 5_000

test(`${CASES} generated calls across the public API: no crash, no hang, only seqtorch's own errors`, () => {
  const totals = { tried: 0, returned: 0, threw: {} as Record<string, number>, targets: new Set<string>() }
  const problems: string[] = []
  let seconds = 0
  for (let b = 0; b * PER_BATCH < CASES; b++) {
    const cases = Math.min(PER_BATCH, CASES - b * PER_BATCH)
    const r = runBatch<Summary>('worker.ts', SEED + b, cases, 180_000)
    seconds += r.seconds
    if (r.crash) problems.push(`seed ${r.seed}: ${r.crash}`)
    const s = r.summary
    if (!s) continue
    totals.tried += s.tried
    totals.returned += s.returned
    for (const [k, n] of Object.entries(s.threw)) totals.threw[k] = (totals.threw[k] ?? 0) + n
    for (const t of Object.keys(s.byTarget)) totals.targets.add(t)
    for (const v of s.violations) problems.push(`seed ${r.seed} case ${v.index} ${v.target}(${v.args}): ${v.problem}`)
  }
  console.log(
    `fuzz: seed ${SEED}, ${totals.tried} calls over ${totals.targets.size} targets in ${seconds.toFixed(1)} s: ` +
      `${totals.returned} returned, thrown ${JSON.stringify(totals.threw)}, crashes and hangs ${problems.filter((p) => / in case /.test(p)).length}, other problems ${problems.filter((p) => !/ in case /.test(p)).length}`,
  )
  expect(problems).toEqual([])
  expect(totals.tried).toBe(CASES)
}, 1_200_000)
