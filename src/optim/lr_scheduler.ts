// Learning-rate schedules that write each group's `lr`, as torch.optim.lr_scheduler. Arguments
// and loaded state are checked before anything changes.

import * as v from '../validate.js'
import { Optimizer } from './optimizer.js'

/** Any of seqtorch's optimizers. */
export type AnyOptimizer = Optimizer<{ lr: number }>

export interface LRSchedulerState {
  lastEpoch: number
  baseLrs: number[]
}

function checkOptimizer(op: string, optimizer: unknown): AnyOptimizer {
  if (!(optimizer instanceof Optimizer)) throw new TypeError(`${op}(): optimizer must be an Optimizer, got ${v.describe(optimizer)}`)
  return optimizer as AnyOptimizer
}

abstract class LRScheduler {
  readonly optimizer: AnyOptimizer
  readonly baseLrs: number[]
  lastEpoch = 0

  protected constructor(name: string, optimizer: AnyOptimizer) {
    this.optimizer = checkOptimizer(name, optimizer)
    this.baseLrs = optimizer.paramGroups.map((g) => g.lr)
  }

  /** The learning rate of each group at `epoch`. */
  protected abstract lrAt(epoch: number, base: number): number

  /** Advances one epoch and writes the new learning rates. */
  step(): void {
    this.lastEpoch++
    this.optimizer.paramGroups.forEach((g, i) => (g.lr = this.lrAt(this.lastEpoch, this.baseLrs[i] as number)))
  }

  getLastLr(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr)
  }

  stateDict(): LRSchedulerState {
    return { lastEpoch: this.lastEpoch, baseLrs: [...this.baseLrs] }
  }

  /** Restores `stateDict()`; a malformed state is rejected before anything changes. */
  loadStateDict(sd: LRSchedulerState): void {
    const op = `${this.constructor.name}.loadStateDict`
    if (!v.isPlainObject(sd)) throw new TypeError(`${op}(): expected a state dict object, got ${v.describe(sd)}`)
    const o = v.options(op, sd, { lastEpoch: v.int({ min: 0 }), baseLrs: v.array(v.number({ min: 0 }), { length: this.baseLrs.length }) })
    if (o.lastEpoch === undefined || o.baseLrs === undefined) throw new TypeError(`${op}(): lastEpoch and baseLrs are required`)
    this.lastEpoch = o.lastEpoch
    o.baseLrs.forEach((b, i) => (this.baseLrs[i] = b))
  }
}

/**
 * lr = base * gamma^floor(epoch / stepSize).
 * @example
 * ```ts
 * import { nn, optim } from 'seqtorch'
 * const opt = new optim.SGD(new nn.Linear(4, 1).parameters(), { lr: 0.1 })
 * const schedule = new optim.lrScheduler.StepLR(opt, 30, 0.1) // 0.1 for 30 epochs, then 0.01, ...
 * for (let epoch = 0; epoch < 100; epoch++) {
 *   // ... train one epoch with opt ...
 *   schedule.step()
 * }
 * ```
 */
export class StepLR extends LRScheduler {
  /**
   * Epochs between reductions.
   */
  readonly stepSize: number
  /**
   * The factor applied every `stepSize` epochs (default 0.1).
   */
  readonly gamma: number
  constructor(optimizer: AnyOptimizer, stepSize: number, gamma = 0.1) {
    super('StepLR', optimizer)
    this.stepSize = v.arg('StepLR', 'step_size', stepSize, v.int({ min: 1 }))
    this.gamma = v.arg('StepLR', 'gamma', gamma, v.number())
  }
  protected lrAt(epoch: number, base: number): number {
    return base * this.gamma ** Math.floor(epoch / this.stepSize)
  }
}

/**
 * lr = base * gamma^epoch.
 * @example
 * ```ts
 * import { nn, optim } from 'seqtorch'
 * const opt = new optim.Adam(new nn.Linear(4, 1).parameters(), { lr: 0.01 })
 * const schedule = new optim.lrScheduler.ExponentialLR(opt, 0.95)
 * schedule.step()
 * console.log(schedule.getLastLr()) // [0.0095]
 * ```
 */
export class ExponentialLR extends LRScheduler {
  /**
   * The factor applied every epoch.
   */
  readonly gamma: number
  constructor(optimizer: AnyOptimizer, gamma: number) {
    super('ExponentialLR', optimizer)
    this.gamma = v.arg('ExponentialLR', 'gamma', gamma, v.number())
  }
  protected lrAt(epoch: number, base: number): number {
    return base * this.gamma ** epoch
  }
}

/**
 * Cosine from base down to etaMin over tMax epochs (closed form).
 * @example
 * ```ts
 * import { nn, optim } from 'seqtorch'
 * const opt = new optim.Adam(new nn.Linear(4, 1).parameters(), { lr: 0.01 })
 * const schedule = new optim.lrScheduler.CosineAnnealingLR(opt, 50, 1e-4)
 * ```
 */
export class CosineAnnealingLR extends LRScheduler {
  /**
   * Epochs from the base learning rate down to `etaMin`.
   */
  readonly tMax: number
  /**
   * The lowest learning rate (default 0).
   */
  readonly etaMin: number
  constructor(optimizer: AnyOptimizer, tMax: number, etaMin = 0) {
    super('CosineAnnealingLR', optimizer)
    this.tMax = v.arg('CosineAnnealingLR', 'T_max', tMax, v.number({ gt: 0 }))
    this.etaMin = v.arg('CosineAnnealingLR', 'eta_min', etaMin, v.number({ min: 0 }))
  }
  protected lrAt(epoch: number, base: number): number {
    return this.etaMin + ((base - this.etaMin) * (1 + Math.cos((Math.PI * epoch) / this.tMax))) / 2
  }
}

export interface ReduceLROnPlateauOptions {
  mode?: 'min' | 'max'
  factor?: number
  patience?: number
  threshold?: number
  thresholdMode?: 'rel' | 'abs'
  cooldown?: number
  minLr?: number | number[]
  eps?: number
}

/** The counters `ReduceLROnPlateau` carries between epochs. */
export interface ReduceLROnPlateauState {
  best: number
  numBadEpochs: number
  cooldownCounter: number
  lastEpoch: number
}

const PLATEAU_OPTIONS = {
  mode: v.oneOf(['min', 'max'] as const),
  factor: v.number({ min: 0 }),
  patience: v.int({ min: 0 }),
  threshold: v.number({ min: 0 }),
  thresholdMode: v.oneOf(['rel', 'abs'] as const),
  cooldown: v.int({ min: 0 }),
  minLr: v.either(v.number({ min: 0 }), v.array(v.number({ min: 0 }))),
  eps: v.number({ min: 0 }),
}

/**
 * Multiplies the learning rate by `factor` when a metric stops improving for `patience` epochs.
 * @example
 * ```ts
 * import { nn, optim } from 'seqtorch'
 * const opt = new optim.Adam(new nn.Linear(4, 1).parameters(), { lr: 0.01 })
 * const plateau = new optim.lrScheduler.ReduceLROnPlateau(opt, { factor: 0.5, patience: 2 })
 * for (const valLoss of [0.9, 0.8, 0.8, 0.8, 0.8]) plateau.step(valLoss)
 * console.log(plateau.getLastLr()) // [0.005]
 * ```
 */
export class ReduceLROnPlateau {
  /**
   * The optimizer whose learning rates change.
   */
  readonly optimizer: AnyOptimizer
  /**
   * 'min' (default): a lower metric is better; 'max': a higher one is.
   */
  readonly mode: 'min' | 'max'
  /**
   * What the learning rate is multiplied by on a plateau (default 0.1).
   */
  readonly factor: number
  /**
   * Epochs without improvement tolerated before reducing (default 10).
   */
  readonly patience: number
  /**
   * How much better a metric must be to count as an improvement (default 1e-4).
   */
  readonly threshold: number
  /**
   * Whether `threshold` is relative to the best value ('rel', default) or absolute ('abs').
   */
  readonly thresholdMode: 'rel' | 'abs'
  /**
   * Epochs to wait after a reduction before counting bad epochs again (default 0).
   */
  readonly cooldown: number
  /**
   * The lowest learning rate of each parameter group.
   */
  readonly minLrs: number[]
  /**
   * Changes smaller than this are not applied (default 1e-8).
   */
  readonly eps: number
  /**
   * The best metric seen so far.
   */
  best: number
  /**
   * Epochs since the last improvement.
   */
  numBadEpochs = 0
  /**
   * Epochs of cooldown left.
   */
  cooldownCounter = 0
  /**
   * Epochs stepped so far.
   */
  lastEpoch = 0

  constructor(optimizer: AnyOptimizer, options?: ReduceLROnPlateauOptions) {
    this.optimizer = checkOptimizer('ReduceLROnPlateau', optimizer)
    const o = v.options('ReduceLROnPlateau', options, PLATEAU_OPTIONS)
    this.mode = o.mode ?? 'min'
    this.factor = o.factor ?? 0.1
    if (this.factor >= 1) throw new RangeError('Factor should be < 1.0.')
    this.patience = o.patience ?? 10
    this.threshold = o.threshold ?? 1e-4
    this.thresholdMode = o.thresholdMode ?? 'rel'
    this.cooldown = o.cooldown ?? 0
    const minLr = o.minLr ?? 0
    const groups = optimizer.paramGroups.length
    if (Array.isArray(minLr) && minLr.length !== groups) throw new RangeError(`expected ${groups} min_lrs, got ${minLr.length}`)
    this.minLrs = Array.isArray(minLr) ? [...minLr] : optimizer.paramGroups.map(() => minLr)
    this.eps = o.eps ?? 1e-8
    this.best = this.worst()
  }

  private worst(): number {
    return this.mode === 'min' ? Infinity : -Infinity
  }

  private isBetter(a: number): boolean {
    const { mode, thresholdMode: tm, threshold: t, best } = this
    if (mode === 'min') return tm === 'rel' ? a < best * (1 - t) : a < best - t
    return tm === 'rel' ? a > best * (1 + t) : a > best + t
  }

  /**
   * Records one epoch's metric (a validation loss, say) and reduces the learning rates after a plateau.
   */
  step(metric: number): void {
    v.arg('ReduceLROnPlateau.step', 'metrics', metric, v.number({ infinite: true }))
    this.lastEpoch++
    if (this.isBetter(metric)) {
      this.best = metric
      this.numBadEpochs = 0
    } else {
      this.numBadEpochs++
    }
    if (this.cooldownCounter > 0) {
      this.cooldownCounter--
      this.numBadEpochs = 0
    }
    if (this.numBadEpochs > this.patience) {
      this.optimizer.paramGroups.forEach((g, i) => {
        const next = Math.max(g.lr * this.factor, this.minLrs[i] ?? 0)
        if (g.lr - next > this.eps) g.lr = next
      })
      this.cooldownCounter = this.cooldown
      this.numBadEpochs = 0
    }
  }

  /**
   * The learning rate of each parameter group now.
   */
  getLastLr(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr)
  }

  /**
   * The counters and settings, for `loadStateDict` (resumes exactly).
   */
  stateDict(): ReduceLROnPlateauState {
    return { best: this.best, numBadEpochs: this.numBadEpochs, cooldownCounter: this.cooldownCounter, lastEpoch: this.lastEpoch }
  }

  /** Restores `stateDict()`; a malformed state is rejected before anything changes. */
  loadStateDict(sd: ReduceLROnPlateauState): void {
    const op = 'ReduceLROnPlateau.loadStateDict'
    if (!v.isPlainObject(sd)) throw new TypeError(`${op}(): expected a state dict object, got ${v.describe(sd)}`)
    const counter = v.int({ min: 0 })
    const o = v.options(op, sd, { best: v.number({ infinite: true }), numBadEpochs: counter, cooldownCounter: counter, lastEpoch: counter })
    const missing = ['best', 'numBadEpochs', 'cooldownCounter', 'lastEpoch'].filter((k) => o[k as keyof typeof o] === undefined)
    if (missing.length) throw new TypeError(`${op}(): missing ${missing.join(', ')}`)
    this.best = o.best as number
    this.numBadEpochs = o.numBadEpochs as number
    this.cooldownCounter = o.cooldownCounter as number
    this.lastEpoch = o.lastEpoch as number
  }
}
