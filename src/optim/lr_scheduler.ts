// Learning-rate schedules that write each group's `lr`, as torch.optim.lr_scheduler. Arguments
// and loaded state are checked before anything changes.

import * as v from '../validate.js'
import { Optimizer } from './optimizer.js'

type AnyOptimizer = Optimizer<{ lr: number }>

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

/** lr = base * gamma^floor(epoch / stepSize). */
export class StepLR extends LRScheduler {
  readonly stepSize: number
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

/** lr = base * gamma^epoch. */
export class ExponentialLR extends LRScheduler {
  readonly gamma: number
  constructor(optimizer: AnyOptimizer, gamma: number) {
    super('ExponentialLR', optimizer)
    this.gamma = v.arg('ExponentialLR', 'gamma', gamma, v.number())
  }
  protected lrAt(epoch: number, base: number): number {
    return base * this.gamma ** epoch
  }
}

/** Cosine from base down to etaMin over tMax epochs (closed form). */
export class CosineAnnealingLR extends LRScheduler {
  readonly tMax: number
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

/** Multiplies the learning rate by `factor` when a metric stops improving for `patience` epochs. */
export class ReduceLROnPlateau {
  readonly optimizer: AnyOptimizer
  readonly mode: 'min' | 'max'
  readonly factor: number
  readonly patience: number
  readonly threshold: number
  readonly thresholdMode: 'rel' | 'abs'
  readonly cooldown: number
  readonly minLrs: number[]
  readonly eps: number
  best: number
  numBadEpochs = 0
  cooldownCounter = 0
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

  getLastLr(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr)
  }

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
