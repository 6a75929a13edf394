// nn.Linear: y = x W^T + b over any leading dimensions.

import { native } from '../native.js'
import { Tensor, zeros } from '../tensor.js'
import { uniform_ } from './init.js'
import { Module } from './module.js'
import { Parameter } from './parameter.js'
import * as v from '../validate.js'

/**
 * `y = x W^T + b` over the last dimension (PyTorch's `nn.Linear`), with PyTorch's initialisation
 * (uniform in ±1/sqrt(inFeatures)).
 * @example
 * ```ts
 * import { nn, randn } from 'seqtorch'
 * const fc = new nn.Linear(32, 1)
 * console.log(fc.forward(randn(16, 32)).shape, fc.weight.shape) // [16, 1] [1, 32]
 * ```
 */
export class Linear extends Module {
  /**
   * Size of each input's last dimension.
   */
  readonly inFeatures: number
  /**
   * Size of each output's last dimension.
   */
  readonly outFeatures: number
  /**
   * The weight, [outFeatures, inFeatures].
   */
  weight: Parameter
  /**
   * The bias, [outFeatures], or null when built with `bias: false`.
   */
  bias: Parameter | null

  /** Weight [outFeatures, inFeatures] and bias [outFeatures], both U(-1/sqrt(in), 1/sqrt(in)) as in PyTorch. */
  constructor(inFeatures: number, outFeatures: number, options?: { bias?: boolean }) {
    super()
    this.inFeatures = v.arg('Linear', 'in_features', inFeatures, v.int({ min: 0 }))
    this.outFeatures = v.arg('Linear', 'out_features', outFeatures, v.int({ min: 0 }))
    const o = v.options('Linear', options, { bias: v.bool })
    const bound = inFeatures > 0 ? 1 / Math.sqrt(inFeatures) : 0
    this.weight = new Parameter(uniform_(zeros(outFeatures, inFeatures), -bound, bound))
    this.bias = o.bias === false ? null : new Parameter(uniform_(zeros(outFeatures), -bound, bound))
  }

  forward(input: Tensor): Tensor {
    if (!(input instanceof Tensor)) throw new TypeError('Linear.forward(): input must be a Tensor')
    return new Tensor(native.linear(input._h, this.weight._h, this.bias ? this.bias._h : null))
  }

  override extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${this.bias ? 'True' : 'False'}`
  }
}
