// Gradient clipping over many parameters at once, in place.

import { native } from '../../native.js'
import { Tensor } from '../../tensor.js'
import * as v from '../../validate.js'

function handles(op: string, params: Iterable<Tensor> | Tensor) {
  if (!(params instanceof Tensor) && (params === null || typeof (params as Partial<Iterable<Tensor>>)?.[Symbol.iterator] !== 'function')) {
    throw new TypeError(`${op}(): parameters must be a Tensor or an iterable of Tensors, got ${v.describe(params)}`)
  }
  const list = params instanceof Tensor ? [params] : [...params]
  return list.map((p, i) => {
    if (!(p instanceof Tensor)) throw new TypeError(`${op}(): parameter ${i} is not a Tensor, got ${v.describe(p)}`)
    return p._h
  })
}

const NORM_OPTIONS = { normType: v.number({ infinite: true }), errorIfNonfinite: v.bool }

/**
 * Scales gradients so their joint norm is at most `maxNorm`; returns the norm before clipping.
 * @example
 * ```ts
 * import { nn, randn } from 'seqtorch'
 * const lstm = new nn.LSTM(4, 8)
 * const [out] = lstm.forward(randn(5, 2, 4))
 * out.pow(2).sum().backward()
 * const normBefore = nn.utils.clipGradNorm_(lstm.parameters(), 1.0)
 * ```
 */
export function clipGradNorm_(
  parameters: Iterable<Tensor> | Tensor,
  maxNorm: number,
  options?: { normType?: number; errorIfNonfinite?: boolean },
): number {
  v.arg('clipGradNorm_', 'maxNorm', maxNorm, v.number({ infinite: true }))
  const o = v.options('clipGradNorm_', options, NORM_OPTIONS)
  return native.clipGradNorm(handles('clipGradNorm_', parameters), maxNorm, o.normType ?? 2, o.errorIfNonfinite ?? false)
}

/**
 * Clamps every gradient element to [-clipValue, clipValue].
 * @example
 * ```ts
 * import { nn, randn } from 'seqtorch'
 * const fc = new nn.Linear(4, 1)
 * fc.forward(randn(8, 4)).sum().backward()
 * nn.utils.clipGradValue_(fc.parameters(), 0.5)
 * ```
 */
export function clipGradValue_(parameters: Iterable<Tensor> | Tensor, clipValue: number): void {
  v.arg('clipGradValue_', 'clipValue', clipValue, v.number({ min: 0, infinite: true }))
  native.clipGradValue(handles('clipGradValue_', parameters), clipValue)
}
