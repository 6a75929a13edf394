// fit(): a training loop that keeps Node responsive. It yields to the event loop between
// batches (timers, I/O and UI keep running), stops cleanly on an AbortSignal, and can stop
// early when the validation loss stops improving (restoring the best weights).

import { noGrad } from '../autograd.js'
import type { Module } from '../nn/module.js'
import { clipGradNorm_ } from '../nn/utils/clip_grad.js'
import type { Optimizer } from '../optim/optimizer.js'
import { Tensor } from '../tensor.js'

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
}

export interface FitResult {
  history: EpochLog[]
  /** Why training ended. */
  stoppedBy: 'epochs' | 'abort' | 'earlyStopping'
  /** The epoch with the lowest validation loss (or training loss without validation). */
  bestEpoch: number
}

type Forwardable = Module & { forward(input: Tensor): Tensor }

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

function lossFn(loss: FitOptions['loss']): (p: Tensor, t: Tensor) => Tensor {
  return typeof loss === 'function' ? loss : (p, t) => loss.forward(p, t)
}

function evaluate(model: Forwardable, batches: Batches, loss: (p: Tensor, t: Tensor) => Tensor): number {
  const wasTraining = model.training
  model.eval()
  let total = 0
  let count = 0
  noGrad(() => {
    for (const [x, y] of batches) {
      total += loss(model.forward(x as Tensor), y as Tensor).item()
      count++
    }
  })
  model.train(wasTraining)
  return count ? total / count : NaN
}

/** Trains `model` for `epochs`, asynchronously; resolves with the loss history. */
export async function fit(model: Forwardable, options: FitOptions): Promise<FitResult> {
  const { optimizer, epochs, signal } = options
  if (!Number.isInteger(epochs) || epochs < 0) throw new RangeError(`fit(): epochs must be a non-negative integer, got ${epochs}`)
  const loss = lossFn(options.loss)
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
    for (const [x, y] of options.train) {
      count++
      optimizer.zeroGrad()
      const l = loss(model.forward(x as Tensor), y as Tensor)
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
    if (options.validation) log.valLoss = evaluate(model, options.validation, loss)
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
