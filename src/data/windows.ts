// Sliding windows over a time series (the seed notebook's create_sequences), computed natively.

import { native } from '../native.js'
import { tensor, Tensor } from '../tensor.js'
import * as v from '../validate.js'

export interface SequenceOptions {
  /** Steps to predict after each window (default 1). */
  horizon?: number
  /** Steps between window starts (default 1). */
  stride?: number
}

const OPTIONS = { horizon: v.int({ min: 1 }), stride: v.int({ min: 1 }) }

/**
 * `[X, y]` from a (T) series: X (N, seqLength), y (N) — or (N, horizon);
 * from a (T, F) series: X (N, seqLength, F), y (N, F) — or (N, horizon, F).
 * @example
 * ```ts
 * import { data, tensor } from 'seqtorch'
 * const [X, y] = data.createSequences(tensor([1, 2, 3, 4, 5]), 3)
 * console.log(X.toArray(), y.toArray()) // [[1, 2, 3], [2, 3, 4]] [4, 5]
 * ```
 */
export function createSequences(series: Tensor | readonly number[], seqLength: number, options?: SequenceOptions): [Tensor, Tensor] {
  if (!(series instanceof Tensor) && !Array.isArray(series)) {
    throw new TypeError(`createSequences(): series must be a Tensor or an array of numbers, got ${v.describe(series)}`)
  }
  const length = v.arg('createSequences', 'seqLength', seqLength, v.int({ min: 1 }))
  const o = v.options('createSequences', options, OPTIONS)
  const s = series instanceof Tensor ? series : tensor(series as number[])
  const [x, y] = native.createSequences(s._h, length, o.horizon ?? 1, o.stride ?? 1)
  return [new Tensor(x!), new Tensor(y!)]
}
