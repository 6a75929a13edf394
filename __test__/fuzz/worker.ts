// One fuzz batch, run in its own process by __test__/fuzz.test.ts:
//   node --import tsx __test__/fuzz/worker.ts <seed> <cases> <scratch dir>
// It draws `cases` calls with fast-check from the seed, runs each, and prints a line before
// every call (`>index<TAB>target`, written synchronously) so the parent can name the call
// that killed the process, then a final `=` line with the JSON summary.

import { join } from 'node:path'

import fc from 'fast-check'

import * as st from '../../index.js'
import { buildPool, targets } from './targets.js'
import { resolve } from './values.js'
import { say } from './say.js'

const [seedArg, casesArg, dir] = process.argv.slice(2)
const seed = Number(seedArg)
const cases = Number(casesArg)
if (!Number.isInteger(seed) || !Number.isInteger(cases) || !dir) {
  throw new Error('usage: worker.ts <seed> <cases> <scratch dir>')
}

/** Messages that reveal a failure inside seqtorch rather than a checked mistake. */
const LEAKS = /internal error|Failed to convert|napi|borrowed|Cannot read properties|is not iterable|Maximum call stack|is not a function|Cannot convert/

const LIMIT = 256 * 2 ** 20

export interface Summary {
  tried: number
  returned: number
  threw: Record<string, number>
  byTarget: Record<string, number>
  violations: { index: number; target: string; args: string; problem: string }[]
}


function describeArgs(args: unknown[]): string {
  try {
    return fc.stringify(args).slice(0, 400)
  } catch {
    return '(unprintable)'
  }
}

async function settle(value: unknown): Promise<void> {
  if (!(value instanceof Promise)) return
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('FUZZ-TIMEOUT: the promise did not settle in 20 s')), 20_000)
  })
  try {
    await Promise.race([value, timeout])
  } finally {
    clearTimeout(timer)
  }
}

async function main(): Promise<void> {
  st.setMemoryLimit(LIMIT)
  let pool = buildPool(dir as string)
  await st.save({ w: st.randn(2, 3), i: st.tensor([1, 2], { dtype: 'int64' }) }, join(dir as string, 'good.safetensors'))
  const pick = fc.integer({ min: 0, max: targets.length - 1 }).chain((i) => targets[i]!.args.map((args) => [i, args] as const))
  const drawn = fc.sample(pick, { seed, numRuns: cases })
  const summary: Summary = { tried: 0, returned: 0, threw: {}, byTarget: {}, violations: [] }
  for (const [k, [ti, raw]] of drawn.entries()) {
    // Cases dispose, overwrite and retrain pooled objects: start from a fresh pool now and then.
    if (k > 0 && k % 250 === 0) pool = buildPool(dir as string)
    const t = targets[ti]!
    say(`>${k}\t${t.name}`)
    summary.tried++
    summary.byTarget[t.name] = (summary.byTarget[t.name] ?? 0) + 1
    const violation = (problem: string) => summary.violations.push({ index: k, target: t.name, args: describeArgs(raw), problem })
    try {
      await settle(t.call(resolve(raw, pool) as unknown[]))
      summary.returned++
    } catch (e) {
      if (!(e instanceof Error)) {
        violation(`threw a non-Error: ${String(e)}`)
      } else {
        const kind = e instanceof RangeError ? 'RangeError' : e instanceof TypeError ? 'TypeError' : 'Error'
        summary.threw[kind] = (summary.threw[kind] ?? 0) + 1
        if (process.env['FUZZ_MESSAGES']) say(`#${kind}\t${t.name}\t${e.message.slice(0, 160).replace(/\s+/g, ' ')}`)
        if (e.message.startsWith('FUZZ-TIMEOUT')) violation(e.message)
        else if (LEAKS.test(e.message) && t.name !== 'plot.forecastHtml') violation(`${kind}: ${e.message.slice(0, 300)}`)
      }
    }
    // Process-wide settings a case may have changed go back to the fuzzing defaults.
    if (t.name === 'setMemoryLimit') st.setMemoryLimit(LIMIT)
    if (t.name === 'setNumThreads') st.setNumThreads(2)
    if (!st.isGradEnabled()) violation('grad mode was left disabled')
  }
  // Still a working library after all of it.
  const check = st.randn(3, 3).matmul(st.ones(3, 1)).shape.join('x')
  if (check !== '3x1') summary.violations.push({ index: -1, target: 'health check', args: '', problem: `got ${check}` })
  say(`=${JSON.stringify(summary)}`)
}

process.on('unhandledRejection', (e) => {
  say(`!unhandled rejection: ${String(e)}`)
  process.exit(3)
})

main().then(
  () => process.exit(0),
  (e) => {
    say(`!worker failed: ${(e as Error).stack ?? String(e)}`)
    process.exit(2)
  },
)
