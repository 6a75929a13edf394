// Datasets: indexable collections of samples, each sample an array of tensors.

import { stack, Tensor, tensor } from '../tensor.js'
import * as v from '../validate.js'

export interface Dataset {
  readonly length: number
  /** Sample `index` as an array of tensors (e.g. `[x, y]`). */
  get(index: number): Tensor[]
  /** Optional fast path: a whole batch gathered at once. */
  getBatch?(indices: readonly number[]): Tensor[]
}

/** The largest dataset a loader shuffles (indices are 32-bit). */
const MAX_SAMPLES = 2 ** 32 - 1

/** Checks that `dataset` looks like a Dataset and its length is a usable count. */
export function checkDataset(op: string, dataset: unknown): Dataset {
  const d = dataset as Dataset
  if (dataset === null || typeof dataset !== 'object' || typeof d.get !== 'function') {
    throw new TypeError(`${op}(): dataset must have a length and get(index), got ${v.describe(dataset)}`)
  }
  v.int({ min: 0, max: MAX_SAMPLES })(d.length, `${op}(): dataset.length`)
  if (d.getBatch !== undefined && typeof d.getBatch !== 'function') {
    throw new TypeError(`${op}(): dataset.getBatch must be a function when present`)
  }
  return d
}

function checkIndex(i: unknown, n: number): number {
  if (typeof i !== 'number' || !Number.isInteger(i)) throw new TypeError(`dataset index must be an integer, got ${v.describe(i)}`)
  if (i < -n || i >= n) throw new RangeError(`index ${i} is out of range for a dataset of ${n} samples`)
  return i < 0 ? i + n : i
}

/** int64 row indices as a tensor, built from a Float64Array (no intermediate JS arrays). */
function indexTensor(indices: ArrayLike<number>, n: number): Tensor {
  const out = new Float64Array(indices.length)
  for (let k = 0; k < indices.length; k++) out[k] = checkIndex(indices[k], n)
  return tensor(out, { dtype: 'int64' })
}

/**
 * Samples are rows of the given tensors (PyTorch's TensorDataset); batches are gathered natively.
 * @example
 * ```ts
 * import { data, tensor } from 'seqtorch'
 * const ds = new data.TensorDataset(tensor([[1, 2], [3, 4], [5, 6]]), tensor([0, 1, 0]))
 * const [x, y] = ds.get(1) // tensor([3, 4]), tensor(1)
 * console.log(ds.length, x, y)
 * ```
 */
export class TensorDataset implements Dataset {
  /**
   * The tensors whose rows are the samples; all have the same first dimension.
   */
  readonly tensors: Tensor[]

  constructor(...tensors: Tensor[]) {
    if (tensors.length === 0) throw new Error('TensorDataset needs at least one tensor')
    tensors.forEach((t, i) => {
      if (!(t instanceof Tensor)) throw new TypeError(`TensorDataset: argument ${i} is not a Tensor, got ${v.describe(t)}`)
      if (t.ndim === 0) throw new Error('TensorDataset: tensors must have at least one dimension')
    })
    const n = tensors[0]!.shape[0]
    if (tensors.some((t) => t.shape[0] !== n)) throw new Error('Size mismatch between tensors')
    this.tensors = tensors
  }

  /**
   * The number of samples (the tensors' first dimension).
   */
  get length(): number {
    return this.tensors[0]!.shape[0] as number
  }

  get(index: number): Tensor[] {
    const i = checkIndex(index, this.length)
    return this.tensors.map((t) => t.select(0, i))
  }

  getBatch(indices: readonly number[]): Tensor[] {
    if (!Array.isArray(indices)) throw new TypeError(`TensorDataset.getBatch(): indices must be an array, got ${v.describe(indices)}`)
    const idx = indexTensor(indices, this.length)
    return this.tensors.map((t) => t.indexSelect(0, idx))
  }
}

/**
 * A view of some samples of another dataset (indices as an array or a Uint32Array).
 * @example
 * ```ts
 * import { data, randn } from 'seqtorch'
 * const ds = new data.TensorDataset(randn(10, 3))
 * const firstHalf = new data.Subset(ds, [0, 1, 2, 3, 4])
 * console.log(firstHalf.length) // 5
 * ```
 */
export class Subset implements Dataset {
  /**
   * The dataset the samples come from.
   */
  readonly dataset: Dataset
  /**
   * Which samples of `dataset`, in order.
   */
  readonly indices: readonly number[] | Uint32Array

  constructor(dataset: Dataset, indices: readonly number[] | Uint32Array) {
    this.dataset = checkDataset('Subset', dataset)
    if (!Array.isArray(indices) && !(indices instanceof Uint32Array)) {
      throw new TypeError(`Subset(): indices must be an array of integers, got ${v.describe(indices)}`)
    }
    const n = this.dataset.length
    for (let k = 0; k < indices.length; k++) {
      const i = indices[k]
      if (typeof i !== 'number' || !Number.isInteger(i) || i < 0 || i >= n) {
        throw new RangeError(`Subset(): indices[${k}] = ${v.describe(i)} is not a sample of a dataset of ${n}`)
      }
    }
    this.indices = indices
  }

  /**
   * The number of samples (the number of indices).
   */
  get length(): number {
    return this.indices.length
  }

  get(index: number): Tensor[] {
    return this.dataset.get(this.indices[checkIndex(index, this.length)] as number)
  }

  getBatch(indices: readonly number[]): Tensor[] {
    if (!Array.isArray(indices)) throw new TypeError(`Subset.getBatch(): indices must be an array, got ${v.describe(indices)}`)
    const mapped = Array.from(indices, (i) => this.indices[checkIndex(i, this.length)] as number)
    if (this.dataset.getBatch) return this.dataset.getBatch(mapped)
    const samples = mapped.map((i) => this.dataset.get(i))
    return (samples[0] ?? []).map((_, k) => stack(samples.map((s) => s[k] as Tensor)))
  }
}
