// Splitting data: random subsets, and time-ordered train/test splits.

import { native } from '../native.js'
import { tensor, Tensor } from '../tensor.js'
import * as v from '../validate.js'
import { checkDataset, Subset, type Dataset } from './dataset.js'

/**
 * Random, non-overlapping subsets of the given sizes (or fractions summing to 1).
 * @example
 * ```ts
 * import { data, randn } from 'seqtorch'
 * const ds = new data.TensorDataset(randn(100, 4))
 * const [train, validation] = data.randomSplit(ds, [0.8, 0.2], { generator: 42 })
 * console.log(train.length, validation.length) // 80 20
 * ```
 */
export function randomSplit(dataset: Dataset, lengths: readonly number[], options?: { generator?: number }): Subset[] {
  const d = checkDataset('randomSplit', dataset)
  const o = v.options('randomSplit', options, { generator: v.int() })
  const n = d.length
  let sizes = v.arg('randomSplit', 'lengths', lengths, v.array(v.number({ min: 0 }), { minLength: 1 }))
  if (sizes.every((l) => l <= 1) && Math.abs(sizes.reduce((a, b) => a + b, 0) - 1) < 1e-9 && sizes.some((l) => !Number.isInteger(l))) {
    sizes = sizes.map((f) => Math.floor(n * f))
    // Distribute the remainder round-robin, like PyTorch.
    for (let i = 0; sizes.reduce((a, b) => a + b, 0) < n; i++) sizes[i % sizes.length]! += 1
  }
  if (!sizes.every(Number.isInteger)) throw new RangeError(`randomSplit(): lengths must be counts, or fractions that sum to 1, got [${sizes.join(', ')}]`)
  if (sizes.reduce((a, b) => a + b, 0) !== n) throw new Error('Sum of input lengths does not equal the length of the input dataset!')
  const order = native.randperm(n, o.generator ?? null)
  const out: Subset[] = []
  let offset = 0
  for (const len of sizes) {
    out.push(new Subset(d, order.slice(offset, offset + len)))
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

const TRAIN_TEST_OPTIONS = { testSize: v.number({ gt: 0 }), shuffle: v.bool, seed: v.int() }

/**
 * `[XTrain, XTest, yTrain, yTest]` along dim 0; keeps time order unless `shuffle`.
 * @example
 * ```ts
 * import { data, randn } from 'seqtorch'
 * const [XTrain, XTest, yTrain, yTest] = data.trainTestSplit(randn(100, 20, 1), randn(100, 1), { testSize: 0.2 })
 * console.log(XTrain.shape, XTest.shape, yTrain.shape, yTest.shape) // [80, 20, 1] [20, 20, 1] [80, 1] [20, 1]
 * ```
 */
export function trainTestSplit(x: Tensor, y: Tensor, options?: TrainTestOptions): [Tensor, Tensor, Tensor, Tensor] {
  v.arg('trainTestSplit', 'x', x, v.instance(Tensor, 'a Tensor'))
  v.arg('trainTestSplit', 'y', y, v.instance(Tensor, 'a Tensor'))
  const o = v.options('trainTestSplit', options, TRAIN_TEST_OPTIONS)
  if (x.ndim === 0 || y.ndim === 0) throw new Error('trainTestSplit(): x and y need at least one dimension')
  const n = x.shape[0] as number
  if (y.shape[0] !== n) throw new Error(`Found input variables with inconsistent numbers of samples: [${n}, ${y.shape[0]}]`)
  const t = o.testSize ?? 0.25
  const nTest = t < 1 ? Math.ceil(t * n) : t
  if (!Number.isInteger(nTest) || nTest <= 0 || nTest >= n) {
    throw new RangeError(`test_size=${t} should be either positive and smaller than the number of samples ${n} or a float in the (0, 1) range`)
  }
  const nTrain = n - nTest
  if (!o.shuffle) {
    return [x.narrow(0, 0, nTrain), x.narrow(0, nTrain, nTest), y.narrow(0, 0, nTrain), y.narrow(0, nTrain, nTest)]
  }
  const order = Float64Array.from(native.randperm(n, o.seed ?? null))
  const train = tensor(order.subarray(0, nTrain), { dtype: 'int64' })
  const test = tensor(order.subarray(nTrain), { dtype: 'int64' })
  return [x.indexSelect(0, train), x.indexSelect(0, test), y.indexSelect(0, train), y.indexSelect(0, test)]
}
