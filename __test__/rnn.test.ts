import { readFileSync } from 'node:fs'

import { describe, expect, test } from 'vitest'

import { manualSeed, nn, randn, tensor, Tensor, zeros } from '../index.js'
import { expectClose, type Dumped } from './helpers/compare.js'
import { DEVICES } from './helpers/devices.js'

const { packPaddedSequence, padPackedSequence, packSequence, padSequence } = nn.utils.rnn

interface Case {
  name: string
  kind: 'layer' | 'cell'
  mode: 'RNN_TANH' | 'RNN_RELU' | 'LSTM' | 'GRU'
  inputSize: number
  hiddenSize: number
  numLayers: number
  bias: boolean
  batchFirst: boolean
  bidirectional: boolean
  projSize: number
  layout: 'padded' | 'unbatched' | 'packed'
  lengths: number[] | null
  enforceSorted: boolean
  input: Dumped
  h0: Dumped | null
  c0: Dumped | null
  params: Record<string, Dumped>
  weights: { output?: Dumped; hN: Dumped; cN: Dumped | null }
  expected: { output?: Dumped; hN: Dumped; cN: Dumped | null }
  grads: { input: Dumped; h0: Dumped | null; c0: Dumped | null; params: Record<string, Dumped> }
}

const readCases = (name: string) => (JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as { cases: Case[] }).cases
// rnn_wide.json holds sizes at which the step products take the register-tiled kernel.
const fixtures = { cases: [...readCases('rnn.json'), ...readCases('rnn_wide.json')] }
const t = (d: Dumped, device = 'cpu'): Tensor => tensor(d.data, { shape: d.shape, device: device as 'cpu' })

function makeLayer(c: Case): nn.RNN | nn.LSTM | nn.GRU {
  const common = { numLayers: c.numLayers, bias: c.bias, batchFirst: c.batchFirst, bidirectional: c.bidirectional }
  switch (c.mode) {
    case 'LSTM':
      return new nn.LSTM(c.inputSize, c.hiddenSize, { ...common, projSize: c.projSize })
    case 'GRU':
      return new nn.GRU(c.inputSize, c.hiddenSize, common)
    default:
      return new nn.RNN(c.inputSize, c.hiddenSize, { ...common, nonlinearity: c.mode === 'RNN_TANH' ? 'tanh' : 'relu' })
  }
}

function makeCell(c: Case): nn.RNNCell | nn.LSTMCell | nn.GRUCell {
  if (c.mode === 'LSTM') return new nn.LSTMCell(c.inputSize, c.hiddenSize, { bias: c.bias })
  if (c.mode === 'GRU') return new nn.GRUCell(c.inputSize, c.hiddenSize, { bias: c.bias })
  return new nn.RNNCell(c.inputSize, c.hiddenSize, { bias: c.bias, nonlinearity: c.mode === 'RNN_TANH' ? 'tanh' : 'relu' })
}

function loadParams(module: nn.Module, c: Case): void {
  const sd: Record<string, Tensor> = {}
  for (const [k, v] of Object.entries(c.params)) sd[k] = t(v)
  // A PyTorch state dict loads unchanged: same names, same shapes.
  module.loadStateDict(sd)
}

function checkGrads(module: nn.Module, c: Case, x: Tensor, h0: Tensor | null, c0: Tensor | null): void {
  expectClose(x.grad, c.grads.input, `${c.name} d input`)
  if (c.grads.h0) expectClose(h0!.grad, c.grads.h0, `${c.name} d h0`)
  if (c.grads.c0) expectClose(c0!.grad, c.grads.c0, `${c.name} d c0`)
  const params = Object.fromEntries(module.namedParameters())
  expect(Object.keys(params).sort()).toEqual(Object.keys(c.grads.params).sort())
  for (const [name, g] of Object.entries(c.grads.params)) expectClose(params[name]!.grad, g, `${c.name} d ${name}`)
}

describe.each(DEVICES)('recurrent layers match PyTorch (outputs, final states, every gradient) on %s', (device) => {
  const layers = fixtures.cases.filter((c) => c.kind === 'layer')
  expect(layers.length).toBeGreaterThanOrEqual(50)
  test.each(layers.map((c) => [c.name, c] as const))('%s', (_, c) => {
    const layer = makeLayer(c)
    loadParams(layer, c)
    layer.to(device as 'cpu')
    const x = t(c.input, device).requiresGrad_()
    const h0 = c.h0 ? t(c.h0, device).requiresGrad_() : null
    const c0 = c.c0 ? t(c.c0, device).requiresGrad_() : null
    let input: Tensor | nn.utils.rnn.PackedSequence = x
    if (c.layout === 'packed') {
      input = packPaddedSequence(x, c.lengths!, { batchFirst: c.batchFirst, enforceSorted: c.enforceSorted })
    }
    let out: Tensor | nn.utils.rnn.PackedSequence
    let hN: Tensor
    let cN: Tensor | null = null
    if (layer instanceof nn.LSTM) {
      ;[out, [hN, cN]] = layer.forward(input as Tensor, h0 && c0 ? [h0, c0] : null)
    } else {
      ;[out, hN] = (layer as nn.GRU).forward(input as Tensor, h0)
    }
    if (out instanceof nn.utils.rnn.PackedSequence) {
      const steps = c.input.shape[c.batchFirst ? 1 : 0] as number
      ;[out] = padPackedSequence(out, { batchFirst: c.batchFirst, totalLength: steps })
    }
    expectClose(out as Tensor, c.expected.output!, `${c.name} output`)
    expectClose(hN, c.expected.hN, `${c.name} hN`)
    if (c.expected.cN) expectClose(cN, c.expected.cN, `${c.name} cN`)

    let loss = (out as Tensor).mul(t(c.weights.output!, device)).sum().add(hN.mul(t(c.weights.hN, device)).sum())
    if (cN && c.weights.cN) loss = loss.add(cN.mul(t(c.weights.cN, device)).sum())
    loss.backward()
    checkGrads(layer, c, x, h0, c0)
  })
})

describe.each(DEVICES)('cells match PyTorch on %s', (device) => {
  const cells = fixtures.cases.filter((c) => c.kind === 'cell')
  test.each(cells.map((c) => [c.name, c] as const))('%s', (_, c) => {
    const cell = makeCell(c)
    loadParams(cell, c)
    cell.to(device as 'cpu')
    const x = t(c.input, device).requiresGrad_()
    const h0 = c.h0 ? t(c.h0, device).requiresGrad_() : null
    const c0 = c.c0 ? t(c.c0, device).requiresGrad_() : null
    let h1: Tensor
    let c1: Tensor | null = null
    if (cell instanceof nn.LSTMCell) [h1, c1] = cell.forward(x, h0 && c0 ? [h0, c0] : null)
    else h1 = (cell as nn.GRUCell).forward(x, h0)
    expectClose(h1, c.expected.hN, `${c.name} h'`)
    if (c.expected.cN) expectClose(c1, c.expected.cN, `${c.name} c'`)
    let loss = h1.mul(t(c.weights.hN, device)).sum()
    if (c1 && c.weights.cN) loss = loss.add(c1.mul(t(c.weights.cN, device)).sum())
    loss.backward()
    checkGrads(cell, c, x, h0, c0)
  })
})

describe('seed notebook facts', () => {
  test('Q1: 2-layer batch-first RNN shapes', () => {
    const rnn = new nn.RNN(50, 100, { numLayers: 2, batchFirst: true })
    const [outputs, hN] = rnn.forward(randn(16, 20, 50))
    expect(outputs.shape).toEqual([16, 20, 100])
    expect(hN.shape).toEqual([2, 16, 100])
  })

  test('Q2: the last output step equals the last layer of hN (1 and 2 layers)', () => {
    const x = randn(4, 5, 10)
    for (const numLayers of [1, 2]) {
      const rnn = new nn.RNN(10, 20, { numLayers, batchFirst: true })
      const [outputs, hN] = rnn.forward(x)
      expect(outputs.select(1, -1).shape).toEqual([4, 20])
      expect(outputs.select(1, -1).toArray()).toEqual(hN.select(0, -1).toArray())
      if (numLayers === 1) expect(outputs.select(1, -1).toArray()).toEqual(hN.squeeze(0).toArray())
    }
  })

  test('Q5: LSTM vs GRU parameter counts', () => {
    const count = (m: nn.Module) => m.parameters().reduce((n, p) => n + p.numel(), 0)
    const lstm = count(new nn.LSTM(100, 128))
    const gru = count(new nn.GRU(100, 128))
    expect(lstm).toBe(117_760)
    expect(gru).toBe(88_320)
    expect(((gru / lstm) * 100).toFixed(2)).toBe('75.00')
  })

  test('Q6: bidirectional LSTM shapes', () => {
    const biLstm = new nn.LSTM(30, 64, { numLayers: 1, batchFirst: true, bidirectional: true })
    const [outputs, [hN, cN]] = biLstm.forward(randn(8, 15, 30))
    expect(outputs.shape).toEqual([8, 15, 128])
    expect(hN.shape).toEqual([2, 8, 64])
    expect(cN.shape).toEqual([2, 8, 64])
  })
})

describe('module structure', () => {
  test("PyTorch's parameter names, shapes and order", () => {
    const lstm = new nn.LSTM(50, 100, { numLayers: 2, batchFirst: true, bidirectional: true, dropout: 0.3, projSize: 20 })
    const shapes = Object.fromEntries(Object.entries(lstm.stateDict()).map(([k, v]) => [k, v.shape]))
    expect(Object.keys(shapes)).toEqual([
      'weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0', 'weight_hr_l0',
      'weight_ih_l0_reverse', 'weight_hh_l0_reverse', 'bias_ih_l0_reverse', 'bias_hh_l0_reverse', 'weight_hr_l0_reverse',
      'weight_ih_l1', 'weight_hh_l1', 'bias_ih_l1', 'bias_hh_l1', 'weight_hr_l1',
      'weight_ih_l1_reverse', 'weight_hh_l1_reverse', 'bias_ih_l1_reverse', 'bias_hh_l1_reverse', 'weight_hr_l1_reverse',
    ])
    expect(shapes['weight_ih_l0']).toEqual([400, 50])
    expect(shapes['weight_hh_l0']).toEqual([400, 20])
    expect(shapes['weight_hr_l0']).toEqual([20, 100])
    expect(shapes['weight_ih_l1_reverse']).toEqual([400, 40])
    expect(Object.keys(new nn.GRUCell(3, 4).stateDict())).toEqual(['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh'])
    expect(Object.keys(new nn.GRU(3, 4, { bias: false }).stateDict())).toEqual(['weight_ih_l0', 'weight_hh_l0'])
  })

  test('initialisation is U(-1/sqrt(H), 1/sqrt(H)) for every parameter', () => {
    manualSeed(0)
    const gru = new nn.GRU(30, 64, { numLayers: 2 })
    const bound = 1 / Math.sqrt(64)
    for (const [name, p] of gru.namedParameters()) {
      const v = Array.from(p.data())
      expect(Math.max(...v), name).toBeLessThanOrEqual(bound)
      expect(Math.min(...v), name).toBeGreaterThanOrEqual(-bound)
      // Spread over the range rather than clustered near 0.
      expect(Math.max(...v), name).toBeGreaterThan(bound * 0.9)
      expect(p.requiresGrad).toBe(true)
    }
  })

  test('printed like PyTorch', () => {
    expect(String(new nn.LSTM(50, 100, { numLayers: 2, batchFirst: true, bidirectional: true, dropout: 0.3 }))).toBe(
      'LSTM(50, 100, num_layers=2, batch_first=True, dropout=0.3, bidirectional=True)',
    )
    expect(String(new nn.GRU(1, 32, { bias: false }))).toBe('GRU(1, 32, bias=False)')
    expect(String(new nn.RNN(3, 4, { nonlinearity: 'relu' }))).toBe('RNN(3, 4, nonlinearity=relu)')
    expect(String(new nn.LSTMCell(3, 4))).toBe('LSTMCell(3, 4)')
  })

  test('dropout between layers is active only in training mode', () => {
    const lstm = new nn.LSTM(4, 8, { numLayers: 2, dropout: 0.5 })
    const x = randn(6, 3, 4)
    lstm.eval()
    const a = lstm.forward(x)[0].toArray()
    expect(lstm.forward(x)[0].toArray()).toEqual(a)
    lstm.train()
    manualSeed(1)
    const b = lstm.forward(x)[0].toArray()
    manualSeed(1)
    expect(lstm.forward(x)[0].toArray()).toEqual(b)
    manualSeed(2)
    expect(lstm.forward(x)[0].toArray()).not.toEqual(b)
    expect(b).not.toEqual(a)
  })

  test('packSequence, padSequence and the reverse direction of packed batches', () => {
    const seqs = [randn(5, 3), randn(2, 3), randn(4, 3)]
    const padded = padSequence(seqs, { batchFirst: true })
    expect(padded.shape).toEqual([3, 5, 3])
    const packed = packSequence(seqs, { enforceSorted: false })
    expect(Array.from(packed.batchSizes.data())).toEqual([3, 3, 2, 2, 1])
    const [unpacked, lengths] = padPackedSequence(packed, { batchFirst: true })
    expect(lengths.toArray()).toEqual([5, 2, 4])
    expect(unpacked.toArray()).toEqual(padded.toArray())
    // The reverse direction starts at each sequence's own last step: a packed run equals
    // running each sequence alone.
    const gru = new nn.GRU(3, 4, { bidirectional: true, batchFirst: true })
    const [out] = gru.forward(packed)
    const [outPadded] = padPackedSequence(out, { batchFirst: true })
    seqs.forEach((s, i) => {
      const [alone] = gru.forward(s.unsqueeze(0))
      const mine = outPadded.select(0, i).narrow(0, 0, s.shape[0] as number)
      const diff = mine.sub(alone.squeeze(0)).pow(2).sum().item()
      expect(diff).toBeLessThan(1e-10)
    })
  })
})

describe("validation with PyTorch's messages", () => {
  test('input and hidden shapes', () => {
    const lstm = new nn.LSTM(50, 100, { numLayers: 2, batchFirst: true })
    expect(() => lstm.forward(randn(16, 20, 30))).toThrow('input.size(-1) must be equal to input_size. Expected 50, got 30')
    expect(() => lstm.forward(randn(1, 16, 20, 50))).toThrow('LSTM: Expected input to be 2D or 3D, got 4D instead')
    expect(() => lstm.forward(randn(3, 4, 50), [zeros(1, 3, 100), zeros(2, 3, 100)])).toThrow(
      'Expected hidden[0] size (2, 3, 100), got [1, 3, 100]',
    )
    expect(() => lstm.forward(randn(3, 4, 50), [zeros(2, 3, 100), zeros(2, 3, 99)])).toThrow(
      'Expected hidden[1] size (2, 3, 100), got [2, 3, 99]',
    )
    const gru = new nn.GRU(4, 4, { numLayers: 2 })
    expect(() => gru.forward(randn(5, 3, 4), zeros(1, 3, 4))).toThrow('Expected hidden size (2, 3, 4), got [1, 3, 4]')
    expect(() => gru.forward(randn(5, 3, 4), zeros(2, 4))).toThrow('For batched 3-D input, hx should also be 3-D but got 2-D tensor')
    expect(() => gru.forward(randn(5, 4), zeros(2, 1, 4))).toThrow('For unbatched 2-D input, hx should also be 2-D but got 3-D tensor')
    expect(() => new nn.RNN(4, 4).forward(randn(2, 3, 4, 5))).toThrow('RNN: Expected input to be 2D or 3D, got 4D instead')
  })

  test('constructor arguments', () => {
    expect(() => new nn.LSTM(10, 20, { dropout: 1.5 })).toThrow('dropout should be a number in range [0, 1]')
    expect(() => new nn.LSTM(10, 0)).toThrow('hidden_size must be greater than zero')
    expect(() => new nn.LSTM(10, -3)).toThrow(RangeError)
    expect(() => new nn.GRU(10, 20, { numLayers: 0 })).toThrow('num_layers must be greater than zero')
    expect(() => new nn.LSTM(10, 20, { projSize: 20 })).toThrow('proj_size has to be smaller than hidden_size')
    expect(() => new nn.GRU(10, 20, { projSize: 5 } as never)).toThrow('proj_size argument is only supported for LSTM')
    expect(() => new nn.LSTM(10.5, 20)).toThrow('input_size should be of type int, got: float')
    expect(() => new nn.RNN(10, 20, { nonlinearity: 'sigmoid' as never })).toThrow("Unknown nonlinearity 'sigmoid'")
  })

  test('cells', () => {
    const cell = new nn.GRUCell(4, 3)
    expect(() => cell.forward(randn(2, 5))).toThrow('input has inconsistent input_size: got 5 expected 4')
    expect(() => cell.forward(randn(2, 4), zeros(3, 3))).toThrow("Input batch size 2 doesn't match hidden0 batch size 3")
    expect(() => cell.forward(randn(2, 4), zeros(2, 5))).toThrow('hidden0 has inconsistent hidden_size: got 5, expected 3')
    expect(() => cell.forward(randn(1, 2, 4))).toThrow('GRUCell: Expected input to be 1D or 2D, got 3D instead')
  })

  test('packing', () => {
    expect(() => packPaddedSequence(randn(4, 3, 2), [2, 4, 1])).toThrow('`lengths` array must be sorted in decreasing order')
    expect(() => packPaddedSequence(randn(4, 3, 2), [4, 2, 0])).toThrow('Length of all samples has to be greater than 0')
    expect(() => packPaddedSequence(randn(4, 3, 2), [4, 2])).toThrow('Expected `len(lengths)` to be equal to batch_size')
  })

  test('loadStateDict lists missing and unexpected keys and shape mismatches, and writes nothing', () => {
    const gru = new nn.GRU(3, 4)
    const before = gru.weight_hh_l0!.toArray()
    const sd = gru.stateDict()
    const bad = { ...sd, extra: zeros(1) } as Record<string, Tensor>
    delete bad['bias_hh_l0']
    bad['weight_hh_l0'] = zeros(12, 5)
    let message = ''
    try {
      gru.loadStateDict(bad)
    } catch (e) {
      message = (e as Error).message
    }
    expect(message).toContain('Unexpected key(s) in state_dict: "extra"')
    expect(message).toContain('Missing key(s) in state_dict: "bias_hh_l0"')
    expect(message).toContain('size mismatch for weight_hh_l0: copying a param with shape [12, 5] from checkpoint, the shape in current model is [12, 4]')
    expect(gru.weight_hh_l0!.toArray()).toEqual(before)
  })
})
