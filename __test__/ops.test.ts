// Ops against PyTorch (tools/make_op_fixtures.py), on every device this process can use:
// softmax and log-softmax (outputs and input gradients along every dimension, on values that
// overflow exp() unshifted and with -inf entries); max, min, argmax and argmin (values,
// indices and gradients, with ties and NaN).

import { readFileSync } from 'node:fs'

import { describe, expect, test } from 'vitest'

import { availableDevices, nn, tensor } from '../index.js'

type Num = number | string
type Values = { shape: number[]; data: Num[] }
const num = (v: Num): number => (typeof v === 'number' ? v : v === '-0' ? -0 : Number(v))
const fx = JSON.parse(readFileSync(new URL('./fixtures/ops.json', import.meta.url), 'utf8')) as {
  softmax: { name: string; fn: 'softmax' | 'log_softmax'; dim: number; input: Values; upstream: Values; output: Values; grad: Values }[]
  extremes: {
    name: string
    fn: 'max' | 'min'
    dim: number | null
    input: Values
    upstream?: Values
    values: Values
    indices?: number[]
    grad: Values
    arg: number | number[]
  }[]
}

/** Within 1e-6 + 1e-5 |expected| (float32 sums in another order), non-finite values exactly. */
function expectClose(actual: ArrayLike<number>, expected: Num[], what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length)
  expected.forEach((e, i) => {
    const a = actual[i] as number
    const x = num(e)
    if (!Number.isFinite(x)) expect(Object.is(a, x) || (Number.isNaN(a) && Number.isNaN(x)), `${what}[${i}]: ${a} vs ${x}`).toBe(true)
    else expect(Math.abs(a - x), `${what}[${i}]: ${a} vs ${x}`).toBeLessThanOrEqual(1e-6 + 1e-5 * Math.abs(x))
  })
}

describe('softmax and logSoftmax', () => {
  test('match PyTorch along every dimension, with overflowing and -inf inputs (output and gradient)', () => {
    expect(fx.softmax.length).toBe(26)
    for (const device of availableDevices()) {
      for (const c of fx.softmax) {
        const x = tensor(c.input.data.map(num), { shape: c.input.shape, device: device as 'cpu' }).requiresGrad_()
        const y = c.fn === 'softmax' ? x.softmax(c.dim) : x.logSoftmax(c.dim)
        expect(y.shape, c.name).toEqual(c.output.shape)
        expectClose(y.data(), c.output.data, `${c.name} on ${device}`)
        y.backward(tensor(c.upstream.data.map(num), { shape: c.upstream.shape, device: device as 'cpu' }))
        expectClose(x.grad!.data(), c.grad.data, `${c.name} gradient on ${device}`)
      }
    }
  })

  test('modules, and logSoftmax with NLLLoss is cross-entropy', () => {
    const logits = tensor([[2, 0.5, -1], [0.1, 0.2, 3]])
    const target = tensor([0, 2], { dtype: 'int64' })
    const viaNll = new nn.NLLLoss().forward(new nn.LogSoftmax(1).forward(logits), target).item()
    expect(viaNll).toBeCloseTo(new nn.CrossEntropyLoss().forward(logits, target).item(), 6)
    const p = new nn.Softmax(-1).forward(logits)
    expect(Array.from(p.sum(1).data()).map((s) => s.toFixed(6))).toEqual(['1.000000', '1.000000'])
    expect(String(new nn.Softmax(1))).toBe('Softmax(dim=1)')
    expect(String(new nn.LogSoftmax(-1))).toBe('LogSoftmax(dim=-1)')
    expect(new nn.Softmax(0).parameters()).toHaveLength(0)
  })

  test('bad arguments are clear errors', () => {
    const x = tensor([[1, 2]])
    expect(() => x.softmax(2)).toThrow(RangeError)
    expect(() => x.logSoftmax(-3)).toThrow(RangeError)
    expect(() => x.softmax(0.5)).toThrow(TypeError)
    expect(() => x.softmax(undefined as never)).toThrow(TypeError)
    expect(() => tensor([1, 2], { dtype: 'int64' }).softmax(0)).toThrow('softmax(): expected a float32 tensor, got int64')
    expect(() => new nn.Softmax('1' as never)).toThrow(TypeError)
    expect(() => new nn.LogSoftmax(1).forward([1, 2] as never)).toThrow(TypeError)
  })
})

describe('max, min, argmax, argmin', () => {
  test('match PyTorch with ties and NaN (values, indices, gradients)', () => {
    expect(fx.extremes.length).toBe(20)
    for (const device of availableDevices()) {
      for (const c of fx.extremes) {
        const what = `${c.name} on ${device}`
        const x = tensor(c.input.data.map(num), { shape: c.input.shape, device: device as 'cpu' }).requiresGrad_()
        if (c.dim === null) {
          const v = c.fn === 'max' ? x.max() : x.min()
          expect(v.gradFn, what).toBe(c.fn === 'max' ? 'MaxBackward1' : 'MinBackward1')
          expectClose(v.data(), c.values.data, what)
          v.backward(tensor(1.5, { device: device as 'cpu' }))
          const arg = c.fn === 'max' ? x.argmax() : x.argmin()
          expect(arg.item(), `${what} arg`).toBe(c.arg)
        } else {
          const [v, i] = c.fn === 'max' ? x.max(c.dim) : x.min(c.dim)
          expect(v.gradFn, what).toBe(c.fn === 'max' ? 'MaxBackward0' : 'MinBackward0')
          expectClose(v.data(), c.values.data, what)
          expect(Array.from(i.toArray() as number[][]).flat(), `${what} indices`).toEqual(c.indices)
          v.backward(tensor(c.upstream!.data.map(num), { shape: c.upstream!.shape, device: device as 'cpu' }))
          const arg = c.fn === 'max' ? x.argmax(c.dim) : x.argmin(c.dim)
          expect((arg.toArray() as number[][]).flat(), `${what} arg`).toEqual(c.arg)
        }
        expectClose(x.grad!.data(), c.grad.data, `${what} gradient`)
      }
    }
  })

  test('keepdim, int64, and empty inputs as PyTorch', () => {
    const x = tensor([[3, 1], [0, 5]], { dtype: 'int64' })
    expect(x.min().item()).toBe(0)
    expect(x.min().dtype).toBe('int64')
    const [v, i] = x.min(1, true)
    expect(v.shape).toEqual([2, 1])
    expect(v.toArray()).toEqual([[1], [0]])
    expect(i.toArray()).toEqual([[1], [0]])
    expect(x.argmin(0, true).toArray()).toEqual([[1, 0]])
    expect(() => tensor([]).min()).toThrow("min(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the 'dim' argument.")
    expect(() => tensor([]).reshape(2, 0).min(1)).toThrow('min(): Expected reduction dim 1 to have non-zero size.')
    expect(() => tensor([]).argmin()).toThrow('argmin(): Expected reduction dim to be specified for input.numel() == 0.')
    expect(() => x.min(2)).toThrow(RangeError)
    expect(() => x.argmin(0.5)).toThrow(TypeError)
  })
})
