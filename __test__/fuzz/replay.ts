// Prints (and runs) one case of a fuzz batch, to investigate a failure the suite reported:
//   node --import tsx __test__/fuzz/replay.ts <seed> <index> [--run]
// The seed is the batch's (printed in the failure), the index the case number.

import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import fc from 'fast-check'

import { buildPool, targets } from './targets.js'
import { resolve } from './values.js'

const [seed, index] = process.argv.slice(2, 4).map(Number)
if (!Number.isInteger(seed) || !Number.isInteger(index)) throw new Error('usage: replay.ts <seed> <index> [--run]')
const pick = fc.integer({ min: 0, max: targets.length - 1 }).chain((i) => targets[i]!.args.map((args) => [i, args] as const))
const [ti, args] = fc.sample(pick, { seed, numRuns: (index as number) + 1 })[index as number]!
const t = targets[ti]!
console.log(`${t.name} ${fc.stringify(args)}`)
if (process.argv.includes('--run')) {
  const pool = buildPool(mkdtempSync(join(tmpdir(), 'seqtorch-replay-')))
  const started = performance.now()
  try {
    console.log('returned', await t.call(resolve(args, pool) as unknown[]))
  } catch (e) {
    console.log('threw', e)
  }
  console.log(`${(performance.now() - started).toFixed(0)} ms`)
}
