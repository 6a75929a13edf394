// Sliding windows over a time series (the seed notebook's create_sequences), computed natively.

import { native } from '../native.js'
import { tensor, Tensor } from '../tensor.js'

export interface SequenceOptions {
  /** Steps to predict after each window (default 1). */
  horizon?: number
  /** Steps between window starts (default 1). */
  stride?: number
}

/**
 * `[X, y]` from a (T) series: X (N, seqLength), y (N) — or (N, horizon);
 * from a (T, F) series: X (N, seqLength, F), y (N, F) — or (N, horizon, F).
 */
export function createSequences(series: Tensor | readonly number[], seqLength: number, options: SequenceOptions = {}): [Tensor, Tensor] {
  const s = series instanceof Tensor ? series : tensor(series as number[])
  const [x, y] = native.createSequences(s._h, seqLength, options.horizon ?? 1, options.stride ?? 1)
  return [new Tensor(x!), new Tensor(y!)]
}
