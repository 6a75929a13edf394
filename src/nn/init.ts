// Parameter initialisation, in place and unrecorded, like torch.nn.init.

import { noGrad } from '../autograd.js'
import { native } from '../native.js'
import { full, rand, randn, Tensor } from '../tensor.js'
import * as v from '../validate.js'

/** The activations `calculateGain` knows (PyTorch's names). */
export type Nonlinearity = 'linear' | 'conv1d' | 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu' | 'selu'
/** Whether Kaiming init preserves the variance of the forward pass ('fan_in') or of the backward pass ('fan_out'). */
export type FanMode = 'fan_in' | 'fan_out'

function check(op: string, t: unknown): Tensor {
  if (!(t instanceof Tensor)) throw new TypeError(`${op}(): expected a Tensor, got ${v.describe(t)}`)
  if (t.dtype !== 'float32') throw new TypeError(`${op}(): expected a float32 tensor, got ${t.dtype}`)
  return t
}

const finite = v.number()
const NONLINEARITIES = ['linear', 'conv1d', 'sigmoid', 'tanh', 'relu', 'leaky_relu', 'selu'] as const
const KAIMING_OPTIONS = { a: finite, mode: v.oneOf(['fan_in', 'fan_out'] as const), nonlinearity: v.oneOf(NONLINEARITIES) }

/**
 * PyTorch's recommended gain for a nonlinearity.
 * @example
 * ```ts
 * import { nn } from 'seqtorch'
 * console.log(nn.init.calculateGain('tanh'), nn.init.calculateGain('leaky_relu', 0.2)) // 1.6667 1.3868
 * ```
 */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  if (param !== undefined) v.arg('calculateGain', 'param', param, finite)
  switch (nonlinearity) {
    case 'linear':
    case 'conv1d':
    case 'sigmoid':
      return 1
    case 'tanh':
      return 5 / 3
    case 'relu':
      return Math.SQRT2
    case 'leaky_relu': {
      const slope = param ?? 0.01
      return Math.sqrt(2 / (1 + slope * slope))
    }
    case 'selu':
      return 3 / 4
    default:
      throw new RangeError(`Unsupported nonlinearity ${v.describe(nonlinearity)}`)
  }
}

/** PyTorch leaves zero-element tensors alone (with a warning) instead of dividing by a zero fan. */
function isEmpty(t: Tensor): boolean {
  if (t.numel() > 0) return false
  process.emitWarning('Initializing zero-element tensors is a no-op', 'UserWarning')
  return true
}

function fans(t: Tensor): [number, number] {
  if (t.ndim < 2) throw new Error('Fan in and fan out can not be computed for tensor with fewer than 2 dimensions')
  const receptive = t.shape.slice(2).reduce((a, b) => a * b, 1)
  return [(t.shape[1] as number) * receptive, (t.shape[0] as number) * receptive]
}

/**
 * Fills with U(a, b).
 * @example
 * ```ts
 * import { nn, zeros } from 'seqtorch'
 * const w = nn.init.uniform_(zeros(3, 4), -0.1, 0.1)
 * ```
 */
export function uniform_(t: Tensor, a = 0, b = 1): Tensor {
  check('uniform_', t)
  v.arg('uniform_', 'a', a, finite)
  v.arg('uniform_', 'b', b, finite)
  if (!(a <= b)) throw new RangeError(`uniform_ expects to return a [from, to) range, but found from=${a} > to=${b}`)
  return noGrad(() => t.copy_(rand(t.shape).mul(b - a).add(a)))
}

/**
 * Fills with N(mean, std).
 * @example
 * ```ts
 * import { nn, zeros } from 'seqtorch'
 * const w = nn.init.normal_(zeros(3, 4), 0, 0.02)
 * ```
 */
export function normal_(t: Tensor, mean = 0, std = 1): Tensor {
  check('normal_', t)
  v.arg('normal_', 'mean', mean, finite)
  v.arg('normal_', 'std', std, finite)
  if (!(std >= 0)) throw new RangeError(`normal expects std >= 0.0, but found std ${std}`)
  return noGrad(() => t.copy_(randn(t.shape).mul(std).add(mean)))
}

/**
 * Fills `t` with `value` in place and returns it.
 * @example
 * ```ts
 * import { nn } from 'seqtorch'
 * const lstm = new nn.LSTM(8, 16)
 * nn.init.constant_(lstm.bias_ih_l0, 0.5)
 * ```
 */
export function constant_(t: Tensor, value: number): Tensor {
  if (!(t instanceof Tensor)) throw new TypeError(`constant_(): expected a Tensor, got ${v.describe(t)}`)
  v.arg('constant_', 'val', value, v.number({ infinite: true }))
  return noGrad(() => t.copy_(full(t.shape, value, { dtype: t.dtype })))
}

/**
 * Fills `t` with zeros in place and returns it.
 * @example
 * ```ts
 * import { nn } from 'seqtorch'
 * const linear = new nn.Linear(4, 2)
 * nn.init.zeros_(linear.bias!)
 * ```
 */
export function zeros_(t: Tensor): Tensor {
  return constant_(t, 0)
}

/**
 * Fills `t` with ones in place and returns it.
 * @example
 * ```ts
 * import { nn, zeros } from 'seqtorch'
 * console.log(nn.init.ones_(zeros(2))) // tensor([1., 1.])
 * ```
 */
export function ones_(t: Tensor): Tensor {
  return constant_(t, 1)
}

/**
 * Glorot uniform: U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)).
 * @example
 * ```ts
 * import { nn } from 'seqtorch'
 * const linear = new nn.Linear(64, 32)
 * nn.init.xavierUniform_(linear.weight, nn.init.calculateGain('tanh'))
 * ```
 */
export function xavierUniform_(t: Tensor, gain = 1): Tensor {
  v.arg('xavierUniform_', 'gain', gain, finite)
  const [fanIn, fanOut] = fans(check('xavierUniform_', t))
  if (isEmpty(t)) return t
  const a = gain * Math.sqrt(6 / (fanIn + fanOut))
  return uniform_(t, -a, a)
}

/**
 * Glorot normal: N(0, gain^2 * 2 / (fan_in + fan_out)).
 * @example
 * ```ts
 * import { nn } from 'seqtorch'
 * nn.init.xavierNormal_(new nn.Linear(64, 32).weight)
 * ```
 */
export function xavierNormal_(t: Tensor, gain = 1): Tensor {
  v.arg('xavierNormal_', 'gain', gain, finite)
  const [fanIn, fanOut] = fans(check('xavierNormal_', t))
  if (isEmpty(t)) return t
  return normal_(t, 0, gain * Math.sqrt(2 / (fanIn + fanOut)))
}

export interface KaimingOptions {
  a?: number
  mode?: FanMode
  nonlinearity?: Nonlinearity
}

/**
 * He uniform: U(-b, b), b = gain * sqrt(3 / fan). Defaults as PyTorch (a=0, fan_in, leaky_relu).
 * @example
 * ```ts
 * import { nn } from 'seqtorch'
 * nn.init.kaimingUniform_(new nn.Linear(64, 32).weight, { nonlinearity: 'relu' })
 * ```
 */
export function kaimingUniform_(t: Tensor, options?: KaimingOptions): Tensor {
  options = v.options('kaimingUniform_', options, KAIMING_OPTIONS)
  const [fanIn, fanOut] = fans(check('kaimingUniform_', t))
  if (isEmpty(t)) return t
  const fan = (options.mode ?? 'fan_in') === 'fan_in' ? fanIn : fanOut
  const gain = calculateGain(options.nonlinearity ?? 'leaky_relu', options.a ?? 0)
  const bound = Math.sqrt(3) * (gain / Math.sqrt(fan))
  return uniform_(t, -bound, bound)
}

/**
 * Fills `t` from N(0, std²) with He et al.'s std for its fan and nonlinearity, in place
 * (`torch.nn.init.kaiming_normal_`).
 * @example
 * ```ts
 * import { nn } from 'seqtorch'
 * nn.init.kaimingNormal_(new nn.Linear(64, 32).weight, { mode: 'fan_out', nonlinearity: 'relu' })
 * ```
 */
export function kaimingNormal_(t: Tensor, options?: KaimingOptions): Tensor {
  options = v.options('kaimingNormal_', options, KAIMING_OPTIONS)
  const [fanIn, fanOut] = fans(check('kaimingNormal_', t))
  if (isEmpty(t)) return t
  const fan = (options.mode ?? 'fan_in') === 'fan_in' ? fanIn : fanOut
  const gain = calculateGain(options.nonlinearity ?? 'leaky_relu', options.a ?? 0)
  return normal_(t, 0, gain / Math.sqrt(fan))
}

/**
 * A (semi-)orthogonal matrix scaled by `gain`, over the tensor viewed as [shape[0], rest].
 * @example
 * ```ts
 * import { nn } from 'seqtorch'
 * const gru = new nn.GRU(32, 64)
 * nn.init.orthogonal_(gru.weight_hh_l0)
 * ```
 */
export function orthogonal_(t: Tensor, gain = 1): Tensor {
  check('orthogonal_', t)
  v.arg('orthogonal_', 'gain', gain, finite)
  if (t.ndim < 2) throw new Error('Only tensors with 2 or more dimensions are supported')
  if (isEmpty(t)) return t
  const rows = t.shape[0] as number
  const q = new Tensor(native.orthogonal(rows, t.numel() / rows, gain))
  return noGrad(() => t.copy_(q.reshape(t.shape)))
}
