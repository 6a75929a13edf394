// nn.Module: the base of every layer and model. Children and parameters are found from the
// object's own fields (no manual registration), in the order they were assigned, and named
// with PyTorch's dotted paths (`lstm.weight_ih_l0`).

import { inspect } from 'node:util'

import { noGrad } from '../autograd.js'
import { checkDevice, type Device } from '../device.js'
import { Tensor } from '../tensor.js'
import { Parameter } from './parameter.js'
import * as v from '../validate.js'

export type StateDict = Record<string, Tensor>

export interface LoadStateDictOptions {
  /** Require exactly the module's keys (default true), as PyTorch's `strict`. */
  strict?: boolean
}

export interface LoadStateDictResult {
  missingKeys: string[]
  unexpectedKeys: string[]
}

/**
 * The base of every layer and model (PyTorch's `nn.Module`). Subclasses assign their layers and
 * parameters to fields; `parameters()`, `namedParameters()`, `stateDict()`, `train()`/`eval()`,
 * `to(device)` and the printed form find them there, named by field as in PyTorch.
 * @example
 * ```ts
 * import { nn, type Tensor } from 'seqtorch'
 * class Forecaster extends nn.Module {
 *   lstm = new nn.LSTM(1, 64, { numLayers: 2, batchFirst: true, dropout: 0.2 })
 *   head = new nn.Linear(64, 1)
 *   forward(x: Tensor): Tensor {
 *     const [out] = this.lstm.forward(x)
 *     return this.head.forward(out.select(1, -1))
 *   }
 * }
 * const model = new Forecaster()
 * console.log(Object.keys(model.stateDict())) // ['lstm.weight_ih_l0', ..., 'head.weight', 'head.bias']
 * ```
 */
export abstract class Module {
  /** Training mode (dropout active) or evaluation mode. */
  training = true

  /** The computation; call it as `module.forward(...)`. */
  abstract forward(...args: never[]): unknown

  /** Direct children, by field name. */
  *namedChildren(): Generator<[string, Module]> {
    for (const [key, value] of Object.entries(this)) {
      if (value instanceof Module) yield [key, value]
    }
  }

  /**
   * The direct child modules, in the order their fields were assigned.
   */
  *children(): Generator<Module> {
    for (const [, m] of this.namedChildren()) yield m
  }

  /** This module and every descendant, with dotted names ('' for this one). */
  *namedModules(prefix = ''): Generator<[string, Module]> {
    v.arg('namedModules', 'prefix', prefix, v.string())
    yield [prefix, this]
    for (const [name, child] of this.namedChildren()) {
      yield* child.namedModules(prefix ? `${prefix}.${name}` : name)
    }
  }

  /**
   * This module and every module below it, depth first.
   */
  *modules(): Generator<Module> {
    for (const [, m] of this.namedModules()) yield m
  }

  /** Parameters held directly by this module's fields. */
  protected *ownParameters(): Generator<[string, Parameter]> {
    for (const [key, value] of Object.entries(this)) {
      if (value instanceof Parameter) yield [key, value]
    }
  }

  /** Every parameter with its dotted name; a tensor shared by two modules appears once. */
  namedParameters(prefix = ''): [string, Parameter][] {
    v.arg('namedParameters', 'prefix', prefix, v.string())
    const seen = new Set<Parameter>()
    const out: [string, Parameter][] = []
    for (const [modName, mod] of this.namedModules(prefix)) {
      for (const [name, p] of mod.ownParameters()) {
        if (seen.has(p)) continue
        seen.add(p)
        out.push([modName ? `${modName}.${name}` : name, p])
      }
    }
    return out
  }

  /**
   * Every parameter of this module and its children (each once), for an optimizer.
   */
  parameters(): Parameter[] {
    return this.namedParameters().map(([, p]) => p)
  }

  /**
   * Moves every parameter and tensor buffer (tensor-valued field) of this module and its
   * descendants to `device`, in place, like PyTorch's `module.to(device)`. Parameters keep
   * their identity, so an optimizer built before or after the move updates them; gradients
   * move along. Returns this module.
   */
  to(device: Device): this {
    const d = checkDevice('to', device)
    for (const m of this.modules()) {
      for (const [key, value] of Object.entries(m)) {
        if (value instanceof Parameter) value._h.moveToDevice(d)
        else if (value instanceof Tensor && value.device !== d) (m as unknown as Record<string, unknown>)[key] = value.to(d as Device)
      }
    }
    return this
  }

  /** `to('cpu')`. */
  cpu(): this {
    return this.to('cpu')
  }

  /** `to('cuda:N')` (the first GPU by default). */
  cuda(index = 0): this {
    return this.to(`cuda:${v.arg('cuda', 'index', index, v.int({ min: 0 }))}`)
  }

  /** Sets training mode here and in every descendant. */
  train(mode = true): this {
    v.arg('train', 'mode', mode, v.bool)
    for (const m of this.modules()) m.training = mode
    return this
  }

  /**
   * Sets evaluation mode (dropout off) here and in every child; returns this module.
   */
  eval(): this {
    return this.train(false)
  }

  /** Clears every parameter's gradient. */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null
  }

  /** Parameters by dotted name, sharing data with the module (like PyTorch's `state_dict()`). */
  stateDict(): StateDict {
    const out: StateDict = {}
    for (const [name, p] of this.namedParameters()) out[name] = p.detach()
    return out
  }

  /**
   * Copies values from `stateDict` into the parameters, in place. With `strict` (the default)
   * missing and unexpected keys are an error; shape mismatches always are. Nothing is written
   * unless every check passes.
   */
  loadStateDict(stateDict: StateDict, options?: LoadStateDictOptions): LoadStateDictResult {
    const strict = v.options('loadStateDict', options, { strict: v.bool }).strict ?? true
    if (stateDict === null || typeof stateDict !== 'object' || Array.isArray(stateDict)) {
      throw new TypeError(`Expected state_dict to be dict-like, got ${v.describe(stateDict)}.`)
    }
    const own = new Map(this.namedParameters())
    // Own keys only: 'constructor' or '__proto__' must not be found on a prototype.
    const missingKeys = [...own.keys()].filter((k) => !Object.hasOwn(stateDict, k))
    const unexpectedKeys = Object.keys(stateDict).filter((k) => !own.has(k))
    const problems: string[] = []
    if (strict && unexpectedKeys.length) problems.push(`Unexpected key(s) in state_dict: ${unexpectedKeys.map((k) => `"${k}"`).join(', ')}. `)
    if (strict && missingKeys.length) problems.push(`Missing key(s) in state_dict: ${missingKeys.map((k) => `"${k}"`).join(', ')}. `)
    for (const [name, p] of own) {
      const src = Object.hasOwn(stateDict, name) ? stateDict[name] : undefined
      if (src === undefined) continue
      if (!(src instanceof Tensor)) {
        problems.push(`While copying the parameter named "${name}", expected a Tensor, got ${v.describe(src)}. `)
      } else if (src.disposed) {
        problems.push(`While copying the parameter named "${name}", the tensor was disposed. `)
      } else if (src.shape.join() !== p.shape.join()) {
        problems.push(
          `size mismatch for ${name}: copying a param with shape [${src.shape.join(', ')}] from checkpoint, the shape in current model is [${p.shape.join(', ')}].`,
        )
      }
    }
    if (problems.length) {
      throw new Error(`Error(s) in loading state_dict for ${this.constructor.name}:\n\t${problems.join('\n\t')}`)
    }
    noGrad(() => {
      for (const [name, p] of own) {
        const src = Object.hasOwn(stateDict, name) ? stateDict[name] : undefined
        if (src !== undefined) p.copy_(src)
      }
    })
    return { missingKeys, unexpectedKeys }
  }

  /** The part inside the parentheses of this module's printed form. */
  extraRepr(): string {
    return ''
  }

  /** PyTorch's `print(model)` layout. */
  toString(): string {
    const children = [...this.namedChildren()]
    const name = this.constructor.name
    const extra = this.extraRepr()
    if (children.length === 0) return `${name}(${extra})`
    const lines = children.map(([key, child]) => `  (${key}): ${child.toString().split('\n').join('\n  ')}`)
    if (extra) lines.unshift(`  ${extra}`)
    return `${name}(\n${lines.join('\n')}\n)`
  }

  [inspect.custom](): string {
    return this.toString()
  }
}
