import { describe, expect, test } from 'vitest'

import { arange, cat, full, matmulShapes, ones, randint, randn, setNumThreads, stack, tensor, zeros } from './helpers/bad_calls.js'

describe('clear errors with PyTorch wording', () => {
  test('ragged and non-numeric data', () => {
    expect(() => tensor([[1, 2], [3]])).toThrow(RangeError)
    expect(() => tensor([[1, 2], [3]])).toThrow('expected sequence of length 2 at dim 1 (got 1)')
    expect(() => tensor([1, 'a' as never])).toThrow(TypeError)
    expect(() => tensor([1, 'a' as never])).toThrow('tensor(): expected numbers, got a string ("a") at [1]')
    expect(() => tensor([1, 2, 3], { shape: [2, 2] })).toThrow('shape [2, 2] needs 4 elements, but 3 were given')
    expect(() => tensor([1.5], { dtype: 'int64' })).toThrow(TypeError)
  })

  test('bad sizes', () => {
    expect(() => zeros(-1)).toThrow(RangeError)
    expect(() => zeros(2, -3)).toThrow('negative dimension')
    expect(() => zeros(NaN)).toThrow(TypeError)
    expect(() => zeros(1.5)).toThrow(TypeError)
    expect(() => zeros(1e12, 1e12)).toThrow('too large')
    expect(() => full([2], 'x' as never)).toThrow(TypeError)
    expect(() => arange(0, 10, 0)).toThrow('step must be nonzero')
    expect(() => randint(5, 5, [2])).toThrow("random_ expects 'from' to be less than 'to'")
  })

  test('shape mismatches', () => {
    expect(() => ones(3).add(ones(4))).toThrow(
      'The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 0',
    )
    expect(() => matmulShapes([2, 3], [4, 5])).toThrow('mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)')
    expect(() => ones(6).reshape(5, -1)).toThrow("shape '[5, -1]' is invalid for input of size 6")
    expect(() => ones(6).reshape(-1, -1)).toThrow('only one dimension can be inferred')
    expect(() => cat([ones(2, 3), ones(3, 3)], 1)).toThrow('Sizes of tensors must match except in dimension 1')
    expect(() => stack([ones(2), ones(3)])).toThrow('stack expects each tensor to be equal size')
  })

  test('indices out of range', () => {
    const x = ones(2, 3)
    expect(() => x.select(1, 3)).toThrow(RangeError)
    expect(() => x.select(2, 0)).toThrow('Dimension out of range (expected to be in range of [-2, 1], but got 2)')
    expect(() => x.narrow(1, 2, 2)).toThrow('start (2) + length (2) exceeds dimension size (3).')
    expect(() => x.transpose(0, 5)).toThrow(RangeError)
    expect(() => x.sum(4)).toThrow(RangeError)
    expect(() => x.permute(0, 0)).toThrow('duplicate dims')
    expect(() => x.unsqueeze(3)).toThrow(RangeError)
  })

  test('dtype mistakes', () => {
    const i = tensor([1, 2], { dtype: 'int64' })
    expect(() => i.matmul(i)).toThrow(TypeError)
    expect(() => i.mean()).toThrow('mean(): could not infer output dtype')
    expect(() => ones(2).add('1' as never)).toThrow('add(): other must be a Tensor or a number, got a string ("1")')
    expect(() => zeros(2, { dtype: 'float16' as never })).toThrow(TypeError)
  })

  test('one-element conversions and disposed tensors', () => {
    expect(() => ones(2).item()).toThrow('a Tensor with 2 elements cannot be converted to Scalar')
    const t = ones(2)
    t.dispose()
    expect(t.disposed).toBe(true)
    expect(() => t.add(1)).toThrow('disposed')
    expect(() => ones(2).add(t)).toThrow('disposed')
    expect(String(t)).toBe('tensor(<disposed>)')
  })

  test('setNumThreads rejects non-positive counts', () => {
    expect(() => setNumThreads(0)).toThrow(RangeError)
    expect(() => setNumThreads(NaN)).toThrow(RangeError)
  })
})

test('hundreds of random bad calls all throw and the process survives', async () => {
  const { randomBadCalls } = await import('./helpers/bad_calls.js')
  const calls = randomBadCalls(400, 12345)
  let threw = 0
  for (const { name, call } of calls) {
    let error: unknown = null
    try {
      call()
    } catch (e) {
      error = e
    }
    expect(error, `${name} should have thrown`).toBeInstanceOf(Error)
    threw++
  }
  expect(threw).toBe(400)
  // Still healthy afterwards.
  expect(randn(3, 3).matmul(ones(3, 1)).shape).toEqual([3, 1])
})

describe('a panic in native code', () => {
  test('becomes a thrown SEQTORCH_INTERNAL error and Node goes on', async () => {
    const { native } = await import('../src/native.js')
    const { ErrorCode } = await import('../index.js')
    let caught: unknown
    try {
      native.debugPanic()
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(Error)
    expect((caught as { code?: string }).code).toBe(ErrorCode.internal)
    expect((caught as Error).message).toBe('seqtorch internal error (please report): deliberate panic from debugPanic()')
    expect(zeros(2).sum().item()).toBe(0)
  })
})
