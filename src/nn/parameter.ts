// nn.Parameter: a tensor that a Module registers as one of its parameters.

import { Tensor } from '../tensor.js'

/**
 * A leaf tensor that requires grad and is found by `Module.parameters()` when assigned to a
 * field. Shares the data of the tensor it wraps, like `torch.nn.Parameter`.
 * @example
 * ```ts
 * import { nn, zeros } from 'seqtorch'
 * class Scale extends nn.Module {
 *   factor = new nn.Parameter(zeros(1).add(1))
 *   forward(x: import('seqtorch').Tensor) {
 *     return x.mul(this.factor)
 *   }
 * }
 * console.log(new Scale().parameters().length) // 1
 * ```
 */
export class Parameter extends Tensor {
  constructor(data: Tensor, requiresGrad = true) {
    if (!(data instanceof Tensor)) throw new TypeError('Parameter(): data must be a Tensor')
    super(data.detach()._h)
    if (requiresGrad) this.requiresGrad_(true)
  }
}
