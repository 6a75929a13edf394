// Activation modules.

import { Tensor } from '../tensor.js'
import { Module } from './module.js'
import * as v from '../validate.js'

const checked = (name: string, x: unknown): Tensor => v.arg(`${name}.forward`, 'input', x, v.instance(Tensor, 'a Tensor'))

/**
 * Applies `max(0, x)` elementwise (PyTorch's `nn.ReLU`).
 * @example
 * ```ts
 * import { nn, tensor } from 'seqtorch'
 * console.log(new nn.ReLU().forward(tensor([-1, 0, 2]))) // tensor([0., 0., 2.])
 * ```
 */
export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return checked('ReLU', x).relu()
  }
}

/**
 * Applies the hyperbolic tangent elementwise (PyTorch's `nn.Tanh`).
 * @example
 * ```ts
 * import { nn, tensor } from 'seqtorch'
 * console.log(new nn.Tanh().forward(tensor([0, 1]))) // tensor([0.0000, 0.7616])
 * ```
 */
export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return checked('Tanh', x).tanh()
  }
}

/** A function applied along one dimension (softmax and log-softmax). */
abstract class AlongDim extends Module {
  /** The dimension whose slices the function normalises. */
  readonly dim: number

  constructor(name: string, dim: number) {
    super()
    this.dim = v.arg(name, 'dim', dim, v.int())
  }

  override extraRepr(): string {
    return `dim=${this.dim}`
  }
}

/**
 * Softmax along `dim` (PyTorch's `nn.Softmax(dim)`): each slice becomes probabilities that sum
 * to 1.
 * @example
 * ```ts
 * import { nn, tensor } from 'seqtorch'
 * console.log(new nn.Softmax(1).forward(tensor([[0, 0]]))) // tensor([[0.5000, 0.5000]])
 * ```
 */
export class Softmax extends AlongDim {
  constructor(dim: number) {
    super('Softmax', dim)
  }

  forward(x: Tensor): Tensor {
    return checked('Softmax', x).softmax(this.dim)
  }
}

/**
 * Log-softmax along `dim` (PyTorch's `nn.LogSoftmax(dim)`): the input `NLLLoss` expects.
 * @example
 * ```ts
 * import { nn, tensor } from 'seqtorch'
 * const logp = new nn.LogSoftmax(1).forward(tensor([[2, 0.5, -1]]))
 * console.log(new nn.NLLLoss().forward(logp, tensor([0], { dtype: 'int64' })).item().toFixed(4)) // 0.2413
 * ```
 */
export class LogSoftmax extends AlongDim {
  constructor(dim: number) {
    super('LogSoftmax', dim)
  }

  forward(x: Tensor): Tensor {
    return checked('LogSoftmax', x).logSoftmax(this.dim)
  }
}

/**
 * Applies the logistic sigmoid `1 / (1 + e^-x)` elementwise (PyTorch's `nn.Sigmoid`).
 * @example
 * ```ts
 * import { nn, tensor } from 'seqtorch'
 * console.log(new nn.Sigmoid().forward(tensor([0]))) // tensor([0.5000])
 * ```
 */
export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return checked('Sigmoid', x).sigmoid()
  }
}
