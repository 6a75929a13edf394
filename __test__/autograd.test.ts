import { describe, expect, test } from 'vitest'

import { cat, enableGrad, isGradEnabled, noGrad, randn, manualSeed, stack, tensor, Tensor } from '../index.js'

/** Max |analytic - numeric| check of d(sum(f(x) * w))/dx by central differences in float32. */
function gradcheck(name: string, shapes: number[][], f: (...xs: Tensor[]) => Tensor, positive = false): void {
  manualSeed(shapes.length * 31 + name.length)
  const inputs = shapes.map((s) => {
    const r = randn(s)
    return positive ? r.pow(2).add(0.5) : r
  })
  const leaves = inputs.map((t) => t.detach().requiresGrad_())
  const out = f(...leaves)
  const w = randn(out.shape)
  out.mul(w).sum().backward()
  const eps = 1e-2
  inputs.forEach((input, k) => {
    const base = Array.from(input.data())
    const grad = leaves[k]!.grad
    expect(grad, `${name}: input ${k} has no grad`).not.toBeNull()
    const analytic = Array.from(grad!.data())
    base.forEach((_, j) => {
      const at = (delta: number): number => {
        const moved = base.slice()
        moved[j] = (moved[j] as number) + delta
        const args = inputs.map((t, i) => (i === k ? tensor(moved, { shape: input.shape }) : t))
        return noGrad(() => f(...args).mul(w).sum().item())
      }
      const numeric = (at(eps) - at(-eps)) / (2 * eps)
      const a = analytic[j] as number
      expect(Math.abs(a - numeric), `${name}: d/dx${k}[${j}] analytic ${a} numeric ${numeric}`).toBeLessThanOrEqual(5e-3 + 5e-3 * Math.abs(numeric))
    })
  })
}

describe('gradients match finite differences', () => {
  test('arithmetic with broadcasting and numbers', () => {
    gradcheck('add', [[2, 3], [3]], (a, b) => a.add(b))
    gradcheck('sub', [[2, 3], [2, 1]], (a, b) => a.sub(b))
    gradcheck('mul', [[2, 3], [1, 3]], (a, b) => a.mul(b).mul(3))
    gradcheck('div', [[2, 3], [3]], (a, b) => a.div(b), true)
    gradcheck('neg-pow', [[4]], (a) => a.neg().pow(3).add(2).div(4))
  })

  test('unary functions', () => {
    gradcheck('exp', [[3, 2]], (a) => a.exp())
    gradcheck('log', [[3, 2]], (a) => a.log(), true)
    gradcheck('sigmoid', [[3, 2]], (a) => a.sigmoid())
    gradcheck('tanh', [[3, 2]], (a) => a.tanh())
    gradcheck('sqrt', [[3, 2]], (a) => a.sqrt(), true)
    gradcheck('sin-cos', [[3, 2]], (a) => a.sin().add(a.mul(2).cos()))
    gradcheck('abs', [[3, 2]], (a) => a.abs().mul(a))
  })

  test('products and reductions', () => {
    gradcheck('matmul', [[3, 4], [4, 2]], (a, b) => a.matmul(b))
    gradcheck('bmm', [[2, 3, 4], [2, 4, 2]], (a, b) => a.matmul(b))
    gradcheck('batched-by-matrix', [[2, 3, 4], [4, 5]], (a, b) => a.matmul(b))
    gradcheck('sum-dim', [[2, 3, 4]], (a) => a.sum(1, true))
    gradcheck('mean-dims', [[2, 3, 4]], (a) => a.mean([0, 2]))
    gradcheck('max-dim', [[3, 5]], (a) => a.max(1)[0])
  })

  test('shape ops and indexing', () => {
    gradcheck('reshape-transpose', [[2, 3, 4]], (a) => a.reshape(4, -1).transpose(0, 1))
    gradcheck('permute', [[2, 3, 4]], (a) => a.permute(2, 0, 1))
    gradcheck('squeeze-unsqueeze', [[2, 1, 3]], (a) => a.squeeze(1).unsqueeze(0))
    gradcheck('select-narrow', [[2, 5, 3]], (a) => a.select(1, -1).add(a.narrow(1, 1, 1).squeeze(1)))
    gradcheck('cat-stack', [[2, 3], [2, 3]], (a, b) => cat([a, stack([a, b], 0).sum(0)], 1))
    gradcheck('expand-clone', [[3, 1]], (a) => a.expand(2, 3, 4).clone())
  })
})

describe('autograd behaviour', () => {
  test('a 10-line training step a PyTorch user recognises', () => {
    const w = tensor([[0.5], [-0.25]], { requiresGrad: true })
    const x = tensor([[1, 2], [3, 4]])
    const y = tensor([[1], [2]])
    const loss = x.matmul(w).sub(y).pow(2).mean()
    loss.backward()
    // d/dw mean((xw - y)^2) = 2/N x^T (xw - y); xw - y = [-1, -1.5]
    expect(w.grad!.toArray()).toEqual([[-5.5], [-8]])
    expect(loss.item()).toBeCloseTo(1.625, 6)
  })

  test('gradients accumulate until zeroed', () => {
    const x = tensor([1, 2, 3], { requiresGrad: true })
    x.mul(x).sum().backward()
    x.mul(x).sum().backward()
    expect(x.grad!.toArray()).toEqual([4, 8, 12])
    x.grad = null
    expect(x.grad).toBeNull()
    x.sum().backward()
    expect(x.grad!.toArray()).toEqual([1, 1, 1])
  })

  test('a second backward through a freed graph throws; retainGraph allows it', () => {
    const x = tensor([1, 2], { requiresGrad: true })
    const y = x.exp().sum()
    y.backward({ retainGraph: true })
    y.backward(undefined, { retainGraph: true })
    y.backward()
    expect(() => y.backward()).toThrow(/backward through the graph a second time/)
  })

  test('non-scalar backward needs a gradient (PyTorch message)', () => {
    const x = tensor([1, 2], { requiresGrad: true })
    const y = x.mul(3)
    expect(() => y.backward()).toThrow('grad can be implicitly created only for scalar outputs')
    y.backward(tensor([1, 0.5]))
    expect(x.grad!.toArray()).toEqual([3, 1.5])
  })

  test('requiresGrad, isLeaf, gradFn, detach', () => {
    const x = tensor([1, 2])
    expect(x.requiresGrad).toBe(false)
    x.requiresGrad = true
    const y = x.mul(2)
    expect(y.requiresGrad).toBe(true)
    expect(y.isLeaf).toBe(false)
    expect(y.gradFn).toBe('MulBackward0')
    expect(x.isLeaf).toBe(true)
    expect(x.gradFn).toBeNull()
    const d = y.detach()
    expect(d.requiresGrad).toBe(false)
    expect(d.toArray()).toEqual([2, 4])
    expect(() => tensor([1], { dtype: 'int64' }).requiresGrad_()).toThrow(TypeError)
    expect(() => tensor([1], { dtype: 'int64' }).requiresGrad_()).toThrow('Only Tensors of floating point')
  })

  test('noGrad records nothing and restores the mode, also after a throw', () => {
    const x = tensor([1], { requiresGrad: true })
    const y = noGrad(() => x.mul(2))
    expect(y.requiresGrad).toBe(false)
    expect(isGradEnabled()).toBe(true)
    expect(() =>
      noGrad(() => {
        throw new Error('boom')
      }),
    ).toThrow('boom')
    expect(isGradEnabled()).toBe(true)
    noGrad(() => {
      expect(enableGrad(() => x.mul(2)).requiresGrad).toBe(true)
      expect(isGradEnabled()).toBe(false)
    })
  })

  test('shared subexpressions get summed gradients (diamond graph)', () => {
    const x = tensor([2], { requiresGrad: true })
    const a = x.mul(3)
    const y = a.mul(a).add(a)
    y.sum().backward()
    // y = 9x^2 + 3x -> dy/dx = 18x + 3 = 39
    expect(x.grad!.item()).toBe(39)
  })
})
