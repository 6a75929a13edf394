// The ceiling on a single native allocation. Every buffer whose size a caller controls is
// checked against it before it is allocated, so an impossible request is a RangeError naming
// the op, the shape and the bytes instead of an aborted process.

import { native } from './native.js'
import * as v from './validate.js'

/**
 * Sets the largest single buffer, in bytes, seqtorch will allocate; 0 restores the default
 * (the machine's memory, or its container's limit). `SEQTORCH_MEMORY_LIMIT` (bytes, or with a
 * K/M/G/T suffix) sets the default at start-up.
 * @example
 * ```ts
 * import { setMemoryLimit, zeros } from 'seqtorch'
 * setMemoryLimit(2 ** 30) // 1 GiB per buffer
 * try {
 *   zeros(1e5, 1e5) // 40 GB
 * } catch (e) {
 *   console.log((e as Error).message) // names the op, the shape and the bytes
 * }
 * setMemoryLimit(0) // back to the default
 * ```
 */
export function setMemoryLimit(bytes: number): void {
  native.setMemoryLimit(v.arg('setMemoryLimit', 'bytes', bytes, v.int({ min: 0 })))
}

/**
 * The current per-allocation ceiling in bytes.
 * @example
 * ```ts
 * import { getMemoryLimit } from 'seqtorch'
 * console.log(`${(getMemoryLimit() / 2 ** 30).toFixed(1)} GiB per allocation`)
 * ```
 */
export function getMemoryLimit(): number {
  return native.getMemoryLimit()
}
