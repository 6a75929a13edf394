// nn.Dropout: zeroes elements with probability p in training mode, scaling the rest by 1/(1-p).

import { native } from '../native.js'
import { Tensor } from '../tensor.js'
import { Module } from './module.js'
import * as v from '../validate.js'

/**
 * Zeroes each element with probability `p` in training mode and scales the rest by `1 / (1 - p)`;
 * the identity in evaluation mode (PyTorch's `nn.Dropout`).
 * @example
 * ```ts
 * import { nn, ones } from 'seqtorch'
 * const dropout = new nn.Dropout(0.5)
 * console.log(dropout.forward(ones(6))) // e.g. tensor([2., 0., 2., 2., 0., 0.])
 * dropout.eval()
 * console.log(dropout.forward(ones(6))) // tensor([1., 1., 1., 1., 1., 1.])
 * ```
 */
export class Dropout extends Module {
  /**
   * The probability of zeroing an element.
   */
  readonly p: number

  constructor(p = 0.5) {
    super()
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) {
      throw new RangeError(`dropout probability has to be between 0 and 1, but got ${v.describe(p)}`)
    }
    this.p = p
  }

  forward(input: Tensor): Tensor {
    if (!(input instanceof Tensor)) throw new TypeError('Dropout.forward(): input must be a Tensor')
    return new Tensor(native.dropout(input._h, this.p, this.training))
  }

  override extraRepr(): string {
    return `p=${this.p}, inplace=False`
  }
}
