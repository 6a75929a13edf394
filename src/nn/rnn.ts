// Recurrent layers with PyTorch's constructor arguments, parameter names, shapes, gate order
// and initialisation. Each forward is one native call over the whole stack and sequence.

import { native, type NativeTensor } from '../native.js'
import { Tensor, zeros } from '../tensor.js'
import { uniform_ } from './init.js'
import { Module } from './module.js'
import { Parameter } from './parameter.js'
import { RecurrentStream } from './stream.js'
import { PackedSequence } from './utils/rnn.js'
import * as v from '../validate.js'

/** Which recurrence a layer runs (PyTorch's `mode` names). */
export type Mode = 'RNN_TANH' | 'RNN_RELU' | 'LSTM' | 'GRU'

export interface RNNBaseOptions {
  /** Stacked layers (default 1). */
  numLayers?: number
  /** Use bias_ih and bias_hh (default true). */
  bias?: boolean
  /** Input and output as [batch, seq, feature] instead of [seq, batch, feature]. */
  batchFirst?: boolean
  /** Dropout on the outputs of each layer but the last, in training mode (default 0). */
  dropout?: number
  bidirectional?: boolean
}

export interface RNNOptions extends RNNBaseOptions {
  nonlinearity?: 'tanh' | 'relu'
}

export interface LSTMOptions extends RNNBaseOptions {
  /** Project hidden states to this size (0 disables; must be below hiddenSize). */
  projSize?: number
}

function pyBool(b: boolean): string {
  return b ? 'True' : 'False'
}

function checkSize(name: string, v: unknown, allowZero = false): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    throw new TypeError(`${name} should be of type int, got: ${typeof v === 'number' ? 'float' : typeof v}`)
  }
  if (v < 0 || (!allowZero && v === 0)) throw new RangeError(`${name} must be greater than zero`)
  return v
}

const BASE_OPTIONS = {
  numLayers: v.int(),
  bias: v.bool,
  batchFirst: v.bool,
  dropout: v.number({ infinite: true }),
  bidirectional: v.bool,
}
const nonlinearity = v.oneOf(['tanh', 'relu'] as const, {
  message: (x) => `Unknown nonlinearity '${typeof x === 'string' ? x : v.describe(x)}'. Select from 'tanh' or 'relu'.`,
})
const RNN_OPTIONS = { ...BASE_OPTIONS, nonlinearity }

/** PyTorch's message for proj_size on the layers without projections. */
function noProjection(options: unknown): unknown {
  if (v.isPlainObject(options) && options.projSize !== undefined) {
    throw new Error('proj_size argument is only supported for LSTM, not RNN or GRU')
  }
  return options
}
const LSTM_OPTIONS = { ...BASE_OPTIONS, projSize: v.int() }
const CELL_OPTIONS = { bias: v.bool }
const RNN_CELL_OPTIONS = { bias: v.bool, nonlinearity }

/** Shared machinery of RNN, LSTM and GRU. */
abstract class RNNBase extends Module {
  /** Parameters under PyTorch's names: `weight_ih_l0`, `bias_hh_l1_reverse`, `weight_hr_l0`, ... */
  [param: `weight_${string}` | `bias_${string}`]: Parameter
  readonly mode: Mode
  readonly inputSize: number
  readonly hiddenSize: number
  readonly numLayers: number
  readonly bias: boolean
  readonly batchFirst: boolean
  readonly dropout: number
  readonly bidirectional: boolean
  readonly projSize: number
  /** @internal The configuration as the core holds it, checked once. */
  protected readonly _native: InstanceType<typeof native.NativeRnn>
  /** @internal The weights' field names, in the order the core takes them. */
  private readonly _weightNames: readonly string[]

  protected constructor(mode: Mode, inputSize: number, hiddenSize: number, options: LSTMOptions) {
    super()
    this.mode = mode
    this.inputSize = checkSize('input_size', inputSize)
    this.hiddenSize = checkSize('hidden_size', hiddenSize)
    this.numLayers = checkSize('num_layers', options.numLayers ?? 1)
    this.bias = options.bias ?? true
    this.batchFirst = options.batchFirst ?? false
    this.bidirectional = options.bidirectional ?? false
    this.projSize = checkSize('proj_size', options.projSize ?? 0, true)
    const dropout = options.dropout ?? 0
    if (!(dropout >= 0 && dropout <= 1)) {
      throw new RangeError('dropout should be a number in range [0, 1] representing the probability of an element being zeroed')
    }
    this.dropout = dropout
    this._native = new native.NativeRnn(this.nativeOptions())
    if (dropout > 0 && this.numLayers === 1) {
      process.emitWarning(
        `dropout option adds dropout after all but last recurrent layer, so non-zero dropout expects num_layers greater than 1, but got dropout=${dropout} and num_layers=1`,
        'UserWarning',
      )
    }
    // Names, shapes and order come from the core (which also refuses, before listing any,
    // weights that together pass the memory ceiling).
    const stdv = 1 / Math.sqrt(this.hiddenSize)
    const self = this as unknown as Record<string, Parameter>
    const specs = native.rnnWeightSpecs(this.nativeOptions(), false)
    for (const { name, shape } of specs) {
      const p = new Parameter(zeros(shape))
      uniform_(p, -stdv, stdv)
      self[name] = p
    }
    this._weightNames = specs.map((s) => s.name)
  }

  /** @internal */
  nativeOptions() {
    return {
      mode: this.mode,
      inputSize: this.inputSize,
      hiddenSize: this.hiddenSize,
      numLayers: this.numLayers,
      bias: this.bias,
      batchFirst: this.batchFirst,
      dropout: this.dropout,
      bidirectional: this.bidirectional,
      projSize: this.projSize,
    }
  }

  /** Every weight in PyTorch's order (`_flat_weights`), read from the fields on each call so a
   * reassigned parameter is the one used. */
  get allWeights(): Parameter[] {
    const self = this as unknown as Record<string, unknown>
    return this._weightNames.map((name) => {
      const p = self[name]
      if (!(p instanceof Tensor)) throw new TypeError(`${this.constructor.name}: weight '${name}' must be a Parameter, got ${v.describe(p)}`)
      return p as Parameter
    })
  }

  /** Kept for PyTorch compatibility; weights are always used in place. */
  flattenParameters(): void {}

  /** @internal */
  protected run(input: Tensor | PackedSequence, h0: Tensor | null, c0: Tensor | null): [Tensor | PackedSequence, Tensor, Tensor | null] {
    const packed = input instanceof PackedSequence ? input : null
    if (!packed && !(input instanceof Tensor)) {
      throw new TypeError(`${this.constructor.name}.forward(): input must be a Tensor or a PackedSequence`)
    }
    for (const [name, t] of [['hx', h0], ['cx', c0]] as const) {
      if (t !== null && !(t instanceof Tensor)) throw new TypeError(`${this.constructor.name}.forward(): ${name} must be a Tensor`)
    }
    // Packed batches were sorted by length: states follow the same order in, and back out.
    const sorted = packed?.sortedIndices ?? null
    if (sorted) {
      h0 = h0 && h0.indexSelect(1, sorted)
      c0 = c0 && c0.indexSelect(1, sorted)
    }
    const data = packed ? packed.data : (input as Tensor)
    const outs = this._native.forward(
      data._h,
      packed ? packed.batchSizesArray() : null,
      h0?._h ?? null,
      c0?._h ?? null,
      this.allWeights.map((w) => w._h),
      this.training,
    ) as NativeTensor[]
    let hN = new Tensor(outs[1] as NativeTensor)
    let cN = outs[2] ? new Tensor(outs[2]) : null
    const unsorted = packed?.unsortedIndices ?? null
    if (unsorted) {
      hN = hN.indexSelect(1, unsorted)
      cN = cN && cN.indexSelect(1, unsorted)
    }
    const output = new Tensor(outs[0] as NativeTensor)
    return [packed ? new PackedSequence(output, packed.batchSizes, packed.sortedIndices, packed.unsortedIndices) : output, hN, cN]
  }

  /**
   * @internal One time step through every layer: `input` is [batch, inputSize] or
   * [inputSize] (no time dimension, whatever `batchFirst` says); returns the last layer's
   * output [batch, D*out] (or [D*out]) and the new states.
   */
  protected stepOnce(input: unknown, h0: unknown, c0: unknown): [Tensor, Tensor, Tensor | null] {
    const name = `${this.constructor.name}.step()`
    if (this.bidirectional) {
      throw new Error(`${name}: a bidirectional layer also reads the sequence backwards, so it cannot be streamed one step at a time; call forward() on the whole sequence`)
    }
    if (!(input instanceof Tensor)) throw new TypeError(`${name}: input must be a Tensor, got ${v.describe(input)}`)
    for (const [what, t] of [['hx', h0], ['cx', c0]] as const) {
      if (t !== null && t !== undefined && !(t instanceof Tensor)) throw new TypeError(`${name}: ${what} must be a Tensor, got ${v.describe(t)}`)
    }
    const outs = this._native.step(
      input._h,
      (h0 as Tensor | null | undefined)?._h ?? null,
      (c0 as Tensor | null | undefined)?._h ?? null,
      this.allWeights.map((w) => w._h),
      this.training,
    ) as NativeTensor[]
    return [new Tensor(outs[0] as NativeTensor), new Tensor(outs[1] as NativeTensor), outs[2] ? new Tensor(outs[2]) : null]
  }

  override extraRepr(): string {
    let s = `${this.inputSize}, ${this.hiddenSize}`
    if (this.projSize !== 0) s += `, proj_size=${this.projSize}`
    if (this.numLayers !== 1) s += `, num_layers=${this.numLayers}`
    if (!this.bias) s += `, bias=${pyBool(this.bias)}`
    if (this.batchFirst) s += `, batch_first=${pyBool(this.batchFirst)}`
    if (this.dropout !== 0) s += `, dropout=${this.dropout}`
    if (this.bidirectional) s += `, bidirectional=${pyBool(this.bidirectional)}`
    return s
  }
}

/**
 * Elman RNN: h_t = tanh(W_ih x_t + b_ih + W_hh h_(t-1) + b_hh) (or ReLU).
 * Input [T, B, inputSize] ([B, T, inputSize] with batchFirst, [T, inputSize] unbatched) or a
 * PackedSequence; `forward` returns `[output, hN]` with output [T, B, D*hiddenSize] and hN
 * [numLayers*D, B, hiddenSize], D = 2 when bidirectional.
 * @example
 * ```ts
 * import { nn, randn } from 'seqtorch'
 * const rnn = new nn.RNN(10, 20, { numLayers: 2, nonlinearity: 'tanh' })
 * const [output, hN] = rnn.forward(randn(5, 3, 10)) // [seq, batch, features]
 * console.log(output.shape, hN.shape) // [5, 3, 20] [2, 3, 20]
 * ```
 */
export class RNN extends RNNBase {
  /**
   * The activation of the recurrence: 'tanh' (default) or 'relu'.
   */
  readonly nonlinearity: 'tanh' | 'relu'

  constructor(inputSize: number, hiddenSize: number, options?: RNNOptions) {
    const o = v.options('RNN', noProjection(options), RNN_OPTIONS)
    const nonlinearity = o.nonlinearity ?? 'tanh'
    super(nonlinearity === 'tanh' ? 'RNN_TANH' : 'RNN_RELU', inputSize, hiddenSize, o)
    this.nonlinearity = nonlinearity
  }

  forward(input: Tensor, hx?: Tensor | null): [Tensor, Tensor]
  forward(input: PackedSequence, hx?: Tensor | null): [PackedSequence, Tensor]
  forward(input: Tensor | PackedSequence, hx: Tensor | null = null): [Tensor | PackedSequence, Tensor] {
    const [out, hN] = this.run(input, hx, null)
    return [out, hN]
  }

  /**
   * One time step for streaming: `input` [batch, inputSize] or [inputSize], `hx` as in
   * `forward` (zeros when omitted). Returns `[output, hN]`, output [batch, hiddenSize].
   */
  step(input: Tensor, hx: Tensor | null = null): [Tensor, Tensor] {
    const [y, hN] = this.stepOnce(input, hx, null)
    return [y, hN]
  }

  /** A stream that carries the state between `step` calls (see `RecurrentStream`). */
  stream(state: Tensor | null = null): RecurrentStream<Tensor> {
    return new RecurrentStream<Tensor>(this, state)
  }

  override extraRepr(): string {
    const s = super.extraRepr()
    return this.nonlinearity === 'relu' ? `${s}, nonlinearity=relu` : s
  }
}

/**
 * LSTM with PyTorch's gate order (i, f, g, o) and optional projection (`projSize`).
 * `forward(input, [h0, c0]?)` returns `[output, [hN, cN]]`; with projSize P, output and hN use
 * P features and cN keeps hiddenSize.
 * @example
 * ```ts
 * import { nn, randn } from 'seqtorch'
 * const lstm = new nn.LSTM(10, 20, { batchFirst: true, bidirectional: true })
 * const [output, [hN, cN]] = lstm.forward(randn(3, 5, 10)) // [batch, seq, features]
 * console.log(output.shape, hN.shape, cN.shape) // [3, 5, 40] [2, 3, 20] [2, 3, 20]
 * ```
 */
export class LSTM extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, options?: LSTMOptions) {
    super('LSTM', inputSize, hiddenSize, v.options('LSTM', options, LSTM_OPTIONS))
  }

  forward(input: Tensor, hx?: readonly [Tensor, Tensor] | null): [Tensor, [Tensor, Tensor]]
  forward(input: PackedSequence, hx?: readonly [Tensor, Tensor] | null): [PackedSequence, [Tensor, Tensor]]
  forward(input: Tensor | PackedSequence, hx: readonly [Tensor, Tensor] | null = null): [Tensor | PackedSequence, [Tensor, Tensor]] {
    if (hx !== null && (!Array.isArray(hx) || hx.length !== 2)) {
      throw new TypeError('LSTM.forward(): hx must be the pair [h0, c0]')
    }
    const [out, hN, cN] = this.run(input, hx ? hx[0] : null, hx ? hx[1] : null)
    return [out, [hN, cN as Tensor]]
  }

  /**
   * One time step for streaming: `input` [batch, inputSize] or [inputSize], `hx` the pair
   * `[h, c]` as in `forward` (zeros when omitted). Returns `[output, [hN, cN]]`.
   */
  step(input: Tensor, hx: readonly [Tensor, Tensor] | null = null): [Tensor, [Tensor, Tensor]] {
    if (hx !== null && hx !== undefined && (!Array.isArray(hx) || hx.length !== 2)) {
      throw new TypeError('LSTM.step(): hx must be the pair [h, c]')
    }
    const [y, hN, cN] = this.stepOnce(input, hx ? hx[0] : null, hx ? hx[1] : null)
    return [y, [hN, cN as Tensor]]
  }

  /** A stream that carries `[h, c]` between `step` calls (see `RecurrentStream`). */
  stream(state: readonly [Tensor, Tensor] | null = null): RecurrentStream<readonly [Tensor, Tensor]> {
    return new RecurrentStream<readonly [Tensor, Tensor]>(this, state)
  }
}

/**
 * GRU with PyTorch's gate order (r, z, n), where r scales (W_hn h + b_hn).
 * `forward(input, h0?)` returns `[output, hN]`.
 * @example
 * ```ts
 * import { nn, randn, zeros } from 'seqtorch'
 * const gru = new nn.GRU(10, 20, { numLayers: 2 })
 * const [output, hN] = gru.forward(randn(5, 3, 10), zeros(2, 3, 20))
 * console.log(output.shape, hN.shape) // [5, 3, 20] [2, 3, 20]
 * ```
 */
export class GRU extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, options?: RNNBaseOptions) {
    super('GRU', inputSize, hiddenSize, v.options('GRU', noProjection(options), BASE_OPTIONS))
  }

  forward(input: Tensor, hx?: Tensor | null): [Tensor, Tensor]
  forward(input: PackedSequence, hx?: Tensor | null): [PackedSequence, Tensor]
  forward(input: Tensor | PackedSequence, hx: Tensor | null = null): [Tensor | PackedSequence, Tensor] {
    const [out, hN] = this.run(input, hx, null)
    return [out, hN]
  }

  /**
   * One time step for streaming: `input` [batch, inputSize] or [inputSize], `hx` as in
   * `forward` (zeros when omitted). Returns `[output, hN]`.
   */
  step(input: Tensor, hx: Tensor | null = null): [Tensor, Tensor] {
    const [y, hN] = this.stepOnce(input, hx, null)
    return [y, hN]
  }

  /** A stream that carries the state between `step` calls (see `RecurrentStream`). */
  stream(state: Tensor | null = null): RecurrentStream<Tensor> {
    return new RecurrentStream<Tensor>(this, state)
  }
}

// ----- cells: one step, same kernels (a one-step, one-layer stack) -----

export interface RNNCellOptions {
  bias?: boolean
  nonlinearity?: 'tanh' | 'relu'
}

abstract class RNNCellBase extends Module {
  readonly inputSize: number
  readonly hiddenSize: number
  readonly bias: boolean
  declare weight_ih: Parameter
  declare weight_hh: Parameter
  declare bias_ih?: Parameter
  declare bias_hh?: Parameter
  /** @internal The cell as the core sees it: a one-layer, one-direction stack. */
  private readonly _native: InstanceType<typeof native.NativeRnn>

  protected constructor(
    private readonly cellMode: Mode,
    inputSize: number,
    hiddenSize: number,
    bias: boolean,
  ) {
    super()
    this.inputSize = checkSize('input_size', inputSize)
    this.hiddenSize = checkSize('hidden_size', hiddenSize)
    this.bias = bias
    this._native = new native.NativeRnn(this.cellOptions())
    const stdv = 1 / Math.sqrt(this.hiddenSize)
    const self = this as unknown as Record<string, Parameter>
    for (const { name, shape } of native.rnnWeightSpecs(this.cellOptions(), true)) {
      self[name] = uniform_(new Parameter(zeros(shape)), -stdv, stdv) as Parameter
    }
  }

  /** The cell as the core sees it: a one-layer, one-direction stack. */
  private cellOptions() {
    return {
      mode: this.cellMode,
      inputSize: this.inputSize,
      hiddenSize: this.hiddenSize,
      numLayers: 1,
      bias: this.bias,
      batchFirst: false,
      dropout: 0,
      bidirectional: false,
      projSize: 0,
    }
  }

  private checkInput(input: unknown): Tensor {
    const name = this.constructor.name
    if (!(input instanceof Tensor)) throw new TypeError(`${name}.forward(): input must be a Tensor`)
    if (input.ndim !== 1 && input.ndim !== 2) throw new Error(`${name}: Expected input to be 1D or 2D, got ${input.ndim}D instead`)
    const got = input.shape[input.ndim - 1]
    if (got !== this.inputSize) throw new Error(`input has inconsistent input_size: got ${got} expected ${this.inputSize}`)
    return input
  }

  private checkHidden(input: Tensor, hx: unknown, which: string): Tensor {
    if (!(hx instanceof Tensor)) throw new TypeError(`${this.constructor.name}.forward(): ${which} must be a Tensor`)
    if (hx.ndim !== input.ndim) {
      throw new Error(`${this.constructor.name}: Expected ${which} to be ${input.ndim}D to match the ${input.ndim}D input, got ${hx.ndim}D instead`)
    }
    const suffix = which === 'cx' ? '1' : '0'
    if (input.ndim === 2 && hx.shape[0] !== input.shape[0]) {
      throw new Error(`Input batch size ${input.shape[0]} doesn't match hidden${suffix} batch size ${hx.shape[0]}`)
    }
    const got = hx.shape[hx.ndim - 1]
    if (got !== this.hiddenSize) throw new Error(`hidden${suffix} has inconsistent hidden_size: got ${got}, expected ${this.hiddenSize}`)
    return hx
  }

  /** @internal One step as a one-layer, one-step stack: `[h', c'?]`. */
  protected step(input: unknown, hx: unknown, cx: unknown): [Tensor, Tensor | null] {
    const x = this.checkInput(input)
    const h = hx === null || hx === undefined ? null : this.checkHidden(x, hx, 'hx')
    const c = cx === null || cx === undefined ? null : this.checkHidden(x, cx, 'cx')
    const weights = [this.weight_ih, this.weight_hh, ...(this.bias ? [this.bias_ih as Parameter, this.bias_hh as Parameter] : [])]
    const outs = this._native.cellStep(
      x._h,
      h ? h._h : null,
      c ? c._h : null,
      weights.map((w) => w._h),
    ) as NativeTensor[]
    return [new Tensor(outs[0] as NativeTensor), outs[1] ? new Tensor(outs[1]) : null]
  }

  override extraRepr(): string {
    let s = `${this.inputSize}, ${this.hiddenSize}`
    if (!this.bias) s += `, bias=${pyBool(this.bias)}`
    return s
  }
}

/**
 * One Elman step: `forward(input [B, I] or [I], hx?)` returns h' [B, H].
 * @example
 * ```ts
 * import { nn, randn } from 'seqtorch'
 * const cell = new nn.RNNCell(10, 20)
 * let h = cell.forward(randn(3, 10))
 * for (let t = 0; t < 4; t++) h = cell.forward(randn(3, 10), h)
 * console.log(h.shape) // [3, 20]
 * ```
 */
export class RNNCell extends RNNCellBase {
  /**
   * The activation of the recurrence: 'tanh' (default) or 'relu'.
   */
  readonly nonlinearity: 'tanh' | 'relu'

  constructor(inputSize: number, hiddenSize: number, options?: RNNCellOptions) {
    const o = v.options('RNNCell', options, RNN_CELL_OPTIONS)
    const nonlinearity = o.nonlinearity ?? 'tanh'
    super(nonlinearity === 'tanh' ? 'RNN_TANH' : 'RNN_RELU', inputSize, hiddenSize, o.bias ?? true)
    this.nonlinearity = nonlinearity
  }

  forward(input: Tensor, hx: Tensor | null = null): Tensor {
    return this.step(input, hx, null)[0]
  }

  override extraRepr(): string {
    const s = super.extraRepr()
    return this.nonlinearity === 'relu' ? `${s}, nonlinearity=relu` : s
  }
}

/**
 * One LSTM step: `forward(input, [h, c]?)` returns `[h', c']`.
 * @example
 * ```ts
 * import { nn, randn } from 'seqtorch'
 * const cell = new nn.LSTMCell(10, 20)
 * let state = cell.forward(randn(3, 10))
 * state = cell.forward(randn(3, 10), state)
 * const [h, c] = state
 * console.log(h.shape, c.shape) // [3, 20] [3, 20]
 * ```
 */
export class LSTMCell extends RNNCellBase {
  constructor(inputSize: number, hiddenSize: number, options?: { bias?: boolean }) {
    super('LSTM', inputSize, hiddenSize, v.options('LSTMCell', options, CELL_OPTIONS).bias ?? true)
  }

  forward(input: Tensor, hx: readonly [Tensor, Tensor] | null = null): [Tensor, Tensor] {
    if (hx !== null && (!Array.isArray(hx) || hx.length !== 2)) throw new TypeError('LSTMCell.forward(): hx must be the pair [h, c]')
    const [h, c] = this.step(input, hx ? hx[0] : null, hx ? hx[1] : null)
    return [h, c as Tensor]
  }
}

/**
 * One GRU step: `forward(input, hx?)` returns h'.
 * @example
 * ```ts
 * import { nn, randn } from 'seqtorch'
 * const cell = new nn.GRUCell(10, 20)
 * const h = cell.forward(randn(3, 10), cell.forward(randn(3, 10)))
 * console.log(h.shape) // [3, 20]
 * ```
 */
export class GRUCell extends RNNCellBase {
  constructor(inputSize: number, hiddenSize: number, options?: { bias?: boolean }) {
    super('GRU', inputSize, hiddenSize, v.options('GRUCell', options, CELL_OPTIONS).bias ?? true)
  }

  forward(input: Tensor, hx: Tensor | null = null): Tensor {
    return this.step(input, hx, null)[0]
  }
}
