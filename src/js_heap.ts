// Bounds for arrays built on the JavaScript heap. V8 aborts the whole process when its heap
// is exhausted (no exception can be caught), so a plain array whose length a caller controls
// is checked against the heap's size before it is built.

import { getHeapStatistics } from 'node:v8'

/** V8's own cap on a plain array's backing store (FixedArray::kMaxLength on 64-bit). */
const V8_MAX_ARRAY = 2 ** 27

/** Throws a RangeError unless `count` numbers fit comfortably in a plain JS array. */
export function checkJsArray(op: string, what: string, count: number): void {
  const heap = getHeapStatistics().heap_size_limit
  // 8 bytes per element, and room for the copies that building an array makes.
  const fits = count <= V8_MAX_ARRAY && count * 8 * 4 <= heap
  if (!fits) {
    throw new RangeError(
      `${op}(): ${what} of ${count} numbers is too large for a JavaScript array (at most ${Math.min(V8_MAX_ARRAY, Math.floor(heap / 32))} with this heap of ${(heap / 1e9).toFixed(1)} GB)`,
    )
  }
}
