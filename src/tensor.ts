// The Tensor class: a typed handle around a native (Rust-owned) tensor, with PyTorch's method
// names. All math happens natively; this file shapes arguments and checks their JS types.

import { inspect } from 'node:util'

import { checkDevice, isDeviceString, type Device } from './device.js'
import { native, type NativeTensor } from './native.js'
import { checkJsArray } from './js_heap.js'
import { formatTensor } from './tensor_format.js'
import * as v from './validate.js'

export type DType = 'float32' | 'int64'

/** A number, or arrays of numbers nested to any depth (all rows the same length). */
export type NestedArray = number | readonly NestedArray[]

export type TypedData = Float32Array | Float64Array | Int32Array | BigInt64Array

export interface TensorOptions {
  dtype?: DType
  requiresGrad?: boolean
  /** Where to make the tensor: `'cpu'` (default) or `'cuda:N'` when available. */
  device?: Device
}

export interface BackwardOptions {
  /** Keep the graph so backward can run through it again (PyTorch's `retain_graph`). */
  retainGraph?: boolean
}

const DTYPES: readonly DType[] = ['float32', 'int64']
const dtypeCheck = v.oneOf(DTYPES, { error: 'type' })
// Checked with the options, before any data is made: a missing GPU fails first.
const deviceCheck = (value: unknown, what: string): Device => {
  if (typeof value !== 'string') throw new TypeError(`${what} must be a device string such as 'cpu' or 'cuda:0', got ${v.describe(value)}`)
  return native.checkDevice(value) as Device
}
const TENSOR_OPTIONS = { dtype: dtypeCheck, requiresGrad: v.bool, device: deviceCheck }
const FLOAT_OPTIONS = { dtype: v.oneOf(['float32'] as const, { error: 'type' }), requiresGrad: v.bool, device: deviceCheck }

function checkDtype(op: string, dtype: unknown): DType | undefined {
  return dtype === undefined ? undefined : dtypeCheck(dtype, `${op}(): dtype`)
}

function checkInt(op: string, what: string, value: unknown): number {
  return v.int()(value, `${op}(): ${what}`)
}

function checkNumber(op: string, what: string, value: unknown): number {
  if (typeof value !== 'number') throw new TypeError(`${op}(): ${what} must be a number, got ${v.describe(value)}`)
  return value
}

/** A max/min along a dimension: the addon's `[values, indices]` handles as tensors. */
function valuesAndIndices([values, indices]: unknown[]): [Tensor, Tensor] {
  return [new Tensor(values as NativeTensor), new Tensor(indices as NativeTensor)]
}

function checkBool(op: string, what: string, value: unknown): boolean {
  return v.bool(value, `${op}(): ${what}`)
}

function checkTensor(op: string, what: string, value: unknown): Tensor {
  if (!(value instanceof Tensor)) throw new TypeError(`${op}(): ${what} must be a Tensor, got ${v.describe(value)}`)
  return value
}

/** Accepts `f(2, 3)` and `f([2, 3])` the way PyTorch accepts `f(2, 3)` and `f((2, 3))`. */
function sizeArgs(op: string, args: readonly unknown[]): number[] {
  const list = args.length === 1 && Array.isArray(args[0]) ? (args[0] as unknown[]) : args
  if (list.length > 64) throw new RangeError(`${op}(): at most 64 dimensions are supported, got ${list.length}`)
  return list.map((d, i) => {
    if (typeof d !== 'number' || !Number.isInteger(d)) {
      throw new TypeError(`${op}(): size must be integers, got ${v.describe(d)} at position ${i}`)
    }
    if (!Number.isSafeInteger(d)) throw new RangeError(`${op}(): size ${d} at position ${i} is beyond 2^53 - 1`)
    return d
  })
}

function dimList(op: string, dim: number | readonly number[] | undefined | null): number[] | undefined {
  if (dim === undefined || dim === null) return undefined
  const list = typeof dim === 'number' ? [dim] : dim
  if (!Array.isArray(list)) throw new TypeError(`${op}(): dim must be an integer or an array of integers, got ${v.describe(dim)}`)
  return list.map((d) => checkInt(op, 'dim', d))
}

/**
 * An n-dimensional array of `float32` or `int64` values on a device, with autograd (PyTorch's
 * `torch.Tensor`). Make one with `tensor()` or a creation function (`zeros`, `randn`, `arange`,
 * ...). Operations return new tensors (those ending in `_` work in place), broadcast like NumPy,
 * and record history for `backward()` when an operand requires gradients. Views (`transpose`,
 * `narrow`, `select`, `expand`, ...) share storage with their base. Memory is freed when the
 * tensor is garbage-collected, or at once with `dispose()`.
 * @example
 * ```ts
 * import { tensor } from 'seqtorch'
 * const x = tensor([[1, 2], [3, 4]], { requiresGrad: true })
 * const y = x.mul(x).sum()
 * y.backward()
 * console.log(y.item(), x.grad!.toArray()) // 30 [[2, 4], [6, 8]]
 * console.log(x.shape, x.dtype, x.device, x.transpose(0, 1).isContiguous()) // [2, 2] 'float32' 'cpu' false
 * ```
 */
export class Tensor {
  /** @internal */
  readonly _h: NativeTensor

  /** @internal Use `tensor()` or the creation functions instead. */
  constructor(handle: NativeTensor) {
    if (!(handle instanceof native.NativeTensor)) {
      throw new TypeError(`Tensor(): build tensors with tensor(), zeros(), randn()...; got ${v.describe(handle)}`)
    }
    this._h = handle
  }

  // ----- metadata -----

  /**
   * The size of each dimension (a copy; `[]` for a scalar).
   */
  get shape(): number[] {
    return this._h.shape
  }

  /** How many in-place writes this tensor's data has seen (PyTorch's `_version`). */
  get version(): number {
    return this._h.version
  }

  /**
   * The element type: 'float32' or 'int64'.
   */
  get dtype(): DType {
    return this._h.dtype as DType
  }

  /** Where the data lives: `'cpu'` or `'cuda:N'`. */
  get device(): string {
    return this._h.device
  }

  /** Whether the elements are laid out row-major without gaps (views such as `transpose` are not). */
  isContiguous(): boolean {
    return this._h.isContiguous()
  }

  /** This tensor when contiguous, else a contiguous copy (kept in the graph). */
  contiguous(): Tensor {
    return new Tensor(this._h.contiguous())
  }

  /**
   * The number of dimensions.
   */
  get ndim(): number {
    return this._h.shape.length
  }

  /**
   * The number of elements (the product of the shape).
   */
  numel(): number {
    return this._h.numel()
  }

  /** `size()` is the shape; `size(dim)` one dimension (negative counts from the end). */
  size(): number[]
  size(dim: number): number
  size(dim?: number): number | number[] {
    const shape = this.shape
    if (dim === undefined) return shape
    checkInt('size', 'dim', dim)
    const n = shape.length
    if (dim < -n || dim >= n) {
      throw new RangeError(`Dimension out of range (expected to be in range of [${-n}, ${n - 1}], but got ${dim})`)
    }
    return shape[dim < 0 ? dim + n : dim] as number
  }

  // ----- data -----

  /** The values as nested arrays (a plain number for a 0-d tensor), like PyTorch's `tolist()`. */
  toArray(): NestedArray {
    checkJsArray('toArray', 'a nested array', this.numel())
    return nest(this.data(), this.shape)
  }

  /**
   * The values as a flat typed array copy: Float32Array for float32, Float64Array for int64.
   * int64 values beyond 2^53 throw instead of rounding; `toBigInt64Array()` reads them exactly.
   */
  data(): Float32Array | Float64Array {
    return this.dtype === 'int64' ? this._h.toFloat64Array() : this._h.toFloat32Array()
  }

  /** Every value exactly as a BigInt64Array (float32 values are truncated toward zero). */
  toBigInt64Array(): BigInt64Array {
    return this._h.toBigInt64Array()
  }

  /** The value of a one-element tensor. */
  item(): number {
    return this._h.item()
  }

  // ----- autograd -----

  /**
   * Whether operations on this tensor record history so `backward()` reaches it; set it on leaves.
   */
  get requiresGrad(): boolean {
    return this._h.requiresGrad
  }

  set requiresGrad(flag: boolean) {
    this._h.setRequiresGrad(checkBool('requiresGrad', 'value', flag))
  }

  /** Sets `requiresGrad` in place and returns this tensor (PyTorch's `requires_grad_()`). */
  requiresGrad_(flag = true): this {
    this._h.setRequiresGrad(checkBool('requiresGrad_', 'requires_grad', flag))
    return this
  }

  /**
   * True for tensors made by the user (and for results of operations that need no gradient): only leaves get `.grad`.
   */
  get isLeaf(): boolean {
    return this._h.isLeaf
  }

  /** Name of the node that made this tensor (e.g. `'MulBackward0'`), or null for a leaf. */
  get gradFn(): string | null {
    return this._h.gradFnName
  }

  /** Accumulated gradient of a leaf after `backward()`, or null. */
  get grad(): Tensor | null {
    const g = this._h.grad()
    return g ? new Tensor(g) : null
  }

  set grad(value: Tensor | null) {
    if (value !== null) checkTensor('grad', 'value', value)
    this._h.setGrad(value ? value._h : null)
  }

  /**
   * Computes gradients of this tensor with respect to every leaf that requires grad.
   * `backward()`, `backward(gradient)`, `backward(gradient, { retainGraph })` or `backward({ retainGraph })`.
   */
  backward(gradient?: Tensor | BackwardOptions | null, options?: BackwardOptions): void {
    if (gradient !== undefined && gradient !== null && !(gradient instanceof Tensor)) {
      if (!v.isPlainObject(gradient)) checkTensor('backward', 'gradient', gradient)
      if (options !== undefined) throw new TypeError('backward(): options were given twice')
      options = gradient as BackwardOptions
      gradient = null
    }
    const o = v.options('backward', options, { retainGraph: v.bool })
    this._h.backward(gradient ? gradient._h : null, o.retainGraph ?? false)
  }

  /**
   * This tensor in another dtype or on another device, like PyTorch's `.to()`: `to('int64')`,
   * `to('cuda:0')`, `to('cpu')`. Returns itself when nothing changes; a device copy stays in
   * the graph (gradients flow back to the source device).
   */
  to(target: DType | Device): Tensor {
    if (isDeviceString(target)) {
      const d = checkDevice('to', target)
      return d === this.device ? this : new Tensor(this._h.toDevice(d))
    }
    if (target === undefined || !DTYPES.includes(target as DType)) {
      throw new TypeError(`to(): expected a dtype ('float32', 'int64') or a device ('cpu', 'cuda:N'), got ${v.describe(target)}`)
    }
    const d = target as DType
    return d === this.dtype ? this : new Tensor(this._h.toDtype(d))
  }

  /** `to('cpu')`. */
  cpu(): Tensor {
    return this.to('cpu')
  }

  /** `to('cuda:N')` (the first GPU by default). */
  cuda(index = 0): Tensor {
    return this.to(`cuda:${v.arg('cuda', 'index', index, v.int({ min: 0 }))}`)
  }

  /** `to('float32')`. */
  float(): Tensor {
    return this.to('float32')
  }

  /** `to('int64')`. */
  long(): Tensor {
    return this.to('int64')
  }

  /** A tensor sharing this one's data, cut from the graph. */
  detach(): Tensor {
    return new Tensor(this._h.detach())
  }

  /** A copy of the data that stays in the graph. */
  clone(): Tensor {
    return new Tensor(this._h.cloneTensor())
  }

  /** Frees the native memory now instead of at garbage collection. The tensor is unusable after. */
  dispose(): void {
    this._h.dispose()
  }

  /**
   * Whether `dispose()` freed this tensor's memory (any later use throws).
   */
  get disposed(): boolean {
    return this._h.disposed
  }

  // ----- elementwise (NumPy broadcasting) -----

  /**
   * `this + other`, broadcasting (a number counts as a scalar tensor).
   */
  add(other: Tensor | number): Tensor {
    return this.binary('add', other)
  }

  /**
   * `this - other`, broadcasting.
   */
  sub(other: Tensor | number): Tensor {
    return this.binary('sub', other)
  }

  /**
   * `this * other` elementwise, broadcasting.
   */
  mul(other: Tensor | number): Tensor {
    return this.binary('mul', other)
  }

  /**
   * `this / other` elementwise, broadcasting (true division, float32 result).
   */
  div(other: Tensor | number): Tensor {
    return this.binary('div', other)
  }

  private binary(op: 'add' | 'sub' | 'mul' | 'div', other: Tensor | number): Tensor {
    if (typeof other === 'number') {
      const h = this._h
      switch (op) {
        case 'add':
          return new Tensor(h.addScalar(other))
        case 'sub':
          return new Tensor(h.subScalar(other))
        case 'mul':
          return new Tensor(h.mulScalar(other))
        case 'div':
          return new Tensor(h.divScalar(other))
      }
    }
    if (!(other instanceof Tensor)) {
      throw new TypeError(`${op}(): other must be a Tensor or a number, got ${v.describe(other)}`)
    }
    return new Tensor(this._h[op](other._h))
  }

  /**
   * `-this`.
   */
  neg(): Tensor {
    return new Tensor(this._h.neg())
  }

  /** Elementwise power with a number exponent. */
  pow(exponent: number): Tensor {
    return new Tensor(this._h.pow(checkNumber('pow', 'exponent', exponent)))
  }

  /**
   * Each element limited to `[min, max]` (`torch.clamp`); leave out a bound (or pass `null`)
   * for a one-sided clamp. A NaN element stays NaN, a NaN bound makes every element NaN, and
   * where `min > max` every element becomes `max`. The gradient passes where `min < x < max`
   * (0 at a bound, as PyTorch computes it). int64 tensors give float32.
   * @example
   * ```ts
   * tensor([-2, 0.5, 3]).clamp(-1, 1) // tensor([-1.0000,  0.5000,  1.0000])
   * tensor([-2, 0.5, 3]).clamp(null, 1) // tensor([-2.0000,  0.5000,  1.0000])
   * ```
   */
  clamp(min?: number | null, max?: number | null): Tensor {
    const bound = (what: string, b: unknown) => (b === undefined || b === null ? undefined : checkNumber('clamp', what, b))
    const lo = bound('min', min)
    const hi = bound('max', max)
    if (lo === undefined && hi === undefined) throw new Error("clamp(): at least one of 'min' or 'max' must be given")
    return new Tensor(this._h.clamp(lo, hi))
  }

  /**
   * `exp(x) / sum(exp(x))` along `dim` (`torch.softmax`): each slice along `dim` becomes
   * probabilities summing to 1, e.g. a classifier's logits. Shifted by the slice's maximum, so
   * large values do not overflow; float32 only.
   * @example
   * ```ts
   * tensor([[1, 2, 3]]).softmax(-1) // tensor([[0.0900, 0.2447, 0.6652]])
   * ```
   */
  softmax(dim: number): Tensor {
    return new Tensor(this._h.softmax(checkInt('softmax', 'dim', dim)))
  }

  /**
   * `log(softmax(x))` along `dim`, computed without forming the softmax (`torch.log_softmax`):
   * what `NLLLoss` expects, and exact where the softmax would round to 0.
   * @example
   * ```ts
   * tensor([[0, 100]]).logSoftmax(1) // tensor([[-100.,    0.]])
   * ```
   */
  logSoftmax(dim: number): Tensor {
    return new Tensor(this._h.logSoftmax(checkInt('logSoftmax', 'dim', dim)))
  }

  /** Alias of `clamp` (`torch.clip`). */
  clip(min?: number | null, max?: number | null): Tensor {
    return this.clamp(min, max)
  }

  /** `clamp(min)`: every element at least `min` (`torch.clamp_min`). */
  clampMin(min: number): Tensor {
    return this.clamp(checkNumber('clampMin', 'min', min), null)
  }

  /** `clamp(null, max)`: every element at most `max` (`torch.clamp_max`). */
  clampMax(max: number): Tensor {
    return this.clamp(null, checkNumber('clampMax', 'max', max))
  }

  /**
   * `e^x` elementwise.
   */
  exp(): Tensor {
    return new Tensor(this._h.exp())
  }

  /**
   * Natural logarithm elementwise.
   */
  log(): Tensor {
    return new Tensor(this._h.log())
  }

  /**
   * Logistic sigmoid `1 / (1 + e^-x)` elementwise.
   */
  sigmoid(): Tensor {
    return new Tensor(this._h.sigmoid())
  }

  /**
   * Hyperbolic tangent elementwise.
   */
  tanh(): Tensor {
    return new Tensor(this._h.tanh())
  }

  /**
   * `max(0, x)` elementwise.
   */
  relu(): Tensor {
    return new Tensor(this._h.relu())
  }

  /**
   * Sine elementwise (radians).
   */
  sin(): Tensor {
    return new Tensor(this._h.sin())
  }

  /**
   * Cosine elementwise (radians).
   */
  cos(): Tensor {
    return new Tensor(this._h.cos())
  }

  /**
   * Absolute value elementwise.
   */
  abs(): Tensor {
    return new Tensor(this._h.abs())
  }

  /**
   * Square root elementwise.
   */
  sqrt(): Tensor {
    return this.pow(0.5)
  }

  // ----- products and reductions -----

  /** `torch.matmul`: dot, matrix-vector, matrix-matrix and broadcast batched products. */
  matmul(other: Tensor): Tensor {
    return new Tensor(this._h.matmul(checkTensor('matmul', 'other', other)._h))
  }

  /** Sum of all elements, or over `dim` (one or several), keeping them as size 1 if `keepdim`. */
  sum(dim?: number | readonly number[] | null, keepdim = false): Tensor {
    return new Tensor(this._h.sum(dimList('sum', dim) ?? null, checkBool('sum', 'keepdim', keepdim)))
  }

  /**
   * The mean over `dim` (one or several; all by default), keeping reduced dimensions as size 1 with `keepdim`.
   */
  mean(dim?: number | readonly number[] | null, keepdim = false): Tensor {
    return new Tensor(this._h.mean(dimList('mean', dim) ?? null, checkBool('mean', 'keepdim', keepdim)))
  }

  /** `max()` is the largest element; `max(dim)` gives `[values, indices]` along `dim`. */
  max(): Tensor
  max(dim: number, keepdim?: boolean): [Tensor, Tensor]
  max(dim?: number, keepdim = false): Tensor | [Tensor, Tensor] {
    if (dim === undefined) return new Tensor(this._h.maxAll())
    return valuesAndIndices(this._h.maxDim(checkInt('max', 'dim', dim), checkBool('max', 'keepdim', keepdim)))
  }

  /** int64 index of the maximum over everything, or along `dim`. */
  argmax(dim?: number, keepdim = false): Tensor {
    const d = dim === undefined ? null : checkInt('argmax', 'dim', dim)
    return new Tensor(this._h.argmax(d, checkBool('argmax', 'keepdim', keepdim)))
  }

  /**
   * `min()` is the smallest element; `min(dim)` gives `[values, indices]` along `dim` (the first
   * minimal index; NaN counts as the minimum, as in PyTorch).
   * @example
   * ```ts
   * const [values, indices] = tensor([[3, 1, 2], [0, 5, 0]]).min(1)
   * // values: tensor([1., 0.]), indices: tensor([1, 0])
   * ```
   */
  min(): Tensor
  min(dim: number, keepdim?: boolean): [Tensor, Tensor]
  min(dim?: number, keepdim = false): Tensor | [Tensor, Tensor] {
    if (dim === undefined) return new Tensor(this._h.minAll())
    return valuesAndIndices(this._h.minDim(checkInt('min', 'dim', dim), checkBool('min', 'keepdim', keepdim)))
  }

  /** int64 index of the minimum over everything, or along `dim`. */
  argmin(dim?: number, keepdim = false): Tensor {
    const d = dim === undefined ? null : checkInt('argmin', 'dim', dim)
    return new Tensor(this._h.argmin(d, checkBool('argmin', 'keepdim', keepdim)))
  }

  // ----- shape and indexing -----

  /** New shape with the same elements; one size may be -1. `reshape(4, -1)` or `reshape([4, -1])`. */
  reshape(...shape: number[] | [readonly number[]]): Tensor {
    return new Tensor(this._h.reshape(sizeArgs('reshape', shape)))
  }

  /** Same as `reshape` (storage is always contiguous here). */
  view(...shape: number[] | [readonly number[]]): Tensor {
    return new Tensor(this._h.reshape(sizeArgs('view', shape)))
  }

  /**
   * The elements as one dimension (a view when contiguous).
   */
  flatten(): Tensor {
    return new Tensor(this._h.reshape([-1]))
  }

  /**
   * A view with dimensions `dim0` and `dim1` swapped.
   */
  transpose(dim0: number, dim1: number): Tensor {
    return new Tensor(this._h.transpose(checkInt('transpose', 'dim0', dim0), checkInt('transpose', 'dim1', dim1)))
  }

  /**
   * A view with the dimensions reordered: `x.permute(1, 0, 2)`.
   */
  permute(...dims: number[] | [readonly number[]]): Tensor {
    return new Tensor(this._h.permute(sizeArgs('permute', dims)))
  }

  /** Drops size-1 dimensions (all, or only `dim`). */
  squeeze(dim?: number): Tensor {
    return new Tensor(this._h.squeeze(dim === undefined ? null : checkInt('squeeze', 'dim', dim)))
  }

  /**
   * A view with a dimension of size 1 inserted at `dim`.
   */
  unsqueeze(dim: number): Tensor {
    return new Tensor(this._h.unsqueeze(checkInt('unsqueeze', 'dim', dim)))
  }

  /** Broadcasts to a larger shape; -1 keeps a size. */
  expand(...sizes: number[] | [readonly number[]]): Tensor {
    return new Tensor(this._h.expand(sizeArgs('expand', sizes)))
  }

  /** Index `index` along `dim`, removing that dimension (PyTorch's `x[:, -1]` is `x.select(1, -1)`). */
  select(dim: number, index: number): Tensor {
    return new Tensor(this._h.select(checkInt('select', 'dim', dim), checkInt('select', 'index', index)))
  }

  /** `length` entries of `dim` from `start`. */
  narrow(dim: number, start: number, length: number): Tensor {
    return new Tensor(
      this._h.narrow(checkInt('narrow', 'dim', dim), checkInt('narrow', 'start', start), checkInt('narrow', 'length', length)),
    )
  }

  /** Entries of `dim` picked by an int64 index tensor (or an array of integers), in its order. */
  indexSelect(dim: number, index: Tensor | readonly number[]): Tensor {
    const idx = index instanceof Tensor ? index : tensor(sizeArgs('indexSelect', [index]), { dtype: 'int64' })
    return new Tensor(this._h.indexSelect(checkInt('indexSelect', 'dim', dim), idx._h))
  }

  /** Overwrites this tensor's values with `src` (same shape) without recording history. */
  copy_(src: Tensor): this {
    this._h.copyFrom(checkTensor('copy_', 'src', src)._h)
    return this
  }

  // ----- printing -----

  /**
   * PyTorch's printed form: `tensor([[1., 2.], [3., 4.]], requires_grad=True)`.
   */
  toString(): string {
    if (this.disposed) return 'tensor(<disposed>)'
    const values = this.dtype === 'int64' && this._h.hasUnsafeIntegers() ? this.toBigInt64Array() : this.data()
    return formatTensor(values, this.shape, this.dtype, this.suffix())
  }

  private suffix(): string {
    const fn = this.gradFn
    if (fn) return `grad_fn=<${fn}>`
    return this.requiresGrad ? 'requires_grad=True' : ''
  }

  [inspect.custom](): string {
    return this.toString()
  }
}

function nest(flat: ArrayLike<number>, shape: readonly number[]): NestedArray {
  if (shape.length === 0) return flat[0] as number
  let offset = 0
  const build = (d: number): NestedArray[] => {
    const n = shape[d] as number
    const out: NestedArray[] = new Array(n)
    for (let i = 0; i < n; i++) {
      if (d === shape.length - 1) out[i] = flat[offset++] as number
      else out[i] = build(d + 1)
    }
    return out
  }
  return build(0)
}

// ----- creation -----

/** Flattens nested arrays, checking they are rectangular and hold only numbers. */
function flattenNested(data: NestedArray): { values: number[]; shape: number[] } {
  const shape: number[] = []
  let probe: NestedArray = data
  while (Array.isArray(probe)) {
    // Also stops an array that contains itself.
    if (shape.length === 64) throw new RangeError('tensor(): data is nested more than 64 levels deep')
    shape.push(probe.length)
    if (probe.length === 0) break
    probe = probe[0] as NestedArray
  }
  const values: number[] = []
  const walk = (value: NestedArray, d: number, path: number[]): void => {
    if (d === shape.length) {
      if (typeof value !== 'number') {
        const where = path.length ? ` at [${path.join(', ')}]` : ''
        throw new TypeError(`tensor(): expected numbers, got ${v.describe(value)}${where}`)
      }
      values.push(value)
      return
    }
    if (!Array.isArray(value)) {
      throw new TypeError(`tensor(): expected sequence of length ${shape[d]} at dim ${d}, got ${v.describe(value)}`)
    }
    if (value.length !== shape[d]) {
      throw new RangeError(`tensor(): expected sequence of length ${shape[d]} at dim ${d} (got ${value.length})`)
    }
    for (let i = 0; i < value.length; i++) walk(value[i] as NestedArray, d + 1, [...path, i])
  }
  walk(data, 0, [])
  return { values, shape }
}

function fromValues(values: ArrayLike<number>, shape: number[], dtype: DType): Tensor {
  if (dtype === 'int64') {
    const f64 = values instanceof Float64Array ? values : Float64Array.from(values)
    return new Tensor(native.tensorFromInt64(f64, shape))
  }
  const f32 = values instanceof Float32Array ? values : Float32Array.from(values)
  return new Tensor(native.tensorFromFloat32(f32, shape))
}

/** Applies `device` then `requiresGrad`, so the result is a leaf on the asked-for device. */
function finish(t: Tensor, options: TensorOptions | undefined): Tensor {
  if (options?.device !== undefined && options.device !== t.device) t = new Tensor(t._h.toDevice(options.device))
  if (options?.requiresGrad) t.requiresGrad_(true)
  return t
}

export interface TensorDataOptions extends TensorOptions {
  /** Shape for flat data; defaults to the nesting of arrays (or 1-D for typed arrays). */
  shape?: readonly number[]
}

const DATA_OPTIONS = { ...TENSOR_OPTIONS, shape: v.array(v.int({ min: 0 })) }

/**
 * Makes a tensor from numbers, nested arrays, or a typed array.
 * float32 by default; int64 from `Int32Array`/`BigInt64Array` or `{ dtype: 'int64' }`.
 * A BigInt64Array keeps every int64 value exactly.
 * @example
 * ```ts
 * import { tensor } from 'seqtorch'
 * const a = tensor([[1, 2], [3, 4]]) // float32, [2, 2]
 * const ids = tensor([3, 1, 4], { dtype: 'int64' })
 * const flat = tensor(new Float32Array([1, 2, 3, 4, 5, 6]), { shape: [2, 3] })
 * const w = tensor([0.5, -0.5], { requiresGrad: true })
 * ```
 */
export function tensor(data: NestedArray | TypedData, options?: TensorDataOptions): Tensor {
  const o = v.options('tensor', options, DATA_OPTIONS)
  let dtype = o.dtype
  let values: ArrayLike<number>
  let shape: number[]
  if (data instanceof BigInt64Array) {
    const size = o.shape ?? [data.length]
    if (dtype === undefined || dtype === 'int64') return finish(new Tensor(native.tensorFromBigInt64(data, size)), o)
    values = Float64Array.from(data, (b) => Number(b))
    shape = [data.length]
  } else if (data instanceof Int32Array) {
    values = data
    shape = [data.length]
    dtype ??= 'int64'
  } else if (data instanceof Float32Array || data instanceof Float64Array) {
    values = data
    shape = [data.length]
  } else if (typeof data === 'number' || Array.isArray(data)) {
    const flat = flattenNested(data as NestedArray)
    values = flat.values
    shape = flat.shape
  } else {
    throw new TypeError(`tensor(): data must be a number, a nested array or a typed array, got ${v.describe(data)}`)
  }
  if (o.shape !== undefined) shape = o.shape
  return finish(fromValues(values, shape, dtype ?? 'float32'), o)
}

/** A size as numbers (`zeros(2, 3)`) or an array (`zeros([2, 3])`), then optional `TensorOptions`. */
export type SizeAndOptions = [readonly number[], TensorOptions?] | number[] | [...number[], TensorOptions]

/** Splits `(2, 3)`, `([2, 3])` or `([2, 3], { dtype })` into size and options. */
function sizeAndOptions(op: string, args: readonly unknown[], schema: v.Schema = TENSOR_OPTIONS): [number[], TensorOptions] {
  const last = args[args.length - 1]
  const hasOptions = last !== null && typeof last === 'object' && !Array.isArray(last)
  const sizes = hasOptions ? args.slice(0, -1) : args
  if (hasOptions && sizes.length === 0) throw new TypeError(`${op}(): expected a size before the options`)
  const options = v.options(op, hasOptions ? last : undefined, schema) as TensorOptions
  return [sizeArgs(op, sizes), options]
}

/**
 * Zeros of the given size: `zeros(2, 3)` or `zeros([2, 3], { dtype, device, requiresGrad })`.
 * @example
 * ```ts
 * import { zeros } from 'seqtorch'
 * const h0 = zeros(2, 16, 64) // [layers, batch, hidden]
 * const counts = zeros([10], { dtype: 'int64' })
 * ```
 */
export function zeros(...args: SizeAndOptions): Tensor {
  const [size, options] = sizeAndOptions('zeros', args)
  return finish(new Tensor(native.full(size, 0, options.dtype)), options)
}

/**
 * Ones of the given size: `ones(2, 3)` or `ones([2, 3], options)`.
 * @example
 * ```ts
 * import { ones } from 'seqtorch'
 * const mask = ones(4, 4)
 * ```
 */
export function ones(...args: SizeAndOptions): Tensor {
  const [size, options] = sizeAndOptions('ones', args)
  return finish(new Tensor(native.full(size, 1, options.dtype)), options)
}

/**
 * A tensor of `size` filled with `value`.
 * @example
 * ```ts
 * import { full } from 'seqtorch'
 * const sevens = full([2, 2], 7)
 * ```
 */
export function full(size: readonly number[], value: number, options?: TensorOptions): Tensor {
  const o = v.options('full', options, TENSOR_OPTIONS)
  checkNumber('full', 'fill value', value)
  return finish(new Tensor(native.full(sizeArgs('full', [size]), value, o.dtype)), o)
}

/**
 * Zeros with `t`'s shape, dtype and device (overridable with `options`).
 * @example
 * ```ts
 * import { randn, zerosLike } from 'seqtorch'
 * const x = randn(3, 4)
 * const z = zerosLike(x) // [3, 4] float32 zeros
 * ```
 */
export function zerosLike(t: Tensor, options?: TensorOptions): Tensor {
  const o = v.options('zerosLike', options, TENSOR_OPTIONS)
  return zeros(checkTensor('zerosLike', 'input', t).shape, { dtype: t.dtype, device: t.device as Device, ...o })
}

/**
 * Ones with `t`'s shape, dtype and device (overridable with `options`).
 * @example
 * ```ts
 * import { onesLike, randint } from 'seqtorch'
 * const o = onesLike(randint(10, [5])) // int64 ones, [5]
 * ```
 */
export function onesLike(t: Tensor, options?: TensorOptions): Tensor {
  const o = v.options('onesLike', options, TENSOR_OPTIONS)
  return ones(checkTensor('onesLike', 'input', t).shape, { dtype: t.dtype, device: t.device as Device, ...o })
}

/**
 * Standard normal float32 values.
 * @example
 * ```ts
 * import { randn } from 'seqtorch'
 * const noise = randn(500).mul(0.1)
 * const w = randn([64, 32], { requiresGrad: true })
 * ```
 */
export function randn(...args: SizeAndOptions): Tensor {
  const [size, options] = sizeAndOptions('randn', args, FLOAT_OPTIONS)
  return finish(new Tensor(native.randn(size)), options)
}

/**
 * Uniform float32 values in [0, 1).
 * @example
 * ```ts
 * import { rand } from 'seqtorch'
 * const u = rand(2, 3) // values in [0, 1)
 * ```
 */
export function rand(...args: SizeAndOptions): Tensor {
  const [size, options] = sizeAndOptions('rand', args, FLOAT_OPTIONS)
  return finish(new Tensor(native.rand(size)), options)
}

/**
 * int64 values uniform in [low, high): `randint(high, size)` or `randint(low, high, size)`.
 * @example
 * ```ts
 * import { randint } from 'seqtorch'
 * const tokens = randint(1000, [8, 20]) // int64 in [0, 1000)
 * const dice = randint(1, 7, [10])
 * ```
 */
export function randint(high: number, size: readonly number[]): Tensor
export function randint(low: number, high: number, size: readonly number[]): Tensor
export function randint(a: number, b: number | readonly number[], c?: readonly number[]): Tensor {
  const [low, high, size] = Array.isArray(b) ? [0, a, b as readonly number[]] : [a, b as number, c]
  if (size === undefined) throw new TypeError('randint(): size is required, e.g. randint(0, 10, [4, 5])')
  if (!Array.isArray(size)) throw new TypeError(`randint(): size must be an array of integers, got ${v.describe(size)}`)
  return new Tensor(native.randint(checkInt('randint', 'low', low), checkInt('randint', 'high', high), sizeArgs('randint', [size])))
}

/**
 * `arange(end)`, `arange(start, end)` or `arange(start, end, step)`, end exclusive.
 * int64 when every argument is an integer (as in PyTorch), float32 otherwise.
 * @example
 * ```ts
 * import { arange } from 'seqtorch'
 * console.log(arange(5).toArray(), arange(0, 1, 0.25).toArray()) // [0, 1, 2, 3, 4] [0, 0.25, 0.5, 0.75]
 * ```
 */
export function arange(end: number, options?: TensorOptions): Tensor
export function arange(start: number, end: number, options?: TensorOptions): Tensor
export function arange(start: number, end: number, step: number, options?: TensorOptions): Tensor
export function arange(...args: (number | TensorOptions | undefined)[]): Tensor {
  const last = args[args.length - 1]
  const options = v.options('arange', last !== null && typeof last === 'object' ? args.pop() : undefined, TENSOR_OPTIONS) as TensorOptions
  const nums = args.filter((a) => a !== undefined).map((a, i) => checkNumber('arange', `argument ${i}`, a))
  if (nums.length < 1 || nums.length > 3) throw new TypeError('arange(): expected 1 to 3 numbers')
  const [start, end, step] = nums.length === 1 ? [0, nums[0] as number, 1] : [nums[0] as number, nums[1] as number, nums[2] ?? 1]
  const dtype = options.dtype ?? (nums.every(Number.isInteger) ? 'int64' : 'float32')
  return finish(new Tensor(native.arange(start, end, step, dtype)), options)
}

/**
 * `steps` evenly spaced float32 values from `start` to `end`, both included.
 * @example
 * ```ts
 * import { linspace } from 'seqtorch'
 * const x = linspace(0, 20 * Math.PI, 500).sin()
 * ```
 */
export function linspace(start: number, end: number, steps: number, options?: TensorOptions): Tensor {
  const o = v.options('linspace', options, FLOAT_OPTIONS)
  checkNumber('linspace', 'start', start)
  checkNumber('linspace', 'end', end)
  return finish(new Tensor(native.linspace(start, end, checkInt('linspace', 'steps', steps))), o)
}

function tensorList(op: string, tensors: readonly Tensor[]): NativeTensor[] {
  if (!Array.isArray(tensors)) throw new TypeError(`${op}(): expected an array of Tensors, got ${v.describe(tensors)}`)
  return tensors.map((t, i) => checkTensor(op, `tensors[${i}]`, t)._h)
}

/**
 * Joins tensors along an existing dimension.
 * @example
 * ```ts
 * import { cat, ones, zeros } from 'seqtorch'
 * console.log(cat([zeros(2, 3), ones(1, 3)]).shape, cat([zeros(2, 3), ones(2, 1)], 1).shape) // [3, 3] [2, 4]
 * ```
 */
export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  return new Tensor(native.cat(tensorList('cat', tensors), checkInt('cat', 'dim', dim)))
}

/**
 * Joins equally shaped tensors along a new dimension.
 * @example
 * ```ts
 * import { randn, stack } from 'seqtorch'
 * const steps = [randn(4, 8), randn(4, 8), randn(4, 8)]
 * console.log(stack(steps, 1).shape) // [4, 3, 8]
 * ```
 */
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  return new Tensor(native.stack(tensorList('stack', tensors), checkInt('stack', 'dim', dim)))
}
