// The optimizer base: parameter groups with their hyperparameters, native per-parameter state,
// zeroGrad, and state dicts that resume training exactly. Hyperparameters are checked by one
// schema wherever they come in (constructor options, parameter groups, loadStateDict), and a
// state dict is validated completely before any of it is applied.

import { native } from '../native.js'
import { noGrad } from '../autograd.js'
import { Tensor, zeros } from '../tensor.js'
import * as v from '../validate.js'

export type ParamGroup<H> = H & { params: Tensor[] }

/** Parameters, or groups of parameters with their own hyperparameters. */
export type ParamsArg<H> = Iterable<Tensor> | Array<Partial<H> & { params: Iterable<Tensor> }>

export interface OptimizerStateDict<H> {
  /** Per parameter index (counted across groups): `step` and the named buffers. */
  state: Record<number, Record<string, Tensor | number>>
  paramGroups: Array<H & { params: number[] }>
}

type NativeState = InstanceType<typeof native.NativeOptimizerState>

/** What a concrete optimizer tells the base: its name, hyperparameter checks and buffers. */
export interface OptimizerSpec<H> {
  name: string
  /** A type check per hyperparameter (ranges with PyTorch's messages live in `validate`). */
  schema: { [K in keyof H]: v.Check<H[K]> }
  /** The per-parameter state buffers this optimizer keeps (PyTorch's names). */
  buffers: readonly string[]
}

const ZERO_GRAD_OPTIONS = { setToNone: v.bool }

function paramList(op: string, params: unknown, where: string): Tensor[] {
  if (params instanceof Tensor) {
    throw new TypeError(`${op}(): ${where} should be an iterable of Tensors, but got a Tensor (wrap it in an array)`)
  }
  if (params === null || typeof params !== 'object' || typeof (params as Partial<Iterable<unknown>>)[Symbol.iterator] !== 'function') {
    throw new TypeError(`${op}(): ${where} must be an iterable of Tensors, got ${v.describe(params)}`)
  }
  return [...(params as Iterable<unknown>)].map((p, i) => {
    if (!(p instanceof Tensor)) throw new TypeError(`optimizer can only optimize Tensors, but ${where}[${i}] is ${v.describe(p)}`)
    if (!p.isLeaf) throw new Error("can't optimize a non-leaf Tensor")
    if (p.dtype !== 'float32') throw new TypeError(`${op}(): ${where}[${i}] is ${p.dtype}; only float32 tensors can be optimized`)
    return p
  })
}

/**
 * The base of `SGD`, `Adam`, `AdamW` and `RMSprop`: parameter groups with their own
 * hyperparameters, `zeroGrad`, `step` (one native call per group), `addParamGroup`, and state
 * dicts that resume training exactly (PyTorch's `torch.optim.Optimizer`).
 * @example
 * ```ts
 * import { nn, optim } from 'seqtorch'
 * const model = new nn.GRU(4, 8)
 * const opt: optim.Optimizer<optim.AdamOptions> = new optim.Adam(model.parameters(), { lr: 0.01 })
 * opt.paramGroups[0]!.lr = 0.005 // what the schedulers do
 * const saved = opt.stateDict() // JSON-like; tensors for the buffers
 * opt.loadStateDict(saved)
 * ```
 */
export abstract class Optimizer<H extends { lr: number }> {
  /**
   * The hyperparameters given to the constructor, with the optimizer's defaults for the rest.
   */
  readonly defaults: H
  /**
   * The parameter groups, each with its own hyperparameters (change `lr` here to adjust it).
   */
  readonly paramGroups: ParamGroup<H>[] = []
  /** @internal One native state per group, one slot per parameter. */
  protected readonly states: NativeState[] = []
  /** @internal */
  protected readonly spec: OptimizerSpec<H>

  protected constructor(params: ParamsArg<H>, spec: OptimizerSpec<H>, defaults: H, options: unknown) {
    if (!v.isPlainObject(spec) || typeof spec.name !== 'string' || !v.isPlainObject(spec.schema) || !Array.isArray(spec.buffers)) {
      throw new TypeError('Optimizer is a base class: construct SGD, Adam, AdamW or RMSprop (a subclass passes its OptimizerSpec)')
    }
    this.spec = spec
    const o = v.options(spec.name, options, spec.schema as v.Schema) as Partial<H>
    this.defaults = { ...defaults, ...o }
    this.validate(this.defaults)
    if (params === null || typeof params !== 'object' || typeof (params as Partial<Iterable<unknown>>)[Symbol.iterator] !== 'function') {
      throw new TypeError(`${spec.name}(): params must be an iterable of Tensors or of parameter groups, got ${v.describe(params)}`)
    }
    const list = [...(params as Iterable<unknown>)]
    if (list.length === 0) throw new Error('optimizer got an empty parameter list')
    const grouped = list.every((g) => v.isPlainObject(g))
    if (grouped) {
      for (const g of list as Array<Partial<H> & { params: Iterable<Tensor> }>) this.addParamGroup(g)
    } else {
      this.addParamGroup({ params: list as Tensor[] } as unknown as Partial<H> & { params: Iterable<Tensor> })
    }
  }

  /** Checks a group's keys and hyperparameter types, filling the rest from the defaults. */
  private checkGroup(group: unknown, where: string, paramsCheck: (p: unknown) => unknown): H & { params: unknown } {
    if (!v.isPlainObject(group)) throw new TypeError(`${this.spec.name}(): ${where} must be an object, got ${v.describe(group)}`)
    const { params, ...hyper } = group
    if (params === undefined) throw new TypeError(`${this.spec.name}(): ${where} has no 'params'`)
    const o = v.options(this.spec.name, hyper, this.spec.schema as v.Schema) as Partial<H>
    const full = { ...this.defaults, ...o } as H
    this.validate(full)
    return { ...full, params: paramsCheck(params) }
  }

  /** Adds a group; missing hyperparameters come from the defaults. */
  addParamGroup(group: Partial<H> & { params: Iterable<Tensor> }): void {
    const checked = this.checkGroup(group, 'a parameter group', (p) => paramList(this.spec.name, p, 'params'))
    const params = checked.params as Tensor[]
    const seen = new Set(this.paramGroups.flatMap((g) => g.params))
    if (params.some((p) => seen.has(p)) || new Set(params).size !== params.length) {
      throw new Error('some parameters appear in more than one parameter group')
    }
    this.paramGroups.push({ ...checked, params } as ParamGroup<H>)
    this.states.push(new native.NativeOptimizerState(params.length))
  }

  /** Checks a group's hyperparameter ranges (PyTorch's messages). */
  protected validate(group: H): void {
    if (!(group.lr >= 0)) throw new RangeError(`Invalid learning rate: ${group.lr}`)
  }

  /** Updates every parameter that has a gradient. With a closure, re-evaluates the loss first. */
  step(closure?: () => Tensor | number): number | undefined {
    if (closure !== undefined && typeof closure !== 'function') {
      throw new TypeError(`${this.spec.name}.step(): closure must be a function, got ${v.describe(closure)}`)
    }
    let loss: number | undefined
    if (closure) {
      const l = closure()
      loss = l instanceof Tensor ? l.item() : l
    }
    // Hyperparameters may have been edited in place (schedulers do): check before updating.
    this.paramGroups.forEach((g) => this.validate(g))
    this.paramGroups.forEach((g, i) => this.update(this.states[i] as NativeState, g))
    return loss
  }

  /** @internal One native call per group. */
  protected abstract update(state: NativeState, group: ParamGroup<H>): void

  /** Clears gradients: to null (default, like PyTorch) or to zeros. */
  zeroGrad(options?: { setToNone?: boolean }): void {
    const toNone = v.options('zeroGrad', options, ZERO_GRAD_OPTIONS).setToNone ?? true
    for (const g of this.paramGroups) {
      for (const p of g.params) {
        if (toNone) p.grad = null
        else if (p.grad) noGrad(() => p.grad!.copy_(zeros(p.shape)))
      }
    }
  }

  /** Hyperparameters and per-parameter state (copies), to save and resume. */
  stateDict(): OptimizerStateDict<H> {
    const state: OptimizerStateDict<H>['state'] = {}
    const paramGroups: OptimizerStateDict<H>['paramGroups'] = []
    let index = 0
    this.paramGroups.forEach((g, gi) => {
      const ns = this.states[gi] as NativeState
      const ids: number[] = []
      g.params.forEach((p, pi) => {
        const names = ns.bufferNames(pi)
        const step = ns.stepCount(pi)
        if (names.length || step) {
          const entry: Record<string, Tensor | number> = { step }
          for (const n of names) entry[n] = new Tensor(ns.buffer(pi, n, p.shape))
          state[index] = entry
        }
        ids.push(index++)
      })
      const { params: _params, ...hyper } = g
      paramGroups.push({ ...(hyper as unknown as H), params: ids })
    })
    return { state, paramGroups }
  }

  /**
   * Restores hyperparameters and state saved by `stateDict()` (groups must match in size).
   * Everything is checked first (group sizes, hyperparameters, step counts, buffer names,
   * dtypes and shapes); nothing changes unless all of it is valid.
   */
  loadStateDict(sd: OptimizerStateDict<H>): void {
    const op = `${this.spec.name}.loadStateDict`
    if (!v.isPlainObject(sd)) throw new TypeError(`${op}(): expected a state dict object, got ${v.describe(sd)}`)
    if (!Array.isArray(sd.paramGroups) || sd.paramGroups.length !== this.paramGroups.length) {
      throw new Error('loaded state dict has a different number of parameter groups')
    }
    if (!v.isPlainObject(sd.state)) throw new TypeError(`${op}(): state must be an object, got ${v.describe(sd.state)}`)
    const seenIds = new Set<number>()
    const plans = sd.paramGroups.map((g, gi) => {
      const own = this.paramGroups[gi] as ParamGroup<H>
      const checked = this.checkGroup(g, `paramGroups[${gi}]`, (p) =>
        v.array(v.int({ min: 0 }))(p, `${op}(): paramGroups[${gi}].params`),
      )
      const ids = checked.params as number[]
      if (ids.length !== own.params.length) {
        throw new Error("loaded state dict contains a parameter group that doesn't match the size of optimizer's group")
      }
      for (const id of ids) {
        if (seenIds.has(id)) throw new Error(`${op}(): parameter id ${id} appears twice`)
        seenIds.add(id)
      }
      const entries = ids.map((id, pi) => {
        const entry = Object.hasOwn(sd.state, id) ? (sd.state as Record<string, unknown>)[id] : undefined
        return entry === undefined ? null : this.checkEntry(op, entry, id, own.params[pi] as Tensor)
      })
      const { params: _ids, ...hyper } = checked
      return { hyper: hyper as unknown as H, entries }
    })
    for (const key of Object.keys(sd.state)) {
      if (!seenIds.has(Number(key))) throw new Error(`${op}(): state has an entry for parameter ${key}, which no group lists`)
    }
    // Every check passed: apply.
    plans.forEach(({ hyper, entries }, gi) => {
      const group = this.paramGroups[gi] as ParamGroup<H>
      Object.assign(group, hyper)
      const ns = this.states[gi] as NativeState
      ns.clear()
      entries.forEach((entry, pi) => {
        if (!entry) return
        ns.setStepCount(pi, entry.step)
        for (const [name, t] of entry.buffers) ns.setBuffer(pi, name, t._h)
      })
    })
  }

  /** One parameter's saved state, checked against the parameter it belongs to. */
  private checkEntry(op: string, entry: unknown, id: number, param: Tensor): { step: number; buffers: [string, Tensor][] } {
    const where = `${op}(): state[${id}]`
    if (!v.isPlainObject(entry)) throw new TypeError(`${where} must be an object, got ${v.describe(entry)}`)
    let step = 0
    const buffers: [string, Tensor][] = []
    for (const [name, value] of Object.entries(entry)) {
      if (name === 'step') {
        const raw = value instanceof Tensor ? (value.numel() === 1 ? value.item() : NaN) : value
        step = v.int({ min: 0 })(raw, `${where}.step`)
      } else if (this.spec.buffers.includes(name)) {
        const t = v.instance(Tensor, 'a Tensor')(value, `${where}.${name}`)
        if (t.dtype !== 'float32') throw new TypeError(`${where}.${name} must be float32, got ${t.dtype}`)
        if (t.numel() !== param.numel()) {
          throw new RangeError(`${where}.${name} has ${t.numel()} values, but its parameter has shape [${param.shape.join(', ')}]`)
        }
        buffers.push([name, t])
      } else {
        throw new TypeError(`${where} has an unknown entry '${name}'; ${this.spec.name} keeps: step, ${this.spec.buffers.join(', ')}`)
      }
    }
    return { step, buffers }
  }
}
