// The size of the native thread pool that parallel kernels use.

import { native } from './native.js'
import * as v from './validate.js'

/** Like `torch.set_num_threads`: how many threads kernels may use. */
export function setNumThreads(n: number): void {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) {
    throw new RangeError(`setNumThreads(): expected a positive integer, got ${v.describe(n)}`)
  }
  native.setNumThreads(n)
}

export function getNumThreads(): number {
  return native.getNumThreads()
}
