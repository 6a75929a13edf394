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

/**
 * Mean squared error.
 * @example
 * ```ts
 * import { nn, tensor } from 'seqtorch'
 * console.log(new nn.MSELoss().forward(tensor([1, 2, 3]), tensor([1, 2, 5])).item()) // 1.3333
 * ```
 */
export class MSELoss extends Loss {
  constructor(options?: { reduction?: Reduction }) {
    super(v.options('MSELoss', options, REDUCTION).reduction)
  }
  forward(input: Tensor, target: Tensor): Tensor {
    const [x, y] = this.aligned(...checkPair('MSELoss', input, target))
    return this.call('mse', x, y)
  }
}

/**
 * Mean absolute error.
 * @example
 * ```ts
 * import { nn, tensor } from 'seqtorch'
 * console.log(new nn.L1Loss({ reduction: 'sum' }).forward(tensor([1, 2, 3]), tensor([1, 2, 5])).item()) // 2
 * ```
 */
export class L1Loss extends Loss {
  constructor(options?: { reduction?: Reduction }) {
    super(v.options('L1Loss', options, REDUCTION).reduction)
  }
  forward(input: Tensor, target: Tensor): Tensor {
    const [x, y] = this.aligned(...checkPair('L1Loss', input, target))
    return this.call('l1', x, y)
  }
}

/**
 * Quadratic below `delta`, linear above (default delta 1).
 * @example
 * ```ts
 * import { nn, tensor } from 'seqtorch'
 * console.log(new nn.HuberLoss({ delta: 1 }).forward(tensor([0, 0]), tensor([0.5, 3])).item()) // 1.3125
 * ```
 */
export class HuberLoss extends Loss {
  /**
   * Where the loss turns from quadratic to linear (default 1).
   */
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

/**
 * Binary cross-entropy on probabilities in [0, 1]; logs clamped at -100 like PyTorch.
 * @example
 * ```ts
 * import { nn, tensor } from 'seqtorch'
 * console.log(new nn.BCELoss().forward(tensor([0.9, 0.2]), tensor([1, 0])).item()) // 0.1643
 * ```
 */
export class BCELoss extends Loss {
  /**
   * A rescaling weight per element (broadcast against the input), or null.
   */
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

/**
 * Sigmoid and binary cross-entropy in one numerically stable step; `posWeight` weighs positives per class.
 * @example
 * ```ts
 * import { nn, tensor } from 'seqtorch'
 * const loss = new nn.BCEWithLogitsLoss({ posWeight: tensor([3]) })
 * console.log(loss.forward(tensor([2.0, -1.0]), tensor([1, 0])).item())
 * ```
 */
export class BCEWithLogitsLoss extends Loss {
  /**
   * A rescaling weight per element (broadcast against the input), or null.
   */
  readonly weight: Tensor | null
  /**
   * The weight of positive examples per class (broadcast over the last dimension), or null.
   */
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

/**
 * Cross-entropy on logits [N, C] (or [C]) with int64 class targets; optional label smoothing.
 * @example
 * ```ts
 * import { nn, tensor } from 'seqtorch'
 * const logits = tensor([[2.0, 0.5, -1.0], [0.1, 0.2, 3.0]])
 * const labels = tensor([0, 2], { dtype: 'int64' })
 * console.log(new nn.CrossEntropyLoss({ labelSmoothing: 0.1 }).forward(logits, labels).item())
 * ```
 */
export class CrossEntropyLoss extends Loss {
  /**
   * A weight per class, or null.
   */
  readonly weight: Tensor | null
  /**
   * Targets with this class index add nothing to the loss (default -100).
   */
  readonly ignoreIndex: number
  /**
   * The share of probability mass spread evenly over all classes in the target (default 0).
   */
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

/**
 * Negative log-likelihood on log-probabilities [N, C] with int64 class targets.
 * @example
 * ```ts
 * import { nn, tensor } from 'seqtorch'
 * const logProbs = tensor([[-0.1, -2.4], [-1.9, -0.2]])
 * console.log(new nn.NLLLoss().forward(logProbs, tensor([0, 1], { dtype: 'int64' })).item()) // 0.15
 * ```
 */
export class NLLLoss extends Loss {
  /**
   * A weight per class, or null.
   */
  readonly weight: Tensor | null
  /**
   * Targets with this class index add nothing to the loss (default -100).
   */
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
