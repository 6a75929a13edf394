// Parameter initialisation, in place and unrecorded, like torch.nn.init.

import { noGrad } from '../autograd.js'
import { rand, Tensor } from '../tensor.js'

/** Fills `t` with U(a, b) from the global generator. */
export function uniform_(t: Tensor, a = 0, b = 1): Tensor {
  if (!(t instanceof Tensor)) throw new TypeError('uniform_(): expected a Tensor')
  if (!(typeof a === 'number' && typeof b === 'number') || !(a <= b)) {
    throw new RangeError(`uniform_ expects to return a [from, to) range, but found from=${a} > to=${b}`)
  }
  return noGrad(() => t.copy_(rand(t.shape).mul(b - a).add(a)))
}
