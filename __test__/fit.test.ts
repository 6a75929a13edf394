import { Worker } from 'node:worker_threads'

import { describe, expect, test } from 'vitest'

import { cuda, data, fit, linspace, manualSeed, nn, optim, randn, Tensor } from '../index.js'
import { DEVICES } from './helpers/devices.js'

class Net extends nn.Module {
  lstm = new nn.LSTM(1, 8, { batchFirst: true })
  fc = new nn.Linear(8, 1)
  forward(x: Tensor): Tensor {
    return this.fc.forward(this.lstm.forward(x)[0].select(1, -1))
  }
}

function setup(batchSize = 8) {
  manualSeed(5)
  const [X, y] = data.createSequences(linspace(0, 8 * Math.PI, 200).sin(), 10)
  const ds = new data.TensorDataset(X.unsqueeze(-1), y.unsqueeze(-1))
  const [trainSet, valSet] = data.randomSplit(ds, [0.8, 0.2], { generator: 2 })
  const model = new Net()
  return {
    model,
    train: new data.DataLoader(trainSet!, { batchSize, shuffle: true, generator: 3 }),
    validation: new data.DataLoader(valSet!, { batchSize: 64 }),
    optimizer: new optim.Adam(model.parameters(), { lr: 0.02 }),
    loss: new nn.MSELoss(),
  }
}

describe('fit', () => {
  test('trains, reports per epoch and per batch, and keeps the event loop running', async () => {
    const s = setup()
    let ticks = 0
    const timer = setInterval(() => ticks++, 0)
    const batchLogs: number[] = []
    const epochs: number[] = []
    try {
      const { model: _m, ...opts } = s
      const result = await fit(s.model, { ...opts, epochs: 6, onBatchEnd: (b) => void batchLogs.push(b.loss), onEpochEnd: (e) => void epochs.push(e.epoch) })
      expect(result.stoppedBy).toBe('epochs')
      expect(result.history).toHaveLength(6)
      expect(epochs).toEqual([1, 2, 3, 4, 5, 6])
      expect(batchLogs.length).toBe(6 * s.train.length)
      expect(result.history[5]!.loss).toBeLessThan(result.history[0]!.loss)
      expect(result.history[5]!.valLoss).toBeLessThan(result.history[0]!.valLoss!)
    } finally {
      clearInterval(timer)
    }
    // The timer fired while training ran.
    expect(ticks).toBeGreaterThan(10)
  })

  test.each(DEVICES)('fit({ device: %s }) moves the model and every batch, and trains as on the cpu', async (device) => {
    const cpuRun = setup()
    const { model: _c, ...cpuOpts } = cpuRun
    const want = await fit(cpuRun.model, { ...cpuOpts, epochs: 2 })
    const s = setup()
    const { model: _m, ...opts } = s
    const got = await fit(s.model, { ...opts, epochs: 2, device: device as 'cpu' })
    expect(s.model.fc.weight.device).toBe(device)
    got.history.forEach((h, i) => expect(h.loss).toBeCloseTo(want.history[i]!.loss, 4))
  })

  test('fit({ device }) refuses a device that is not there before training', async () => {
    if (cuda.isAvailable()) return
    const s = setup()
    const { model: _m, ...opts } = s
    const before = s.model.fc.weight.toArray()
    await expect(fit(s.model, { ...opts, epochs: 1, device: 'cuda:0' })).rejects.toThrow(cuda.status().reason!)
    expect(s.model.fc.weight.toArray()).toEqual(before)
    expect(s.model.fc.weight.device).toBe('cpu')
  })

  test('an AbortSignal stops cleanly between batches', async () => {
    const s = setup()
    const controller = new AbortController()
    const { model: _m, ...opts } = s
    const result = await fit(s.model, { ...opts, epochs: 50, signal: controller.signal, onBatchEnd: (b) => (b.batch === 3 ? controller.abort() : undefined) })
    expect(result.stoppedBy).toBe('abort')
    expect(result.history).toHaveLength(0)
    // The model is still usable.
    expect(s.model.forward(randn(2, 10, 1)).shape).toEqual([2, 1])
  })

  test('early stopping restores the best weights', async () => {
    const s = setup()
    // A learning rate this high makes validation loss bounce, so patience runs out.
    s.optimizer.paramGroups[0]!.lr = 0.3
    const { model: _m, ...opts } = s
    const result = await fit(s.model, { ...opts, epochs: 60, earlyStopping: { patience: 2 } })
    expect(result.stoppedBy).toBe('earlyStopping')
    expect(result.history.length).toBeLessThan(60)
    const best = Math.min(...result.history.map((h) => h.valLoss!))
    expect(result.history[result.bestEpoch - 1]!.valLoss).toBe(best)
    let total = 0
    let n = 0
    for (const [x, y] of s.validation) {
      total += s.loss.forward(s.model.forward(x!), y!).item()
      n++
    }
    expect(Math.abs(total / n - best)).toBeLessThan(1e-6)
  })

  test('two workers load the addon and train at the same time', async () => {
    const url = new URL('./helpers/train_worker.mjs', import.meta.url)
    const run = (phase: number) =>
      new Promise<number[]>((resolve, reject) => {
        const w = new Worker(url, { workerData: { phase } })
        w.once('message', resolve)
        w.once('error', reject)
        w.once('exit', (code) => (code !== 0 ? reject(new Error(`worker exited with ${code}`)) : undefined))
      })
    const [a, b] = await Promise.all([run(0), run(1)])
    for (const losses of [a, b]) {
      expect(losses).toHaveLength(4)
      expect(losses[3]!).toBeLessThan(losses[0]!)
    }
  }, 60_000)
})
