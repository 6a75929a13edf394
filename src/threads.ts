// The size of the native thread pool that parallel kernels use.

import { native } from './native.js'
import * as v from './validate.js'

/**
 * Like `torch.set_num_threads`: how many threads kernels may use. On Intel Xeons inference
 * whose weights outgrow a core's cache or whose products are large enough (a streaming step
 * `stream().step()`, a cell step, the forward of fewer than 16 sequences) runs on the calling
 * thread and up to `n - 1` helper threads, which poll for the next step for 300 µs before they
 * sleep; `setNumThreads(1)` keeps it on the calling thread.
 * @example
 * ```ts
 * import { getNumThreads, setNumThreads } from 'seqtorch'
 * setNumThreads(2)
 * console.log(getNumThreads()) // 2
 * ```
 */
export function setNumThreads(n: number): void {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) {
    throw new RangeError(`setNumThreads(): expected a positive integer, got ${v.describe(n)}`)
  }
  native.setNumThreads(n)
}

/**
 * How many threads kernels may use (`torch.get_num_threads`); by default the machine's cores.
 * @example
 * ```ts
 * import { getNumThreads } from 'seqtorch'
 * console.log(getNumThreads())
 * ```
 */
export function getNumThreads(): number {
  return native.getNumThreads()
}
