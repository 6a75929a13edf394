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
