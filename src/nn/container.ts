// nn.Sequential: modules applied in order, named '0', '1', ... like PyTorch.

import { Module } from './module.js'
import * as v from '../validate.js'

type Forwardable = Module & { forward(input: never): unknown }

export class Sequential extends Module {
  constructor(...modules: Module[]) {
    super()
    modules.forEach((m, i) => {
      if (!(m instanceof Module)) throw new TypeError(`Sequential(): argument ${i} is not a Module`)
      ;(this as unknown as Record<string, Module>)[String(i)] = m
    })
  }

  get length(): number {
    return [...this.namedChildren()].length
  }

  at(index: number): Module | undefined {
    return [...this.children()].at(v.arg('Sequential.at', 'index', index, v.int()))
  }

  forward(input: unknown): unknown {
    let x = input
    for (const m of this.children()) x = (m as Forwardable).forward(x as never)
    return x
  }
}
