// The process-wide random generator behind randn, rand, randint, init and shuffling.

import { native } from './native.js'
import * as v from './validate.js'

/**
 * Seeds every random function so a run repeats exactly.
 * @example
 * ```ts
 * import { manualSeed, randn } from 'seqtorch'
 * manualSeed(42)
 * const a = randn(3)
 * manualSeed(42)
 * console.log(randn(3).toArray(), a.toArray()) // the same three numbers
 * ```
 */
export function manualSeed(seed: number | bigint): void {
  const n = typeof seed === 'bigint' ? Number(BigInt.asIntN(53, seed)) : seed
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) {
    throw new TypeError(`manualSeed(): seed must be a safe integer, got ${typeof seed === 'bigint' ? `${seed}n` : v.describe(seed)}`)
  }
  native.manualSeed(n)
}
