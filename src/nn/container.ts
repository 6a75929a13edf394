// nn.Sequential: modules applied in order, named '0', '1', ... like PyTorch.

import { Module } from './module.js'
import type { Tensor } from '../tensor.js'
import * as v from '../validate.js'

type Forwardable = Module & { forward(input: never): unknown }

/**
 * Modules applied in order, each to the previous one's output (PyTorch's `nn.Sequential`);
 * children are named `'0'`, `'1'`, ... as in PyTorch's state dicts. `In` and `Out` type the
 * first input and the last output (tensors unless said otherwise).
 * @example
 * ```ts
 * import { nn, randn } from 'seqtorch'
 * const mlp = new nn.Sequential(new nn.Linear(8, 32), new nn.ReLU(), new nn.Dropout(0.1), new nn.Linear(32, 1))
 * console.log(mlp.forward(randn(4, 8)).shape, Object.keys(mlp.stateDict())) // [4, 1] ['0.weight', '0.bias', '3.weight', '3.bias']
 * ```
 */
export class Sequential<In = Tensor, Out = Tensor> extends Module {
  constructor(...modules: Module[]) {
    super()
    modules.forEach((m, i) => {
      if (!(m instanceof Module)) throw new TypeError(`Sequential(): argument ${i} is not a Module`)
      ;(this as unknown as Record<string, Module>)[String(i)] = m
    })
  }

  /**
   * The number of modules.
   */
  get length(): number {
    return [...this.namedChildren()].length
  }

  /**
   * The module at `index` (negative counts from the end), or undefined.
   */
  at(index: number): Module | undefined {
    return [...this.children()].at(v.arg('Sequential.at', 'index', index, v.int()))
  }

  forward(input: In): Out {
    let x: unknown = input
    for (const m of this.children()) x = (m as Forwardable).forward(x as never)
    return x as Out
  }
}
