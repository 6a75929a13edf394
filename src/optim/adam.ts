// Adam and AdamW.

import { native } from '../native.js'
import * as v from '../validate.js'
import { Optimizer, type OptimizerSpec, type ParamGroup, type ParamsArg } from './optimizer.js'

export interface AdamOptions {
  lr: number
  betas: [number, number]
  eps: number
  weightDecay: number
  amsgrad: boolean
  maximize: boolean
}

const SCHEMA = {
  lr: v.number({ infinite: true }),
  betas: v.array(v.number(), { length: 2 }) as v.Check<[number, number]>,
  eps: v.number({ infinite: true }),
  weightDecay: v.number({ infinite: true }),
  amsgrad: v.bool,
  maximize: v.bool,
}

function spec(name: string): OptimizerSpec<AdamOptions> {
  return { name, schema: SCHEMA, buffers: ['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq'] }
}

abstract class AdamBase extends Optimizer<AdamOptions> {
  protected abstract readonly decoupled: boolean

  protected override validate(g: AdamOptions): void {
    super.validate(g)
    if (!(g.eps >= 0)) throw new RangeError(`Invalid epsilon value: ${g.eps}`)
    const [b1, b2] = g.betas
    if (!(b1 >= 0 && b1 < 1)) throw new RangeError(`Invalid beta parameter at index 0: ${b1}`)
    if (!(b2 >= 0 && b2 < 1)) throw new RangeError(`Invalid beta parameter at index 1: ${b2}`)
    if (!(g.weightDecay >= 0)) throw new RangeError(`Invalid weight_decay value: ${g.weightDecay}`)
  }

  /** @internal */
  protected update(state: InstanceType<typeof native.NativeOptimizerState>, g: ParamGroup<AdamOptions>): void {
    native.adamStep(state, g.params.map((p) => p._h), {
      lr: g.lr,
      beta1: g.betas[0],
      beta2: g.betas[1],
      eps: g.eps,
      weightDecay: g.weightDecay,
      amsgrad: g.amsgrad,
      decoupled: this.decoupled,
      maximize: g.maximize,
    })
  }
}

/**
 * Adam (weight decay added to the gradient). Defaults: lr 1e-3, betas [0.9, 0.999], eps 1e-8.
 * @example
 * ```ts
 * import { nn, optim, randn } from 'seqtorch'
 * const model = new nn.Linear(4, 1)
 * const opt = new optim.Adam(model.parameters(), { lr: 1e-3, betas: [0.9, 0.999] })
 * opt.zeroGrad()
 * new nn.MSELoss().forward(model.forward(randn(8, 4)), randn(8, 1)).backward()
 * opt.step()
 * ```
 */
export class Adam extends AdamBase {
  protected readonly decoupled = false
  constructor(params: ParamsArg<AdamOptions>, options?: Partial<AdamOptions>) {
    super(params, spec('Adam'), { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false }, options)
  }
}

/**
 * AdamW (decoupled weight decay, default 1e-2).
 * @example
 * ```ts
 * import { nn, optim } from 'seqtorch'
 * const lstm = new nn.LSTM(8, 32)
 * const fc = new nn.Linear(32, 1)
 * // Parameter groups: decay the LSTM's weights, not the head's.
 * const opt = new optim.AdamW([{ params: lstm.parameters(), weightDecay: 0.01 }, { params: fc.parameters(), weightDecay: 0 }], { lr: 3e-4 })
 * ```
 */
export class AdamW extends AdamBase {
  protected readonly decoupled = true
  constructor(params: ParamsArg<AdamOptions>, options?: Partial<AdamOptions>) {
    super(params, spec('AdamW'), { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2, amsgrad: false, maximize: false }, options)
  }
}
