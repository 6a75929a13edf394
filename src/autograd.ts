// Grad mode: whether operations record history for backward.

import { native } from './native.js'
import * as v from './validate.js'

/** Runs `fn` without recording history (PyTorch's `with torch.no_grad():`), then restores the mode. */
export function noGrad<T>(fn: () => T): T {
  v.arg('noGrad', 'fn', fn, v.func)
  const previous = native.setGradEnabled(false)
  try {
    return fn()
  } finally {
    native.setGradEnabled(previous)
  }
}

/** Runs `fn` with history recording on, even inside `noGrad`. */
export function enableGrad<T>(fn: () => T): T {
  v.arg('enableGrad', 'fn', fn, v.func)
  const previous = native.setGradEnabled(true)
  try {
    return fn()
  } finally {
    native.setGradEnabled(previous)
  }
}

export function isGradEnabled(): boolean {
  return native.isGradEnabled()
}
