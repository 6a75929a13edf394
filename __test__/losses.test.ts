import { readFileSync } from 'node:fs'

import { describe, expect, test } from 'vitest'

import { nn, tensor, Tensor } from '../index.js'
import { expectClose, type Dumped } from './helpers/compare.js'

interface LossCase {
  name: string
  kind: 'MSELoss' | 'L1Loss' | 'HuberLoss' | 'BCELoss' | 'BCEWithLogitsLoss' | 'CrossEntropyLoss' | 'NLLLoss'
  options: Record<string, unknown>
  input: Dumped
  target: Dumped & { dtype: 'float32' | 'int64' }
  outWeight: Dumped
  output: Dumped
  grad: Dumped
}

const { cases } = JSON.parse(readFileSync(new URL('./fixtures/losses.json', import.meta.url), 'utf8')) as { cases: LossCase[] }
const t = (d: Dumped, dtype: 'float32' | 'int64' = 'float32'): Tensor => tensor(d.data, { shape: d.shape, dtype })

function make(c: LossCase): nn.Module & { forward(a: Tensor, b: Tensor): Tensor } {
  const o: Record<string, unknown> = { ...c.options }
  for (const k of ['weight', 'posWeight']) if (o[k]) o[k] = t(o[k] as Dumped)
  const Loss = nn[c.kind] as unknown as new (options: Record<string, unknown>) => nn.Module & { forward(a: Tensor, b: Tensor): Tensor }
  return new Loss(o)
}

describe('losses match PyTorch (value and input gradient)', () => {
  expect(cases.length).toBeGreaterThan(30)
  test.each(cases.map((c) => [c.name, c] as const))('%s', (_, c) => {
    const x = t(c.input).requiresGrad_()
    const out = make(c).forward(x, t(c.target, c.target.dtype))
    expectClose(out, c.output, `${c.name} value`)
    out.mul(t(c.outWeight)).sum().backward()
    expectClose(x.grad, c.grad, `${c.name} grad`, 1e-4, 1e-3)
  })
})

describe('loss details', () => {
  test('regression losses broadcast a mismatched target with a warning, classification checks shapes', () => {
    const warnings: string[] = []
    const onWarning = (w: Error) => warnings.push(w.message)
    process.on('warning', onWarning)
    const out = new nn.MSELoss().forward(tensor([[1], [2]]), tensor([1, 2]))
    // Broadcast to [2, 2] like PyTorch: squares [[0, 1], [1, 0]].
    expect(out.item()).toBe(0.5)
    return new Promise<void>((resolve) =>
      setImmediate(() => {
        process.off('warning', onWarning)
        expect(warnings.some((w) => w.includes('Using a target size (torch.Size([2])) that is different to the input size (torch.Size([2, 1]))'))).toBe(true)
        expect(() => new nn.BCEWithLogitsLoss().forward(tensor([[1], [2]]), tensor([1, 0]))).toThrow('must be the same as input size')
        expect(() => new nn.CrossEntropyLoss().forward(tensor([[1, 2]]), tensor([0.5]))).toThrow(TypeError)
        expect(() => new nn.CrossEntropyLoss().forward(tensor([[1, 2]]), tensor([5], { dtype: 'int64' }))).toThrow('Target 5 is out of bounds.')
        expect(() => new nn.BCELoss().forward(tensor([1.5]), tensor([1]))).toThrow('all elements of input should be between 0 and 1')
        expect(() => new nn.MSELoss({ reduction: 'avg' as never })).toThrow('avg is not a valid value for reduction')
        resolve()
      }),
    )
  })

  test('target gradients flow for regression losses', () => {
    const x = tensor([1, 2])
    const y = tensor([0, 4], { requiresGrad: true })
    new nn.MSELoss().forward(x, y).backward()
    expect(y.grad!.toArray()).toEqual([-1, 2])
  })
})
