import { inspect } from 'node:util'

import { describe, expect, test } from 'vitest'

import { arange, cat, full, linspace, manualSeed, ones, rand, randint, randn, stack, tensor, Tensor, zeros } from '../index.js'

function close(actual: unknown, expected: unknown, tol = 1e-5): void {
  if (typeof expected === 'number') {
    expect(typeof actual).toBe('number')
    expect(Math.abs((actual as number) - expected)).toBeLessThanOrEqual(tol + tol * Math.abs(expected))
    return
  }
  expect(Array.isArray(actual)).toBe(true)
  const a = actual as unknown[]
  const e = expected as unknown[]
  expect(a.length).toBe(e.length)
  a.forEach((v, i) => close(v, e[i], tol))
}

describe('creation', () => {
  test('tensor() from nested arrays, flat data with shape, typed arrays', () => {
    const t = tensor([[1, 2, 3], [4, 5, 6]])
    expect(t.shape).toEqual([2, 3])
    expect(t.dtype).toBe('float32')
    expect(t.ndim).toBe(2)
    expect(t.numel()).toBe(6)
    expect(t.toArray()).toEqual([[1, 2, 3], [4, 5, 6]])
    expect(tensor([1, 2, 3, 4, 5, 6], { shape: [3, 2] }).toArray()).toEqual([[1, 2], [3, 4], [5, 6]])
    expect(tensor(new Float32Array([1.5, 2.5])).toArray()).toEqual([1.5, 2.5])
    const ints = tensor(new Int32Array([3, -1]))
    expect(ints.dtype).toBe('int64')
    expect(ints.toArray()).toEqual([3, -1])
    expect(tensor(new BigInt64Array([7n, 8n])).toArray()).toEqual([7, 8])
    expect(tensor([1, 2], { dtype: 'int64' }).dtype).toBe('int64')
    expect(tensor(3.5).shape).toEqual([])
    expect(tensor(3.5).item()).toBe(3.5)
    expect(tensor([]).shape).toEqual([0])
    expect(tensor([[], []]).shape).toEqual([2, 0])
  })

  test('zeros ones full accept sizes as arguments or one array', () => {
    expect(zeros(2, 3).shape).toEqual([2, 3])
    expect(zeros([2, 3]).toArray()).toEqual([[0, 0, 0], [0, 0, 0]])
    expect(ones([2], { dtype: 'int64' }).toArray()).toEqual([1, 1])
    expect(full([2, 2], 7).toArray()).toEqual([[7, 7], [7, 7]])
    expect(zeros(2, { requiresGrad: true }).requiresGrad).toBe(true)
  })

  test('arange and linspace follow PyTorch', () => {
    const a = arange(5)
    expect(a.dtype).toBe('int64')
    expect(a.toArray()).toEqual([0, 1, 2, 3, 4])
    expect(arange(1, 7, 2).toArray()).toEqual([1, 3, 5])
    const f = arange(0, 1, 0.25)
    expect(f.dtype).toBe('float32')
    expect(f.toArray()).toEqual([0, 0.25, 0.5, 0.75])
    expect(arange(5, 0, -2).toArray()).toEqual([5, 3, 1])
    close(linspace(0, 1, 5).toArray(), [0, 0.25, 0.5, 0.75, 1])
    expect(linspace(0, 20 * Math.PI, 500).shape).toEqual([500])
    close((linspace(0, 20 * Math.PI, 500).toArray() as number[])[499], 20 * Math.PI)
  })

  test('manualSeed makes every random function repeat', () => {
    manualSeed(42)
    const a = [randn(3, 4).toArray(), rand(5).toArray(), randint(0, 10, [6]).toArray()]
    manualSeed(42)
    const b = [randn(3, 4).toArray(), rand(5).toArray(), randint(0, 10, [6]).toArray()]
    expect(b).toEqual(a)
    manualSeed(43)
    expect(randn(3, 4).toArray()).not.toEqual(a[0])
  })

  test('random values have the expected ranges and moments', () => {
    manualSeed(0)
    const u = rand(10_000).data()
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0)
    expect(Math.max(...u)).toBeLessThan(1)
    const n = randn(20_000)
    close(n.mean().item(), 0, 0.03)
    close(n.pow(2).mean().item(), 1, 0.05)
    const r = randint(3, 6, [1000])
    expect(r.dtype).toBe('int64')
    expect(new Set(r.data())).toEqual(new Set([3, 4, 5]))
    expect(randint(4, [2, 2]).shape).toEqual([2, 2])
  })
})

describe('elementwise ops with broadcasting', () => {
  const a = tensor([[1, 2, 3], [4, 5, 6]])
  const b = tensor([10, 20, 30])

  test('add sub mul div with tensors and numbers', () => {
    expect(a.add(b).toArray()).toEqual([[11, 22, 33], [14, 25, 36]])
    expect(a.sub(tensor([[1], [2]])).toArray()).toEqual([[0, 1, 2], [2, 3, 4]])
    expect(a.mul(2).toArray()).toEqual([[2, 4, 6], [8, 10, 12]])
    close(a.div(b).toArray(), [[0.1, 0.1, 0.1], [0.4, 0.25, 0.2]])
    expect(a.add(1).sub(1).toArray()).toEqual(a.toArray())
    expect(a.neg().toArray()).toEqual([[-1, -2, -3], [-4, -5, -6]])
  })

  test('dtype conversion', () => {
    const i = tensor([1, 2, 3], { dtype: 'int64' })
    expect(i.float().dtype).toBe('float32')
    expect(i.float().toArray()).toEqual([1, 2, 3])
    expect(tensor([1.7, -1.7]).long().toArray()).toEqual([1, -1])
    const f = tensor([1])
    expect(f.to('float32')).toBe(f)
  })

  test('int64 arithmetic stays int64 except division', () => {
    const i = tensor([1, 2, 3], { dtype: 'int64' })
    expect(i.add(i).dtype).toBe('int64')
    expect(i.mul(2).dtype).toBe('int64')
    expect(i.div(2).dtype).toBe('float32')
    expect(i.div(2).toArray()).toEqual([0.5, 1, 1.5])
    expect(i.add(0.5).dtype).toBe('float32')
  })

  test('unary functions', () => {
    const x = tensor([-1, 0, 2])
    close(x.exp().toArray(), [Math.exp(-1), 1, Math.exp(2)])
    close(tensor([1, Math.E]).log().toArray(), [0, 1])
    close(x.sigmoid().toArray(), [1 / (1 + Math.E), 0.5, 1 / (1 + Math.exp(-2))])
    close(x.tanh().toArray(), [Math.tanh(-1), 0, Math.tanh(2)])
    expect(x.relu().toArray()).toEqual([0, 0, 2])
    close(x.pow(2).toArray(), [1, 0, 4])
    close(tensor([4, 9]).pow(0.5).toArray(), [2, 3])
  })
})

describe('products, reductions, shapes', () => {
  test('matmul in 1-D, 2-D and batched forms', () => {
    const m = tensor([[1, 2], [3, 4]])
    expect(m.matmul(m).toArray()).toEqual([[7, 10], [15, 22]])
    expect(tensor([1, 2]).matmul(tensor([3, 4])).item()).toBe(11)
    expect(m.matmul(tensor([1, 1])).toArray()).toEqual([3, 7])
    const batch = stack([m, m.mul(2)])
    expect(batch.matmul(m).toArray()).toEqual([[[7, 10], [15, 22]], [[14, 20], [30, 44]]])
    expect(batch.matmul(batch).shape).toEqual([2, 2, 2])
    expect(randn(16, 20, 50).matmul(randn(50, 100)).shape).toEqual([16, 20, 100])
  })

  test('sum and mean over all, one or several dims, with keepdim', () => {
    const x = arange(24, { dtype: 'float32' }).reshape(2, 3, 4)
    expect(x.sum().item()).toBe(276)
    expect(x.sum(1).shape).toEqual([2, 4])
    expect(x.sum(-1, true).shape).toEqual([2, 3, 1])
    expect(x.sum([0, 2]).toArray()).toEqual([60, 92, 124])
    expect(x.mean().item()).toBe(11.5)
    expect(x.mean(0).toArray()).toEqual([[6, 7, 8, 9], [10, 11, 12, 13], [14, 15, 16, 17]])
  })

  test('max and argmax', () => {
    const x = tensor([[1, 9, 3], [7, 2, 8]])
    expect(x.max().item()).toBe(9)
    const [values, indices] = x.max(1)
    expect(values.toArray()).toEqual([9, 8])
    expect(indices.toArray()).toEqual([1, 2])
    expect(indices.dtype).toBe('int64')
    expect(x.max(0, true)[0].shape).toEqual([1, 3])
    expect(x.argmax().item()).toBe(1)
    expect(x.argmax(0).toArray()).toEqual([1, 0, 1])
  })

  test('reshape, transpose, permute, squeeze, unsqueeze, select, narrow, cat, stack', () => {
    const x = arange(24).reshape(2, 3, 4)
    expect(x.reshape([4, -1]).shape).toEqual([4, 6])
    expect(x.transpose(0, 2).shape).toEqual([4, 3, 2])
    expect(x.transpose(0, 1).toArray()).toEqual([[[0, 1, 2, 3], [12, 13, 14, 15]], [[4, 5, 6, 7], [16, 17, 18, 19]], [[8, 9, 10, 11], [20, 21, 22, 23]]])
    expect(x.permute(2, 0, 1).shape).toEqual([4, 2, 3])
    expect(x.permute([2, 0, 1]).select(0, 1).toArray()).toEqual([[1, 5, 9], [13, 17, 21]])
    expect(zeros(2, 1, 3, 1).squeeze().shape).toEqual([2, 3])
    expect(zeros(2, 1, 3).squeeze(1).shape).toEqual([2, 3])
    expect(zeros(2, 3).unsqueeze(0).shape).toEqual([1, 2, 3])
    expect(zeros(2, 3).unsqueeze(-1).shape).toEqual([2, 3, 1])
    expect(x.select(1, -1).toArray()).toEqual([[8, 9, 10, 11], [20, 21, 22, 23]])
    expect(x.narrow(2, 1, 2).toArray()).toEqual([[[1, 2], [5, 6], [9, 10]], [[13, 14], [17, 18], [21, 22]]])
    expect(cat([zeros(2, 3), ones(2, 1)], 1).toArray()).toEqual([[0, 0, 0, 1], [0, 0, 0, 1]])
    expect(stack([zeros(2), ones(2)], 1).toArray()).toEqual([[0, 1], [0, 1]])
    expect(tensor([1, 2]).expand(3, -1).toArray()).toEqual([[1, 2], [1, 2], [1, 2]])
    expect(x.size()).toEqual([2, 3, 4])
    expect(x.size(-1)).toBe(4)
  })

  test('reshape shares data; clone copies', () => {
    const x = tensor([1, 2, 3, 4])
    const c = x.clone()
    expect(c.toArray()).toEqual([1, 2, 3, 4])
    expect(x.reshape(2, 2).toArray()).toEqual([[1, 2], [3, 4]])
  })
})

describe('printing', () => {
  test('looks like PyTorch', () => {
    expect(inspect(tensor([[1, 2], [3, 4]]))).toBe('tensor([[1., 2.],\n        [3., 4.]])')
    expect(String(tensor([0.1, 2.5, -3]))).toBe('tensor([ 0.1000,  2.5000, -3.0000])')
    expect(String(tensor([1, 2], { dtype: 'int64' }))).toBe('tensor([1, 2])')
    expect(String(tensor(3))).toBe('tensor(3.)')
    expect(String(tensor([1e-5, 1000]))).toBe('tensor([1.0000e-05, 1.0000e+03])')
    expect(String(tensor([1, 2], { requiresGrad: true }))).toBe('tensor([1., 2.], requires_grad=True)')
    const y = tensor([1, 2], { requiresGrad: true }).mul(2)
    expect(String(y)).toBe('tensor([2., 4.], grad_fn=<MulBackward0>)')
    expect(String(zeros(2, 0))).toBe('tensor([], size=(2, 0))')
    expect(String(tensor([NaN, Infinity, 1.5]))).toBe('tensor([   nan,    inf, 1.5000])')
  })

  test('summarises large tensors', () => {
    const s = String(arange(2000))
    expect(s).toBe('tensor([   0,    1,    2,  ..., 1997, 1998, 1999])')
    const m = String(zeros(100, 100))
    expect(m.split('\n')).toHaveLength(7)
    expect(m).toContain('...')
  })
})

test('Tensor is exported as a class for instanceof checks', () => {
  expect(zeros(1)).toBeInstanceOf(Tensor)
})
