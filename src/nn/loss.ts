// Loss modules. Each computes in one fused native node; `reduction` is 'mean' (default),
// 'sum' or 'none', as in PyTorch.

import { native } from '../native.js'
import { Tensor } from '../tensor.js'
import { Module } from './module.js'
import * as v from '../validate.js'

export type Reduction = 'mean' | 'sum' | 'none'

function torchSize(shape: readonly number[]): string {
  return `torch.Size([${shape.join(', ')}])`
}

function checkReduction(r: unknown): Reduction {
  if (r === undefined) return 'mean'
  if (r !== 'mean' && r !== 'sum' && r !== 'none') throw new RangeError(`${typeof r === 'string' ? r : v.describe(r)} is not a valid value for reduction`)
  return r
}

const tensorCheck = v.instance(Tensor, 'a Tensor')
const REDUCTION = { reduction: checkReduction as v.Check<Reduction> }
const WEIGHTED = { ...REDUCTION, weight: tensorCheck }
const CLASS_OPTIONS = { ...WEIGHTED, ignoreIndex: v.int() }

function checkPair(name: string, input: unknown, target: unknown): [Tensor, Tensor] {
  if (!(input instanceof Tensor) || !(target instanceof Tensor)) throw new TypeError(`${name}.forward(): input and target must be Tensors`)
  return [input, target]
}

function floatData(name: string, w: Tensor): Float32Array {
  if (w.dtype !== 'float32') throw new TypeError(`${name} must be a float32 tensor, got ${w.dtype}`)
  return w.data() as Float32Array
}

/** Per-element weights broadcast to the input's shape, as the flat array the kernel wants. */
function broadcastData(name: string, w: Tensor | null, shape: readonly number[]): Float32Array | undefined {
  if (!w) return undefined
  return floatData(name, w.expand(shape as number[]))
}

abstract class Loss extends Module {
  readonly reduction: Reduction

  constructor(reduction: Reduction | undefined) {
    super()
    this.reduction = checkReduction(reduction)
  }

  protected call(kind: string, input: Tensor, target: Tensor, extra: Record<string, unknown> = {}): Tensor {
    return new Tensor(native.loss(kind, input._h, target._h, { reduction: this.reduction, ...extra }))
  }

  /** Regression losses broadcast mismatched shapes with PyTorch's warning. */
  protected aligned(input: Tensor, target: Tensor): [Tensor, Tensor] {
    if (input.shape.join() === target.shape.join()) return [input, target]
    process.emitWarning(
      `Using a target size (${torchSize(target.shape)}) that is different to the input size (${torchSize(input.shape)}). This will likely lead to incorrect results due to broadcasting. Please ensure they have the same size.`,
      'UserWarning',
    )
    const shape = broadcastShape(input.shape, target.shape)
    return [input.expand(shape), target.expand(shape)]
  }

  abstract override forward(input: Tensor, target: Tensor): Tensor

  override extraRepr(): string {
    return ''
  }
}

function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length)
  const out: number[] = []
  for (let i = 0; i < n; i++) {
    const da = a[i - (n - a.length)] ?? 1
    const db = b[i - (n - b.length)] ?? 1
    if (da !== db && da !== 1 && db !== 1) {
      throw new Error(`The size of tensor a (${da}) must match the size of tensor b (${db}) at non-singleton dimension ${i}`)
    }
    out.push(da === 1 ? db : da)
  }
  return out
}

/** Mean squared error. */
export class MSELoss extends Loss {
  constructor(options?: { reduction?: Reduction }) {
    super(v.options('MSELoss', options, REDUCTION).reduction)
  }
  forward(input: Tensor, target: Tensor): Tensor {
    const [x, y] = this.aligned(...checkPair('MSELoss', input, target))
    return this.call('mse', x, y)
  }
}

/** Mean absolute error. */
export class L1Loss extends Loss {
  constructor(options?: { reduction?: Reduction }) {
    super(v.options('L1Loss', options, REDUCTION).reduction)
  }
  forward(input: Tensor, target: Tensor): Tensor {
    const [x, y] = this.aligned(...checkPair('L1Loss', input, target))
    return this.call('l1', x, y)
  }
}

/** Quadratic below `delta`, linear above (default delta 1). */
export class HuberLoss extends Loss {
  readonly delta: number
  constructor(options?: { reduction?: Reduction; delta?: number }) {
    const o = v.options('HuberLoss', options, { ...REDUCTION, delta: v.number({ infinite: true }) })
    super(o.reduction)
    this.delta = o.delta ?? 1
    if (!(this.delta > 0)) throw new RangeError('huber_loss does not support non-positive values for delta.')
  }
  forward(input: Tensor, target: Tensor): Tensor {
    const [x, y] = this.aligned(...checkPair('HuberLoss', input, target))
    return this.call('huber', x, y, { delta: this.delta })
  }
}

/** Binary cross-entropy on probabilities in [0, 1]; logs clamped at -100 like PyTorch. */
export class BCELoss extends Loss {
  readonly weight: Tensor | null
  constructor(options?: { reduction?: Reduction; weight?: Tensor }) {
    const o = v.options('BCELoss', options, WEIGHTED)
    super(o.reduction)
    this.weight = o.weight ?? null
  }
  forward(input: Tensor, target: Tensor): Tensor {
    const [x, y] = checkPair('BCELoss', input, target)
    if (x.shape.join() !== y.shape.join()) {
      throw new Error(
        `Using a target size (${torchSize(y.shape)}) that is different to the input size (${torchSize(x.shape)}) is deprecated. Please ensure they have the same size.`,
      )
    }
    return this.call('bce', x, y, { weight: broadcastData('BCELoss weight', this.weight, x.shape) })
  }
}

/** Sigmoid and binary cross-entropy in one numerically stable step; `posWeight` weighs positives per class. */
export class BCEWithLogitsLoss extends Loss {
  readonly weight: Tensor | null
  readonly posWeight: Tensor | null
  constructor(options?: { reduction?: Reduction; weight?: Tensor; posWeight?: Tensor }) {
    const o = v.options('BCEWithLogitsLoss', options, { ...WEIGHTED, posWeight: tensorCheck })
    super(o.reduction)
    this.weight = o.weight ?? null
    this.posWeight = o.posWeight ?? null
  }
  forward(input: Tensor, target: Tensor): Tensor {
    const [x, y] = checkPair('BCEWithLogitsLoss', input, target)
    if (x.shape.join() !== y.shape.join()) {
      throw new Error(`Target size (${torchSize(y.shape)}) must be the same as input size (${torchSize(x.shape)})`)
    }
    return this.call('bce_with_logits', x, y, {
      weight: broadcastData('BCEWithLogitsLoss weight', this.weight, x.shape),
      posWeight: broadcastData('BCEWithLogitsLoss pos_weight', this.posWeight, x.shape),
    })
  }
}

export interface ClassLossOptions {
  reduction?: Reduction
  /** Per-class weights [C]. */
  weight?: Tensor
  /** Targets equal to this are skipped (default -100). */
  ignoreIndex?: number
}

/** Cross-entropy on logits [N, C] (or [C]) with int64 class targets; optional label smoothing. */
export class CrossEntropyLoss extends Loss {
  readonly weight: Tensor | null
  readonly ignoreIndex: number
  readonly labelSmoothing: number
  constructor(options?: ClassLossOptions & { labelSmoothing?: number }) {
    const o = v.options('CrossEntropyLoss', options, { ...CLASS_OPTIONS, labelSmoothing: v.number() })
    super(o.reduction)
    this.weight = o.weight ?? null
    this.ignoreIndex = o.ignoreIndex ?? -100
    this.labelSmoothing = o.labelSmoothing ?? 0
    if (!(this.labelSmoothing >= 0 && this.labelSmoothing <= 1)) {
      throw new RangeError(`label_smoothing must be between 0.0 and 1.0. Got: ${this.labelSmoothing}`)
    }
  }
  forward(input: Tensor, target: Tensor): Tensor {
    const [x, y] = checkPair('CrossEntropyLoss', input, target)
    return this.call('cross_entropy', x, y, {
      weight: this.weight ? floatData('CrossEntropyLoss weight', this.weight) : undefined,
      ignoreIndex: this.ignoreIndex,
      labelSmoothing: this.labelSmoothing,
    })
  }
}

/** Negative log-likelihood on log-probabilities [N, C] with int64 class targets. */
export class NLLLoss extends Loss {
  readonly weight: Tensor | null
  readonly ignoreIndex: number
  constructor(options?: ClassLossOptions) {
    const o = v.options('NLLLoss', options, CLASS_OPTIONS)
    super(o.reduction)
    this.weight = o.weight ?? null
    this.ignoreIndex = o.ignoreIndex ?? -100
  }
  forward(input: Tensor, target: Tensor): Tensor {
    const [x, y] = checkPair('NLLLoss', input, target)
    return this.call('nll', x, y, {
      weight: this.weight ? floatData('NLLLoss weight', this.weight) : undefined,
      ignoreIndex: this.ignoreIndex,
    })
  }
}
