// Softmax and log-softmax against PyTorch (tools/make_op_fixtures.py): outputs and input
// gradients along every dimension, on values that overflow exp() unshifted and with -inf
// entries; on every device this process can use.

import { readFileSync } from 'node:fs'

import { describe, expect, test } from 'vitest'

import { availableDevices, nn, tensor } from '../index.js'

type Num = number | string
type Values = { shape: number[]; data: Num[] }
const num = (v: Num): number => (typeof v === 'number' ? v : v === '-0' ? -0 : Number(v))
const fx = JSON.parse(readFileSync(new URL('./fixtures/ops.json', import.meta.url), 'utf8')) as {
  softmax: { name: string; fn: 'softmax' | 'log_softmax'; dim: number; input: Values; upstream: Values; output: Values; grad: Values }[]
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
