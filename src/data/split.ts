// Splitting data: random subsets, and time-ordered train/test splits.

import { native } from '../native.js'
import { tensor, Tensor } from '../tensor.js'
import { Subset, type Dataset } from './dataset.js'

/** Random, non-overlapping subsets of the given sizes (or fractions summing to 1). */
export function randomSplit(dataset: Dataset, lengths: readonly number[], options: { generator?: number } = {}): Subset[] {
  const n = dataset.length
  let sizes = [...lengths]
  if (sizes.every((l) => l >= 0 && l <= 1) && Math.abs(sizes.reduce((a, b) => a + b, 0) - 1) < 1e-9 && sizes.some((l) => !Number.isInteger(l))) {
    sizes = sizes.map((f) => Math.floor(n * f))
    // Distribute the remainder round-robin, like PyTorch.
    for (let i = 0; sizes.reduce((a, b) => a + b, 0) < n; i++) sizes[i % sizes.length]! += 1
  }
  if (sizes.reduce((a, b) => a + b, 0) !== n) throw new Error('Sum of input lengths does not equal the length of the input dataset!')
  const order = native.randperm(n, options.generator ?? null)
  const out: Subset[] = []
  let offset = 0
  for (const len of sizes) {
    out.push(new Subset(dataset, order.slice(offset, offset + len)))
    offset += len
  }
  return out
}

export interface TrainTestOptions {
  /** Fraction (0, 1) or count of test samples (default 0.25). */
  testSize?: number
  /** Shuffle before splitting (default false: keep time order). */
  shuffle?: boolean
  seed?: number
}

/** `[XTrain, XTest, yTrain, yTest]` along dim 0; keeps time order unless `shuffle`. */
export function trainTestSplit(x: Tensor, y: Tensor, options: TrainTestOptions = {}): [Tensor, Tensor, Tensor, Tensor] {
  const n = x.shape[0] as number
  if (y.shape[0] !== n) throw new Error(`Found input variables with inconsistent numbers of samples: [${n}, ${y.shape[0]}]`)
  const t = options.testSize ?? 0.25
  const nTest = t > 0 && t < 1 ? Math.ceil(t * n) : t
  if (!Number.isInteger(nTest) || nTest <= 0 || nTest >= n) {
    throw new RangeError(`test_size=${t} should be either positive and smaller than the number of samples ${n} or a float in the (0, 1) range`)
  }
  const nTrain = n - nTest
  if (!options.shuffle) {
    return [x.narrow(0, 0, nTrain), x.narrow(0, nTrain, nTest), y.narrow(0, 0, nTrain), y.narrow(0, nTrain, nTest)]
  }
  const order = native.randperm(n, options.seed ?? null)
  const train = tensor(order.slice(0, nTrain), { dtype: 'int64' })
  const test = tensor(order.slice(nTrain), { dtype: 'int64' })
  return [x.indexSelect(0, train), x.indexSelect(0, test), y.indexSelect(0, train), y.indexSelect(0, test)]
}
