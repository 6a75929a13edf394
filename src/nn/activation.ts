// Activation modules.

import { Tensor } from '../tensor.js'
import { Module } from './module.js'
import * as v from '../validate.js'

const checked = (name: string, x: unknown): Tensor => v.arg(`${name}.forward`, 'input', x, v.instance(Tensor, 'a Tensor'))

export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return checked('ReLU', x).relu()
  }
}

export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return checked('Tanh', x).tanh()
  }
}

export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return checked('Sigmoid', x).sigmoid()
  }
}
