// nn.Linear: y = x W^T + b over any leading dimensions.

import { native } from '../native.js'
import { Tensor, zeros } from '../tensor.js'
import { uniform_ } from './init.js'
import { Module } from './module.js'
import { Parameter } from './parameter.js'
import * as v from '../validate.js'

export class Linear extends Module {
  readonly inFeatures: number
  readonly outFeatures: number
  weight: Parameter
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
