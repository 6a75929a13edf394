// The optimizer base: parameter groups with their hyperparameters, native per-parameter state,
// zeroGrad, and state dicts that resume training exactly.

import { native } from '../native.js'
import { noGrad } from '../autograd.js'
import { Tensor, zeros } from '../tensor.js'

export type ParamGroup<H> = H & { params: Tensor[] }

/** Parameters, or groups of parameters with their own hyperparameters. */
export type ParamsArg<H> = Iterable<Tensor> | Array<Partial<H> & { params: Iterable<Tensor> }>

export interface OptimizerStateDict<H> {
  /** Per parameter index (counted across groups): `step` and the named buffers. */
  state: Record<number, Record<string, Tensor | number>>
  paramGroups: Array<H & { params: number[] }>
}

type NativeState = InstanceType<typeof native.NativeOptimizerState>

export abstract class Optimizer<H extends { lr: number }> {
  readonly defaults: H
  readonly paramGroups: ParamGroup<H>[] = []
  /** @internal One native state per group, one slot per parameter. */
  protected readonly states: NativeState[] = []

  protected constructor(params: ParamsArg<H>, defaults: H) {
    this.defaults = defaults
    const list = [...(params as Iterable<unknown>)]
    if (list.length === 0) throw new Error('optimizer got an empty parameter list')
    const grouped = list.every((g) => g !== null && typeof g === 'object' && !(g instanceof Tensor) && 'params' in (g as object))
    if (grouped) {
      for (const g of list as Array<Partial<H> & { params: Iterable<Tensor> }>) this.addParamGroup(g)
    } else {
      this.addParamGroup({ params: list as Tensor[] } as unknown as Partial<H> & { params: Iterable<Tensor> })
    }
  }

  /** Adds a group; missing hyperparameters come from the defaults. */
  addParamGroup(group: Partial<H> & { params: Iterable<Tensor> }): void {
    const params = [...group.params]
    params.forEach((p, i) => {
      if (!(p instanceof Tensor)) throw new TypeError(`optimizer can only optimize Tensors, but parameter ${i} is ${typeof p}`)
      if (!p.isLeaf) throw new Error("can't optimize a non-leaf Tensor")
    })
    const seen = new Set(this.paramGroups.flatMap((g) => g.params))
    if (params.some((p) => seen.has(p))) throw new Error('some parameters appear in more than one parameter group')
    const full = { ...this.defaults, ...group, params } as ParamGroup<H>
    this.validate(full)
    this.paramGroups.push(full)
    this.states.push(new native.NativeOptimizerState(params.length))
  }

  /** Checks a group's hyperparameters (PyTorch's messages). */
  protected validate(group: H): void {
    if (!(group.lr >= 0)) throw new RangeError(`Invalid learning rate: ${group.lr}`)
  }

  /** Updates every parameter that has a gradient. With a closure, re-evaluates the loss first. */
  step(closure?: () => Tensor | number): number | undefined {
    let loss: number | undefined
    if (closure) {
      const l = closure()
      loss = l instanceof Tensor ? l.item() : l
    }
    this.paramGroups.forEach((g, i) => this.update(this.states[i] as NativeState, g))
    return loss
  }

  /** @internal One native call per group. */
  protected abstract update(state: NativeState, group: ParamGroup<H>): void

  /** Clears gradients: to null (default, like PyTorch) or to zeros. */
  zeroGrad(options: { setToNone?: boolean } = {}): void {
    const toNone = options.setToNone ?? true
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

  /** Restores hyperparameters and state saved by `stateDict()` (groups must match in size). */
  loadStateDict(sd: OptimizerStateDict<H>): void {
    if (!sd || !Array.isArray(sd.paramGroups) || sd.paramGroups.length !== this.paramGroups.length) {
      throw new Error('loaded state dict has a different number of parameter groups')
    }
    sd.paramGroups.forEach((g, gi) => {
      if (g.params.length !== (this.paramGroups[gi] as ParamGroup<H>).params.length) {
        throw new Error("loaded state dict contains a parameter group that doesn't match the size of optimizer's group")
      }
    })
    sd.paramGroups.forEach((g, gi) => {
      const group = this.paramGroups[gi] as ParamGroup<H>
      const { params: ids, ...hyper } = g
      Object.assign(group, hyper)
      const ns = this.states[gi] as NativeState
      ns.clear()
      ids.forEach((id, pi) => {
        const entry = sd.state[id]
        if (!entry) return
        for (const [name, v] of Object.entries(entry)) {
          if (name === 'step') ns.setStepCount(pi, typeof v === 'number' ? v : (v as Tensor).item())
          else ns.setBuffer(pi, name, (v as Tensor)._h)
        }
      })
    })
  }
}
