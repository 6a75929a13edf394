import { describe, expect, test } from 'vitest'

import { arange, data, manualSeed, tensor, Tensor } from '../index.js'

describe('createSequences (seed Q7 and Q9)', () => {
  test('Q7: windows of 5 over ten prices', () => {
    const prices = [100, 102, 105, 103, 108, 110, 107, 112, 115, 113]
    const [X, y] = data.createSequences(prices, 5)
    expect(X.shape).toEqual([5, 5])
    expect(y.shape).toEqual([5])
    expect((X.toArray() as number[][])[0]).toEqual([100, 102, 105, 103, 108])
    expect(y.toArray()).toEqual([110, 107, 112, 115, 113])
  })

  test('(T, F) series, horizon and stride', () => {
    const series = arange(20, { dtype: 'float32' }).reshape(10, 2)
    const [X, y] = data.createSequences(series, 3)
    expect(X.shape).toEqual([7, 3, 2])
    expect(y.shape).toEqual([7, 2])
    expect((y.toArray() as number[][])[0]).toEqual([6, 7])
    const [X2, y2] = data.createSequences(arange(10, { dtype: 'float32' }), 3, { horizon: 2, stride: 2 })
    expect(X2.toArray()).toEqual([[0, 1, 2], [2, 3, 4], [4, 5, 6]])
    expect(y2.toArray()).toEqual([[3, 4], [5, 6], [7, 8]])
    const [, y3] = data.createSequences(series, 3, { horizon: 2 })
    expect(y3.shape).toEqual([6, 2, 2])
    expect(() => data.createSequences([1, 2, 3], 3)).toThrow('too short')
    expect(() => data.createSequences([1, 2, 3], 0)).toThrow(RangeError)
  })
})

describe('datasets and loaders', () => {
  const X = arange(10, { dtype: 'float32' }).reshape(10, 1)
  const y = arange(10, { dtype: 'float32' }).mul(2)
  const ds = new data.TensorDataset(X, y)

  test('TensorDataset indexing and size checks', () => {
    expect(ds.length).toBe(10)
    const [x3, y3] = ds.get(3)
    expect(x3!.toArray()).toEqual([3])
    expect(y3!.item()).toBe(6)
    expect(() => new data.TensorDataset(X, arange(3))).toThrow('Size mismatch between tensors')
  })

  test('batches in order, dropLast, length', () => {
    const loader = new data.DataLoader(ds, { batchSize: 4 })
    const batches = [...loader]
    expect(loader.length).toBe(3)
    expect(batches.map(([b]) => b!.shape[0])).toEqual([4, 4, 2])
    expect(batches[0]![1]!.toArray()).toEqual([0, 2, 4, 6])
    expect([...new data.DataLoader(ds, { batchSize: 4, dropLast: true })]).toHaveLength(2)
  })

  test('shuffle covers every sample once per epoch, repeats with a seed, differs across epochs', () => {
    const seen = (loader: data.DataLoader) => [...loader].flatMap(([b]) => Array.from(b!.data()))
    const a = new data.DataLoader(ds, { batchSize: 3, shuffle: true, generator: 42 })
    const epoch1 = seen(a)
    const epoch2 = seen(a)
    expect([...epoch1].sort((p, q) => p - q)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    expect(epoch2).not.toEqual(epoch1)
    expect(seen(new data.DataLoader(ds, { batchSize: 3, shuffle: true, generator: 42 }))).toEqual(epoch1)
    manualSeed(1)
    const g1 = seen(new data.DataLoader(ds, { batchSize: 3, shuffle: true }))
    manualSeed(1)
    expect(seen(new data.DataLoader(ds, { batchSize: 3, shuffle: true }))).toEqual(g1)
    expect(() => new data.DataLoader(ds, { batchSize: 0 })).toThrow('batch_size should be a positive integer')
  })

  test('randomSplit and trainTestSplit', () => {
    const [train, test] = data.randomSplit(ds, [0.8, 0.2], { generator: 1 })
    expect(train!.length).toBe(8)
    expect(test!.length).toBe(2)
    const all = [...train!.indices, ...test!.indices].sort((a, b) => a - b)
    expect(all).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    const [xb] = [...new data.DataLoader(test!, { batchSize: 2 })][0]!
    expect(xb!.shape).toEqual([2, 1])
    expect(() => data.randomSplit(ds, [5, 6])).toThrow('Sum of input lengths')

    const [xTr, xTe, yTr, yTe] = data.trainTestSplit(X, y, { testSize: 0.2 })
    expect(xTr.shape).toEqual([8, 1])
    expect(xTe.toArray()).toEqual([[8], [9]])
    expect(yTr.shape).toEqual([8])
    expect(yTe.toArray()).toEqual([16, 18])
    const shuffled = data.trainTestSplit(X, y, { testSize: 3, shuffle: true, seed: 5 })
    expect(shuffled[1].shape).toEqual([3, 1])
    // Pairs stay aligned after shuffling.
    expect(shuffled[3].toArray()).toEqual((shuffled[1].mul(2).squeeze(1) as Tensor).toArray())
  })

  test('generic datasets are stacked', () => {
    const custom: data.Dataset = { length: 3, get: (i) => [tensor([i, i]), tensor(i)] }
    const [b] = [...new data.DataLoader(custom, { batchSize: 3 })]
    expect(b![0]!.toArray()).toEqual([[0, 0], [1, 1], [2, 2]])
    expect(b![1]!.toArray()).toEqual([0, 1, 2])
  })
})
