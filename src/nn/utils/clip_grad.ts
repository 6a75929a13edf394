// Gradient clipping over many parameters at once, in place.

import { native } from '../../native.js'
import { Tensor } from '../../tensor.js'

function handles(op: string, params: Iterable<Tensor> | Tensor) {
  const list = params instanceof Tensor ? [params] : [...params]
  return list.map((p, i) => {
    if (!(p instanceof Tensor)) throw new TypeError(`${op}(): parameter ${i} is not a Tensor`)
    return p._h
  })
}

/** Scales gradients so their joint norm is at most `maxNorm`; returns the norm before clipping. */
export function clipGradNorm_(
  parameters: Iterable<Tensor> | Tensor,
  maxNorm: number,
  options: { normType?: number; errorIfNonfinite?: boolean } = {},
): number {
  if (typeof maxNorm !== 'number' || Number.isNaN(maxNorm)) throw new TypeError('clipGradNorm_(): maxNorm must be a number')
  return native.clipGradNorm(handles('clipGradNorm_', parameters), maxNorm, options.normType ?? 2, options.errorIfNonfinite ?? false)
}

/** Clamps every gradient element to [-clipValue, clipValue]. */
export function clipGradValue_(parameters: Iterable<Tensor> | Tensor, clipValue: number): void {
  if (typeof clipValue !== 'number' || !(clipValue >= 0)) throw new RangeError('clipGradValue_(): clipValue must be a non-negative number')
  native.clipGradValue(handles('clipGradValue_', parameters), clipValue)
}
