// Learning-rate schedules that write each group's `lr`, as torch.optim.lr_scheduler.

import type { Optimizer } from './optimizer.js'

type AnyOptimizer = Optimizer<{ lr: number }>

abstract class LRScheduler {
  readonly optimizer: AnyOptimizer
  readonly baseLrs: number[]
  lastEpoch = 0

  protected constructor(optimizer: AnyOptimizer) {
    this.optimizer = optimizer
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

  stateDict(): { lastEpoch: number; baseLrs: number[] } {
    return { lastEpoch: this.lastEpoch, baseLrs: [...this.baseLrs] }
  }

  loadStateDict(sd: { lastEpoch: number; baseLrs: number[] }): void {
    this.lastEpoch = sd.lastEpoch
    sd.baseLrs.forEach((b, i) => (this.baseLrs[i] = b))
  }
}

/** lr = base * gamma^floor(epoch / stepSize). */
export class StepLR extends LRScheduler {
  constructor(optimizer: AnyOptimizer, readonly stepSize: number, readonly gamma = 0.1) {
    super(optimizer)
    if (!Number.isInteger(stepSize) || stepSize <= 0) throw new RangeError('step_size must be a positive integer')
  }
  protected lrAt(epoch: number, base: number): number {
    return base * this.gamma ** Math.floor(epoch / this.stepSize)
  }
}

/** lr = base * gamma^epoch. */
export class ExponentialLR extends LRScheduler {
  constructor(optimizer: AnyOptimizer, readonly gamma: number) {
    super(optimizer)
  }
  protected lrAt(epoch: number, base: number): number {
    return base * this.gamma ** epoch
  }
}

/** Cosine from base down to etaMin over tMax epochs (closed form). */
export class CosineAnnealingLR extends LRScheduler {
  constructor(optimizer: AnyOptimizer, readonly tMax: number, readonly etaMin = 0) {
    super(optimizer)
    if (!(tMax > 0)) throw new RangeError('T_max must be positive')
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

  constructor(optimizer: AnyOptimizer, options: ReduceLROnPlateauOptions = {}) {
    this.optimizer = optimizer
    this.mode = options.mode ?? 'min'
    this.factor = options.factor ?? 0.1
    if (this.factor >= 1) throw new RangeError('Factor should be < 1.0.')
    this.patience = options.patience ?? 10
    this.threshold = options.threshold ?? 1e-4
    this.thresholdMode = options.thresholdMode ?? 'rel'
    this.cooldown = options.cooldown ?? 0
    const minLr = options.minLr ?? 0
    this.minLrs = Array.isArray(minLr) ? [...minLr] : optimizer.paramGroups.map(() => minLr)
    this.eps = options.eps ?? 1e-8
    this.best = this.mode === 'min' ? Infinity : -Infinity
  }

  private isBetter(a: number): boolean {
    const { mode, thresholdMode: tm, threshold: t, best } = this
    if (mode === 'min') return tm === 'rel' ? a < best * (1 - t) : a < best - t
    return tm === 'rel' ? a > best * (1 + t) : a > best + t
  }

  step(metric: number): void {
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
}
