// Stochastic gradient descent (momentum, dampening, Nesterov, weight decay).

import { native } from '../native.js'
import * as v from '../validate.js'
import { Optimizer, type OptimizerSpec, type ParamGroup, type ParamsArg } from './optimizer.js'

export interface SGDOptions {
  lr: number
  momentum: number
  dampening: number
  weightDecay: number
  nesterov: boolean
  maximize: boolean
}

const SPEC: OptimizerSpec<SGDOptions> = {
  name: 'SGD',
  schema: {
    lr: v.number({ infinite: true }),
    momentum: v.number({ infinite: true }),
    dampening: v.number({ infinite: true }),
    weightDecay: v.number({ infinite: true }),
    nesterov: v.bool,
    maximize: v.bool,
  },
  buffers: ['momentum_buffer'],
}

/**
 * Stochastic gradient descent (PyTorch's `torch.optim.SGD`), with momentum, dampening, Nesterov
 * momentum, weight decay and `maximize`.
 * @example
 * ```ts
 * import { nn, optim, randn } from 'seqtorch'
 * const model = new nn.Linear(4, 1)
 * const opt = new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9, nesterov: true })
 * for (let i = 0; i < 10; i++) {
 *   opt.zeroGrad()
 *   model.forward(randn(8, 4)).pow(2).mean().backward()
 *   opt.step()
 * }
 * ```
 */
export class SGD extends Optimizer<SGDOptions> {
  constructor(params: ParamsArg<SGDOptions>, options?: Partial<SGDOptions>) {
    super(params, SPEC, { lr: 1e-3, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false }, options)
  }

  protected override validate(g: SGDOptions): void {
    super.validate(g)
    if (!(g.momentum >= 0)) throw new RangeError(`Invalid momentum value: ${g.momentum}`)
    if (!(g.weightDecay >= 0)) throw new RangeError(`Invalid weight_decay value: ${g.weightDecay}`)
    if (g.nesterov && (g.momentum <= 0 || g.dampening !== 0)) throw new Error('Nesterov momentum requires a momentum and zero dampening')
  }

  /** @internal */
  protected update(state: InstanceType<typeof native.NativeOptimizerState>, g: ParamGroup<SGDOptions>): void {
    native.sgdStep(state, g.params.map((p) => p._h), {
      lr: g.lr,
      momentum: g.momentum,
      dampening: g.dampening,
      nesterov: g.nesterov,
      weightDecay: g.weightDecay,
      maximize: g.maximize,
    })
  }
}
