import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { expect, test } from 'vitest'

import { data, linspace, load, manualSeed, nn, optim, preprocessing, save, Tensor } from '../index.js'

class Forecaster extends nn.Module {
  lstm = new nn.LSTM(1, 16, { batchFirst: true })
  fc = new nn.Linear(16, 1)
  forward(x: Tensor): Tensor {
    const [out] = this.lstm.forward(x)
    return this.fc.forward(out.select(1, -1))
  }
}

function batches(): Tensor[][] {
  const series = linspace(0, 6 * Math.PI, 200).sin().reshape(-1, 1)
  const scaled = new preprocessing.MinMaxScaler().fitTransform(series)
  const [X, y] = data.createSequences(scaled, 10)
  return [...new data.DataLoader(new data.TensorDataset(X, y), { batchSize: 16, shuffle: true, generator: 3 })]
}

function step(model: Forecaster, opt: optim.Optimizer<{ lr: number }>, [xb, yb]: Tensor[]): number {
  opt.zeroGrad()
  const loss = new nn.MSELoss().forward(model.forward(xb!), yb!)
  loss.backward()
  opt.step()
  return loss.item()
}

test('train, save, reload and resume: the next loss equals an uninterrupted run', async () => {
  manualSeed(11)
  const model = new Forecaster()
  const opt = new optim.Adam(model.parameters(), { lr: 0.01 })
  const bs = batches()
  const losses = bs.slice(0, 8).map((b) => step(model, opt, b))
  expect(losses[7]!).toBeLessThan(losses[0]!)

  const dir = mkdtempSync(join(tmpdir(), 'seqtorch-train-'))
  await save(model.stateDict(), join(dir, 'model.safetensors'))
  const optState = opt.stateDict()
  const uninterrupted = step(model, opt, bs[8]!)

  manualSeed(999)
  const restored = new Forecaster()
  restored.loadStateDict(await load(join(dir, 'model.safetensors')))
  const opt2 = new optim.Adam(restored.parameters(), { lr: 0.5 })
  opt2.loadStateDict(optState)
  const resumed = step(restored, opt2, bs[8]!)
  expect(resumed).toBe(uninterrupted)
  // And the next one too: parameters and optimizer moments match exactly.
  expect(step(restored, opt2, bs[9]!)).toBe(step(model, opt, bs[9]!))
})

test('the same seed and thread count give bit-identical losses', async () => {
  const { setNumThreads, getNumThreads } = await import('../index.js')
  const initial = getNumThreads()
  const run = () => {
    manualSeed(21)
    const model = new Forecaster()
    const opt = new optim.Adam(model.parameters(), { lr: 0.01 })
    return batches().slice(0, 6).map((b) => step(model, opt, b))
  }
  try {
    for (const threads of [1, 2]) {
      setNumThreads(threads)
      const a = run()
      const b = run()
      expect(b).toEqual(a)
    }
  } finally {
    setNumThreads(initial)
  }
})
