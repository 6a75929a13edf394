// Datasets: indexable collections of samples, each sample an array of tensors.

import { stack, Tensor, tensor } from '../tensor.js'

export interface Dataset {
  readonly length: number
  /** Sample `index` as an array of tensors (e.g. `[x, y]`). */
  get(index: number): Tensor[]
  /** Optional fast path: a whole batch gathered at once. */
  getBatch?(indices: readonly number[]): Tensor[]
}

function checkIndex(i: number, n: number): number {
  if (!Number.isInteger(i) || i < -n || i >= n) throw new RangeError(`index ${i} is out of range for a dataset of ${n} samples`)
  return i < 0 ? i + n : i
}

/** Samples are rows of the given tensors (PyTorch's TensorDataset); batches are gathered natively. */
export class TensorDataset implements Dataset {
  readonly tensors: Tensor[]

  constructor(...tensors: Tensor[]) {
    if (tensors.length === 0) throw new Error('TensorDataset needs at least one tensor')
    tensors.forEach((t, i) => {
      if (!(t instanceof Tensor)) throw new TypeError(`TensorDataset: argument ${i} is not a Tensor`)
      if (t.ndim === 0) throw new Error('TensorDataset: tensors must have at least one dimension')
    })
    const n = tensors[0]!.shape[0]
    if (tensors.some((t) => t.shape[0] !== n)) throw new Error('Size mismatch between tensors')
    this.tensors = tensors
  }

  get length(): number {
    return this.tensors[0]!.shape[0] as number
  }

  get(index: number): Tensor[] {
    const i = checkIndex(index, this.length)
    return this.tensors.map((t) => t.select(0, i))
  }

  getBatch(indices: readonly number[]): Tensor[] {
    const idx = tensor(indices.map((i) => checkIndex(i, this.length)), { dtype: 'int64' })
    return this.tensors.map((t) => t.indexSelect(0, idx))
  }
}

/** A view of some samples of another dataset. */
export class Subset implements Dataset {
  constructor(
    readonly dataset: Dataset,
    readonly indices: readonly number[],
  ) {}

  get length(): number {
    return this.indices.length
  }

  get(index: number): Tensor[] {
    return this.dataset.get(this.indices[checkIndex(index, this.length)] as number)
  }

  getBatch(indices: readonly number[]): Tensor[] {
    const mapped = indices.map((i) => this.indices[checkIndex(i, this.length)] as number)
    if (this.dataset.getBatch) return this.dataset.getBatch(mapped)
    const samples = mapped.map((i) => this.dataset.get(i))
    return (samples[0] ?? []).map((_, k) => stack(samples.map((s) => s[k] as Tensor)))
  }
}
