// DataLoader: batches of a dataset, shuffled each epoch if asked, iterable with for..of.

import { native } from '../native.js'
import { stack, Tensor } from '../tensor.js'
import type { Dataset } from './dataset.js'

export interface DataLoaderOptions {
  batchSize?: number
  shuffle?: boolean
  /** Drop the last batch if it is smaller than batchSize. */
  dropLast?: boolean
  /** Seed of the loader's own shuffling stream (epochs still differ); otherwise the global generator. */
  generator?: number
}

export class DataLoader implements Iterable<Tensor[]> {
  readonly dataset: Dataset
  readonly batchSize: number
  readonly shuffle: boolean
  readonly dropLast: boolean
  readonly generator: number | null
  private epoch = 0

  constructor(dataset: Dataset, options: DataLoaderOptions = {}) {
    if (!dataset || typeof dataset.get !== 'function' || typeof dataset.length !== 'number') {
      throw new TypeError('DataLoader(): dataset must have a length and get(index)')
    }
    this.dataset = dataset
    this.batchSize = options.batchSize ?? 1
    if (!Number.isInteger(this.batchSize) || this.batchSize <= 0) {
      throw new RangeError(`batch_size should be a positive integer value, but got batch_size=${String(options.batchSize)}`)
    }
    this.shuffle = options.shuffle ?? false
    this.dropLast = options.dropLast ?? false
    this.generator = options.generator ?? null
    if (this.generator !== null && !Number.isSafeInteger(this.generator)) throw new TypeError('generator must be an integer seed')
  }

  /** Number of batches per epoch. */
  get length(): number {
    const n = this.dataset.length
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize)
  }

  *[Symbol.iterator](): Iterator<Tensor[]> {
    const n = this.dataset.length
    const order = this.shuffle
      ? native.randperm(n, this.generator === null ? null : this.generator + this.epoch)
      : Array.from({ length: n }, (_, i) => i)
    this.epoch++
    for (let start = 0; start < n; start += this.batchSize) {
      const idx = order.slice(start, start + this.batchSize)
      if (idx.length < this.batchSize && this.dropLast) return
      yield this.collate(idx)
    }
  }

  private collate(idx: number[]): Tensor[] {
    if (this.dataset.getBatch) return this.dataset.getBatch(idx)
    const samples = idx.map((i) => this.dataset.get(i))
    return (samples[0] ?? []).map((_, k) => stack(samples.map((s) => s[k] as Tensor)))
  }
}
