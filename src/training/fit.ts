// fit(): a training loop that keeps Node responsive. It yields to the event loop between
// batches (timers, I/O and UI keep running), stops cleanly on an AbortSignal, and can stop
// early when the validation loss stops improving (restoring the best weights).

import { checkDevice, type Device } from '../device.js'
import { noGrad } from '../autograd.js'
import type { Module } from '../nn/module.js'
import { clipGradNorm_ } from '../nn/utils/clip_grad.js'
import { Optimizer } from '../optim/optimizer.js'
import { Tensor } from '../tensor.js'
import * as v from '../validate.js'

/** Something iterable over `[input, target]` batches, such as a DataLoader. */
export type Batches = Iterable<Tensor[]>

export interface EpochLog {
  epoch: number
  /** Mean training loss over the epoch's batches. */
  loss: number
  /** Mean validation loss, when validation data was given. */
  valLoss?: number
  /** Seconds the epoch took. */
  seconds: number
}

export interface BatchLog {
  epoch: number
  batch: number
  /** Batches per epoch, when the source knows its length (a DataLoader does). */
  batches: number | undefined
  loss: number
}

export interface EarlyStopping {
  /** Epochs without improvement before stopping (default 5). */
  patience?: number
  /** Smallest decrease that counts as an improvement (default 0). */
  minDelta?: number
  /** Put back the weights of the best epoch when stopping (default true). */
  restoreBest?: boolean
}

export interface FitOptions {
  train: Batches
  validation?: Batches
  optimizer: Optimizer<{ lr: number }>
  /** A loss module or function of (prediction, target). */
  loss: { forward(prediction: Tensor, target: Tensor): Tensor } | ((prediction: Tensor, target: Tensor) => Tensor)
  epochs: number
  signal?: AbortSignal
  earlyStopping?: EarlyStopping
  /** Clip the gradient norm to this value before each step. */
  clipGradNorm?: number
  onEpochEnd?: (log: EpochLog) => void | Promise<void>
  onBatchEnd?: (log: BatchLog) => void | Promise<void>
  /** Train on this device: the model is moved there (in place) before the first epoch and
   * every batch is moved as it is drawn. Default: where the model already is. */
  device?: Device
}

export interface FitResult {
  history: EpochLog[]
  /** Why training ended. */
  stoppedBy: 'epochs' | 'abort' | 'earlyStopping'
  /** The epoch with the lowest validation loss (or training loss without validation). */
  bestEpoch: number
}

/** A model `fit` can train: a `Module` whose `forward` maps an input batch to a prediction. */
export type Forwardable = Module & { forward(input: Tensor): Tensor }

const iterable: v.Check<Batches> = (value, where) => {
  if (value === null || typeof value !== 'object' || typeof (value as Partial<Batches>)[Symbol.iterator] !== 'function') {
    throw new TypeError(`${where} must be iterable over [input, target] batches (a DataLoader), got ${v.describe(value)}`)
  }
  return value as Batches
}

const lossCheck: v.Check<FitOptions['loss']> = (value, where) => {
  if (typeof value === 'function') return value as FitOptions['loss']
  if (value !== null && typeof value === 'object' && typeof (value as { forward?: unknown }).forward === 'function') {
    return value as FitOptions['loss']
  }
  throw new TypeError(`${where} must be a loss module or a function (prediction, target) => Tensor, got ${v.describe(value)}`)
}

const signalCheck: v.Check<AbortSignal> = (value, where) => {
  if (!(value instanceof AbortSignal)) throw new TypeError(`${where} must be an AbortSignal, got ${v.describe(value)}`)
  return value
}

const EARLY_STOPPING = { patience: v.int({ min: 1 }), minDelta: v.number({ min: 0 }), restoreBest: v.bool }

const OPTIONS = {
  train: iterable,
  validation: iterable,
  optimizer: ((value: unknown, where: string) => {
    if (!(value instanceof Optimizer)) throw new TypeError(`${where} must be an Optimizer, got ${v.describe(value)}`)
    return value
  }) as v.Check<FitOptions['optimizer']>,
  loss: lossCheck,
  epochs: v.int({ min: 0 }),
  signal: signalCheck,
  earlyStopping: ((value: unknown) => v.options('fit.earlyStopping', value, EARLY_STOPPING)) as v.Check<EarlyStopping>,
  clipGradNorm: v.number({ gt: 0, infinite: true }),
  onEpochEnd: v.func as v.Check<NonNullable<FitOptions['onEpochEnd']>>,
  onBatchEnd: v.func as v.Check<NonNullable<FitOptions['onBatchEnd']>>,
  // Checked with the options, before any training: a missing GPU fails first.
  device: ((value: unknown, where: string) => checkDevice(where, value)) as v.Check<Device>,
}

function checkBatch(batch: unknown, epoch: number): [Tensor, Tensor] {
  if (!Array.isArray(batch) || batch.length < 2 || !(batch[0] instanceof Tensor) || !(batch[1] instanceof Tensor)) {
    throw new TypeError(`fit(): each batch must be [input, target] Tensors; epoch ${epoch} gave ${v.describe(batch)}`)
  }
  return [batch[0], batch[1]]
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

function lossFn(loss: FitOptions['loss']): (p: Tensor, t: Tensor) => Tensor {
  return typeof loss === 'function' ? loss : (p, t) => loss.forward(p, t)
}

function evaluate(model: Forwardable, batches: Batches, loss: (p: Tensor, t: Tensor) => Tensor, place: (t: Tensor) => Tensor): number {
  const wasTraining = model.training
  model.eval()
  let total = 0
  let count = 0
  noGrad(() => {
    for (const batch of batches) {
      const [x, y] = checkBatch(batch, 0)
      total += loss(model.forward(place(x)), place(y)).item()
      count++
    }
  })
  model.train(wasTraining)
  return count ? total / count : NaN
}

/**
 * Trains `model` for `epochs`, asynchronously; resolves with the loss history.
 * @example
 * ```ts
 * import { data, fit, nn, optim, randn } from 'seqtorch'
 * const model = new nn.Sequential(new nn.Linear(4, 16), new nn.ReLU(), new nn.Linear(16, 1))
 * const [x, y] = [randn(256, 4), randn(256, 1)]
 * const [train, validation] = data.randomSplit(new data.TensorDataset(x, y), [0.8, 0.2])
 * const result = await fit(model, {
 *   train: new data.DataLoader(train!, { batchSize: 32, shuffle: true }),
 *   validation: new data.DataLoader(validation!, { batchSize: 64 }),
 *   optimizer: new optim.Adam(model.parameters(), { lr: 1e-3 }),
 *   loss: new nn.MSELoss(),
 *   epochs: 20,
 *   earlyStopping: { patience: 3 },
 *   onEpochEnd: (log) => console.log(log.epoch, log.loss, log.valLoss),
 * })
 * console.log(result.stoppedBy, result.bestEpoch)
 * ```
 */
export async function fit(model: Forwardable, options: FitOptions): Promise<FitResult> {
  if (!(model instanceof Object) || typeof (model as Partial<Forwardable>).forward !== 'function' || typeof model.train !== 'function') {
    throw new TypeError(`fit(): model must be a Module with forward(), got ${v.describe(model)}`)
  }
  if (options === undefined) throw new TypeError('fit(): options { train, optimizer, loss, epochs } are required')
  const o = v.options('fit', options, OPTIONS)
  for (const key of ['train', 'optimizer', 'loss', 'epochs'] as const) {
    if (o[key] === undefined) throw new TypeError(`fit(): option '${key}' is required`)
  }
  options = o as FitOptions
  const { optimizer, epochs, signal, device } = options
  const loss = lossFn(options.loss)
  if (device !== undefined) model.to(device)
  // Batches come from host data (a DataLoader): moved per batch, a no-op on the same device.
  const place = (t: Tensor): Tensor => (device === undefined ? t : t.to(device))
  const history: EpochLog[] = []
  const es = options.earlyStopping
  const patience = es?.patience ?? 5
  const minDelta = es?.minDelta ?? 0
  let best = Infinity
  let bestEpoch = 0
  let bestState: Record<string, Tensor> | null = null
  let sinceBest = 0

  for (let epoch = 1; epoch <= epochs; epoch++) {
    if (signal?.aborted) return { history, stoppedBy: 'abort', bestEpoch }
    const started = performance.now()
    model.train()
    // Batches are drawn one at a time, so an epoch never holds more than one in memory.
    const batches = (options.train as { length?: number }).length
    let total = 0
    let count = 0
    for (const batch of options.train) {
      const [x, y] = checkBatch(batch, epoch)
      count++
      optimizer.zeroGrad()
      const l = loss(model.forward(place(x)), place(y))
      l.backward()
      if (options.clipGradNorm !== undefined) clipGradNorm_(model.parameters(), options.clipGradNorm)
      optimizer.step()
      const value = l.item()
      total += value
      await options.onBatchEnd?.({ epoch, batch: count, batches, loss: value })
      await yieldToEventLoop()
      if (signal?.aborted) return { history, stoppedBy: 'abort', bestEpoch }
    }
    const log: EpochLog = { epoch, loss: count ? total / count : NaN, seconds: (performance.now() - started) / 1000 }
    if (options.validation) log.valLoss = evaluate(model, options.validation, loss, place)
    history.push(log)
    await options.onEpochEnd?.(log)

    const monitored = log.valLoss ?? log.loss
    if (monitored < best - minDelta) {
      best = monitored
      bestEpoch = epoch
      sinceBest = 0
      if (es && (es.restoreBest ?? true)) bestState = Object.fromEntries(Object.entries(model.stateDict()).map(([k, v]) => [k, v.clone()]))
    } else if (es && ++sinceBest >= patience) {
      if (bestState) model.loadStateDict(bestState)
      return { history, stoppedBy: 'earlyStopping', bestEpoch }
    }
  }
  return { history, stoppedBy: 'epochs', bestEpoch }
}
