// Grad mode: whether operations record history for backward.

import { native } from './native.js'
import * as v from './validate.js'

/**
 * Runs `fn` without recording history (PyTorch's `with torch.no_grad():`), then restores the mode.
 * @example
 * ```ts
 * import { noGrad, randn } from 'seqtorch'
 * const w = randn([3, 1], { requiresGrad: true })
 * const y = noGrad(() => randn(4, 3).matmul(w))
 * console.log(y.requiresGrad) // false
 * ```
 */
export function noGrad<T>(fn: () => T): T {
  v.arg('noGrad', 'fn', fn, v.func)
  const previous = native.setGradEnabled(false)
  try {
    return fn()
  } finally {
    native.setGradEnabled(previous)
  }
}

/**
 * Runs `fn` with history recording on, even inside `noGrad`.
 * @example
 * ```ts
 * import { enableGrad, noGrad, tensor } from 'seqtorch'
 * const x = tensor([1, 2], { requiresGrad: true })
 * const y = noGrad(() => enableGrad(() => x.mul(2)))
 * console.log(y.requiresGrad) // true
 * ```
 */
export function enableGrad<T>(fn: () => T): T {
  v.arg('enableGrad', 'fn', fn, v.func)
  const previous = native.setGradEnabled(true)
  try {
    return fn()
  } finally {
    native.setGradEnabled(previous)
  }
}

/**
 * Whether operations currently record history for `backward()` (false inside `noGrad`).
 * @example
 * ```ts
 * import { isGradEnabled, noGrad } from 'seqtorch'
 * console.log(isGradEnabled(), noGrad(() => isGradEnabled())) // true false
 * ```
 */
export function isGradEnabled(): boolean {
  return native.isGradEnabled()
}
