// nn.Parameter: a tensor that a Module registers as one of its parameters.

import { Tensor } from '../tensor.js'

/**
 * A leaf tensor that requires grad and is found by `Module.parameters()` when assigned to a
 * field. Shares the data of the tensor it wraps, like `torch.nn.Parameter`.
 */
export class Parameter extends Tensor {
  constructor(data: Tensor, requiresGrad = true) {
    if (!(data instanceof Tensor)) throw new TypeError('Parameter(): data must be a Tensor')
    super(data.detach()._h)
    if (requiresGrad) this.requiresGrad_(true)
  }
}
