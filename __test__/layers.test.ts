import { describe, expect, test } from 'vitest'

import { manualSeed, nn, randint, randn, tensor, Tensor, zeros } from '../index.js'

describe('Linear', () => {
  test('computes x W^T + b over leading dims with gradients', () => {
    const lin = new nn.Linear(3, 2)
    lin.loadStateDict({ weight: tensor([[1, 0, -1], [2, 1, 0]]), bias: tensor([0.5, -1]) })
    const x = tensor([[[1, 2, 3]], [[0, 1, 0]]], { requiresGrad: true })
    const y = lin.forward(x)
    expect(y.shape).toEqual([2, 1, 2])
    expect(y.toArray()).toEqual([[[-1.5, 3]], [[0.5, 0]]])
    y.sum().backward()
    expect(lin.weight.grad!.toArray()).toEqual([[1, 3, 3], [1, 3, 3]])
    expect(lin.bias!.grad!.toArray()).toEqual([2, 2])
    expect(x.grad!.toArray()).toEqual([[[3, 1, -1]], [[3, 1, -1]]])
    expect(String(lin)).toBe('Linear(in_features=3, out_features=2, bias=True)')
    expect(() => lin.forward(randn(4, 5))).toThrow('mat1 and mat2 shapes cannot be multiplied (4x5 and 3x2)')
    expect(new nn.Linear(3, 2, { bias: false }).parameters()).toHaveLength(1)
  })
})

describe('Embedding (seed Q8)', () => {
  test('shapes and parameter count', () => {
    const embedding = new nn.Embedding(1000, 64)
    const x = randint(0, 1000, [4, 10])
    const embedded = embedding.forward(x)
    expect(x.dtype).toBe('int64')
    expect(embedded.shape).toEqual([4, 10, 64])
    expect(embedded.dtype).toBe('float32')
    expect(embedding.weight.shape).toEqual([1000, 64])
    expect(embedding.weight.numel()).toBe(64_000)
  })

  test('the padding row starts at zero and never gets a gradient', () => {
    manualSeed(0)
    const e = new nn.Embedding(5, 3, { paddingIdx: 0 })
    expect((e.weight.toArray() as number[][])[0]).toEqual([0, 0, 0])
    const out = e.forward(tensor([[0, 2, 2], [0, 0, 4]], { dtype: 'int64' }))
    out.sum().backward()
    const g = e.weight.grad!.toArray() as number[][]
    expect(g[0]).toEqual([0, 0, 0])
    expect(g[2]).toEqual([2, 2, 2])
    expect(g[4]).toEqual([1, 1, 1])
    expect(g[1]).toEqual([0, 0, 0])
    expect(() => e.forward(tensor([5], { dtype: 'int64' }))).toThrow('index out of range in self')
    expect(() => e.forward(tensor([1.0]))).toThrow(TypeError)
  })

  test('fromPretrained freezes by default', () => {
    const w = tensor([[1, 2], [3, 4]])
    const frozen = nn.Embedding.fromPretrained(w)
    expect(frozen.weight.requiresGrad).toBe(false)
    expect(frozen.forward(tensor([1], { dtype: 'int64' })).toArray()).toEqual([[3, 4]])
    expect(nn.Embedding.fromPretrained(w, { freeze: false }).weight.requiresGrad).toBe(true)
  })
})

describe('Dropout, activations, Sequential, Module', () => {
  test('Dropout zeroes about p and rescales in training, identity in eval', () => {
    manualSeed(3)
    const d = new nn.Dropout(0.3)
    const y = Array.from(d.forward(zeros(10_000).add(1)).data())
    const zerosFrac = y.filter((v) => v === 0).length / y.length
    expect(Math.abs(zerosFrac - 0.3)).toBeLessThan(0.02)
    expect(y.filter((v) => v !== 0).every((v) => Math.abs(v - 1 / 0.7) < 1e-6)).toBe(true)
    d.eval()
    expect(d.forward(tensor([1, 2])).toArray()).toEqual([1, 2])
    expect(() => new nn.Dropout(1.5)).toThrow('dropout probability has to be between 0 and 1, but got 1.5')
  })

  test('Sequential, children, named parameters, train/eval, zeroGrad and printing', () => {
    class SineLSTM extends nn.Module {
      lstm = new nn.LSTM(1, 32, { batchFirst: true })
      fc = new nn.Linear(32, 1)
      forward(x: Tensor): Tensor {
        const [o] = this.lstm.forward(x)
        return this.fc.forward(o.select(1, -1))
      }
    }
    const model = new SineLSTM()
    expect(model.namedParameters().map(([n]) => n)).toEqual([
      'lstm.weight_ih_l0', 'lstm.weight_hh_l0', 'lstm.bias_ih_l0', 'lstm.bias_hh_l0', 'fc.weight', 'fc.bias',
    ])
    expect(model.forward(randn(5, 20, 1)).shape).toEqual([5, 1])
    expect(String(model)).toBe(
      'SineLSTM(\n  (lstm): LSTM(1, 32, batch_first=True)\n  (fc): Linear(in_features=32, out_features=1, bias=True)\n)',
    )
    model.eval()
    expect([...model.modules()].every((m) => !m.training)).toBe(true)
    model.train()
    model.forward(randn(2, 3, 1)).sum().backward()
    expect(model.fc.weight.grad).not.toBeNull()
    model.zeroGrad()
    expect(model.parameters().every((p) => p.grad === null)).toBe(true)

    const seq = new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU(), new nn.Linear(8, 1), new nn.Sigmoid())
    expect(seq.forward(randn(3, 4)) instanceof Tensor).toBe(true)
    expect(Object.keys(seq.stateDict())).toEqual(['0.weight', '0.bias', '2.weight', '2.bias'])
    expect(seq.length).toBe(4)
  })

  test('init functions', () => {
    manualSeed(0)
    const w = zeros(64, 32)
    nn.init.xavierUniform_(w)
    const bound = Math.sqrt(6 / 96)
    expect(Math.max(...Array.from(w.data()))).toBeLessThanOrEqual(bound)
    nn.init.orthogonal_(w)
    const wtw = w.transpose(0, 1).matmul(w).toArray() as number[][]
    wtw.forEach((row, i) => row.forEach((v, j) => expect(Math.abs(v - (i === j ? 1 : 0))).toBeLessThan(1e-4)))
    nn.init.zeros_(w)
    expect(w.sum().item()).toBe(0)
    nn.init.kaimingUniform_(w, { nonlinearity: 'relu' })
    expect(Math.max(...Array.from(w.data()))).toBeLessThanOrEqual(Math.sqrt(2) * Math.sqrt(3 / 32))
    nn.init.normal_(w, 1, 0.01)
    expect(Math.abs(w.mean().item() - 1)).toBeLessThan(0.01)
    expect(() => nn.init.xavierUniform_(zeros(3))).toThrow('fewer than 2 dimensions')
  })
})
