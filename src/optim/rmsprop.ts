// RMSprop, plain or centered, with momentum.

import { native } from '../native.js'
import * as v from '../validate.js'
import { Optimizer, type OptimizerSpec, type ParamGroup, type ParamsArg } from './optimizer.js'

export interface RMSpropOptions {
  lr: number
  alpha: number
  eps: number
  weightDecay: number
  momentum: number
  centered: boolean
  maximize: boolean
}

const SPEC: OptimizerSpec<RMSpropOptions> = {
  name: 'RMSprop',
  schema: {
    lr: v.number({ infinite: true }),
    alpha: v.number({ infinite: true }),
    eps: v.number({ infinite: true }),
    weightDecay: v.number({ infinite: true }),
    momentum: v.number({ infinite: true }),
    centered: v.bool,
    maximize: v.bool,
  },
  buffers: ['square_avg', 'momentum_buffer', 'grad_avg'],
}

/**
 * RMSprop (PyTorch's `torch.optim.RMSprop`): divides each gradient by a running root mean
 * square of past gradients; `centered`, `momentum`, `weightDecay` and `maximize` as in PyTorch.
 * @example
 * ```ts
 * import { nn, optim } from 'seqtorch'
 * const opt = new optim.RMSprop(new nn.LSTM(4, 8).parameters(), { lr: 0.01, alpha: 0.99, momentum: 0.9 })
 * ```
 */
export class RMSprop extends Optimizer<RMSpropOptions> {
  constructor(params: ParamsArg<RMSpropOptions>, options?: Partial<RMSpropOptions>) {
    super(params, SPEC, { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, maximize: false }, options)
  }

  protected override validate(g: RMSpropOptions): void {
    super.validate(g)
    if (!(g.eps >= 0)) throw new RangeError(`Invalid epsilon value: ${g.eps}`)
    if (!(g.momentum >= 0)) throw new RangeError(`Invalid momentum value: ${g.momentum}`)
    if (!(g.alpha >= 0)) throw new RangeError(`Invalid alpha value: ${g.alpha}`)
    if (!(g.weightDecay >= 0)) throw new RangeError(`Invalid weight_decay value: ${g.weightDecay}`)
  }

  /** @internal */
  protected update(state: InstanceType<typeof native.NativeOptimizerState>, g: ParamGroup<RMSpropOptions>): void {
    native.rmspropStep(state, g.params.map((p) => p._h), {
      lr: g.lr,
      alpha: g.alpha,
      eps: g.eps,
      weightDecay: g.weightDecay,
      momentum: g.momentum,
      centered: g.centered,
      maximize: g.maximize,
    })
  }
}
