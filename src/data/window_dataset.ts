// Sliding windows served lazily: the same samples as `createSequences`, but each batch is
// gathered from the series when asked for, so memory stays the size of the series (the
// materialised windows of a long series are `seqLength` times larger).

import { Tensor, tensor } from '../tensor.js'
import * as v from '../validate.js'
import type { Dataset } from './dataset.js'

export interface WindowOptions {
  /** Steps to predict after each window (default 1). */
  horizon?: number
  /** Steps between window starts (default 1). */
  stride?: number
}

const OPTIONS = { horizon: v.int({ min: 1 }), stride: v.int({ min: 1 }) }

/**
 * Sample `i` is `[x, y]` with x the `seqLength` steps from `i * stride` and y the `horizon`
 * steps after them: for a (T) series x is (seqLength) and y a scalar (or (horizon)); for a
 * (T, F) series x is (seqLength, F) and y (F) (or (horizon, F)). `getBatch` stacks them like
 * `createSequences` does.
 * @example
 * ```ts
 * import { arange, data } from 'seqtorch'
 * const windows = new data.WindowDataset(arange(1000).reshape(-1, 1), 20)
 * const [x, y] = windows.get(0) // x: steps 0..19, shape [20, 1]; y: step 20, shape [1]
 * const loader = new data.DataLoader(windows, { batchSize: 64 })
 * console.log(windows.length, x!.shape, y!.shape, [...loader].length) // 980 [20, 1] [1] 16
 * ```
 */
export class WindowDataset implements Dataset {
  /**
   * The whole series, (T) or (T, F); windows are views of it, gathered per batch.
   */
  readonly series: Tensor
  /**
   * Steps in each input window.
   */
  readonly seqLength: number
  /**
   * Steps each target holds (1: a single next step).
   */
  readonly horizon: number
  /**
   * Steps between the starts of consecutive windows.
   */
  readonly stride: number
  /**
   * The number of windows.
   */
  readonly length: number

  constructor(series: Tensor, seqLength: number, options?: WindowOptions) {
    this.series = v.arg('WindowDataset', 'series', series, v.instance(Tensor, 'a Tensor'))
    if (series.ndim !== 1 && series.ndim !== 2) throw new Error(`WindowDataset(): series must be 1-D (T) or 2-D (T, F), got ${series.ndim}-D`)
    this.seqLength = v.arg('WindowDataset', 'seqLength', seqLength, v.int({ min: 1 }))
    const o = v.options('WindowDataset', options, OPTIONS)
    this.horizon = o.horizon ?? 1
    this.stride = o.stride ?? 1
    const t = series.shape[0] as number
    if (t < this.seqLength + this.horizon) {
      throw new Error(`WindowDataset(): a series of ${t} steps is too short for windows of ${this.seqLength} plus a horizon of ${this.horizon}`)
    }
    this.length = Math.floor((t - this.seqLength - this.horizon) / this.stride) + 1
  }

  private checkIndex(i: unknown): number {
    if (typeof i !== 'number' || !Number.isInteger(i)) throw new TypeError(`WindowDataset: index must be an integer, got ${v.describe(i)}`)
    if (i < -this.length || i >= this.length) throw new RangeError(`index ${i} is out of range for a dataset of ${this.length} samples`)
    return i < 0 ? i + this.length : i
  }

  get(index: number): Tensor[] {
    const [x, y] = this.getBatch([index])
    return [x!.squeeze(0), y!.squeeze(0)]
  }

  getBatch(indices: readonly number[]): Tensor[] {
    if (!Array.isArray(indices)) throw new TypeError(`WindowDataset.getBatch(): indices must be an array, got ${v.describe(indices)}`)
    const b = indices.length
    const [l, h] = [this.seqLength, this.horizon]
    const xi = new Float64Array(b * l)
    const yi = new Float64Array(b * h)
    indices.forEach((i, k) => {
      const start = this.checkIndex(i) * this.stride
      for (let j = 0; j < l; j++) xi[k * l + j] = start + j
      for (let j = 0; j < h; j++) yi[k * h + j] = start + l + j
    })
    const feat = this.series.shape.slice(1)
    const x = this.series.indexSelect(0, tensor(xi, { dtype: 'int64' })).reshape([b, l, ...feat])
    const ySteps = this.series.indexSelect(0, tensor(yi, { dtype: 'int64' }))
    const y = h === 1 ? ySteps.reshape([b, ...feat]) : ySteps.reshape([b, h, ...feat])
    return [x, y]
  }
}
