// The process-wide random generator behind randn, rand, randint, init and shuffling.

import { native } from './native.js'
import * as v from './validate.js'

/** Seeds every random function so a run repeats exactly. */
export function manualSeed(seed: number | bigint): void {
  const n = typeof seed === 'bigint' ? Number(BigInt.asIntN(53, seed)) : seed
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) {
    throw new TypeError(`manualSeed(): seed must be a safe integer, got ${typeof seed === 'bigint' ? `${seed}n` : v.describe(seed)}`)
  }
  native.manualSeed(n)
}
