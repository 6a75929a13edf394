// DataLoader: batches of a dataset, shuffled each epoch if asked, iterable with for..of.

import { native } from '../native.js'
import { stack, Tensor } from '../tensor.js'
import * as v from '../validate.js'
import { checkDataset, type Dataset } from './dataset.js'

export interface DataLoaderOptions {
  batchSize?: number
  shuffle?: boolean
  /** Drop the last batch if it is smaller than batchSize. */
  dropLast?: boolean
  /** Seed of the loader's own shuffling stream (epochs still differ); otherwise the global generator. */
  generator?: number
}

/** PyTorch's message for a bad batch size. */
const batchSize: v.Check<number> = (value, where) => {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    const fail = typeof value === 'number' ? RangeError : TypeError
    throw new fail(`batch_size should be a positive integer value, but got batch_size=${typeof value === 'number' ? value : v.describe(value)} (${where})`)
  }
  return value
}

const OPTIONS = {
  batchSize,
  shuffle: v.bool,
  dropLast: v.bool,
  generator: v.int(),
}

/**
 * Iterates over a dataset in batches (PyTorch's `DataLoader`): each batch is an array with one
 * tensor per dataset field, stacked along a new first dimension and gathered natively. With
 * `shuffle`, every epoch draws a fresh order (reproducible with `generator` or `manualSeed`).
 * @example
 * ```ts
 * import { data, randn } from 'seqtorch'
 * const loader = new data.DataLoader(new data.TensorDataset(randn(100, 20, 1), randn(100, 1)), { batchSize: 32, shuffle: true })
 * for (const [x, y] of loader) console.log(x!.shape, y!.shape) // [32, 20, 1] [32, 1], ..., [4, 20, 1] [4, 1]
 * ```
 */
export class DataLoader implements Iterable<Tensor[]> {
  /**
   * The dataset batches are drawn from.
   */
  readonly dataset: Dataset
  /**
   * Samples per batch (default 1).
   */
  readonly batchSize: number
  /**
   * Whether each epoch visits the samples in a new random order (default false).
   */
  readonly shuffle: boolean
  /**
   * Whether a last batch smaller than `batchSize` is skipped (default false).
   */
  readonly dropLast: boolean
  /**
   * The seed of the shuffling order, or null to draw from the global generator.
   */
  readonly generator: number | null
  private epoch = 0

  constructor(dataset: Dataset, options?: DataLoaderOptions) {
    this.dataset = checkDataset('DataLoader', dataset)
    const o = v.options('DataLoader', options, OPTIONS)
    this.batchSize = o.batchSize ?? 1
    this.shuffle = o.shuffle ?? false
    this.dropLast = o.dropLast ?? false
    this.generator = o.generator ?? null
  }

  /** Number of batches per epoch. */
  get length(): number {
    const n = checkDataset('DataLoader', this.dataset).length
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize)
  }

  *[Symbol.iterator](): Iterator<Tensor[]> {
    const n = checkDataset('DataLoader', this.dataset).length
    // A shuffled order is one 4-byte index per sample (native memory, not the JS heap); the
    // sequential order is never materialised.
    const order = this.shuffle ? native.randperm(n, this.generator === null ? null : this.generator + this.epoch) : null
    this.epoch++
    for (let start = 0; start < n; start += this.batchSize) {
      const end = Math.min(n, start + this.batchSize)
      if (end - start < this.batchSize && this.dropLast) return
      const idx = order ? Array.from(order.subarray(start, end)) : Array.from({ length: end - start }, (_, i) => start + i)
      yield this.collate(idx)
    }
  }

  private collate(idx: number[]): Tensor[] {
    if (this.dataset.getBatch) return this.dataset.getBatch(idx)
    const samples = idx.map((i) => this.dataset.get(i))
    samples.forEach((s, k) => {
      if (!Array.isArray(s) || !s.every((t) => t instanceof Tensor)) {
        throw new TypeError(`DataLoader: dataset.get(${idx[k]}) must return an array of Tensors, got ${v.describe(s)}`)
      }
    })
    return (samples[0] ?? []).map((_, k) => stack(samples.map((s) => s[k] as Tensor)))
  }
}
