import { readFileSync } from 'node:fs'

import { describe, expect, test } from 'vitest'

import { nn, optim, tensor, Tensor, zeros } from '../index.js'
import { expectClose, type Dumped } from './helpers/compare.js'

interface OptimCase {
  name: string
  optimizer: 'SGD' | 'Adam' | 'AdamW' | 'RMSprop'
  options: Record<string, unknown>
  init: Dumped[]
  grads: (Dumped | null)[][]
  after: Dumped[][]
}
interface SchedulerCase {
  name: 'StepLR' | 'ExponentialLR' | 'CosineAnnealingLR' | 'ReduceLROnPlateau'
  args: Record<string, number>
  metrics?: number[]
  lrs: number[]
}

const fixtures = JSON.parse(readFileSync(new URL('./fixtures/optim.json', import.meta.url), 'utf8')) as {
  optimizers: OptimCase[]
  schedulers: SchedulerCase[]
}
const t = (d: Dumped): Tensor => tensor(d.data, { shape: d.shape })

function build(name: OptimCase['optimizer'], params: Tensor[], options: Record<string, unknown>) {
  const Ctor = optim[name] as unknown as new (p: Tensor[], o: Record<string, unknown>) => optim.Optimizer<{ lr: number }>
  return new Ctor(params, options)
}

describe('optimizers follow PyTorch step for step', () => {
  test.each(fixtures.optimizers.map((c) => [c.name, c] as const))('%s', (_, c) => {
    const params = c.init.map((d) => new nn.Parameter(t(d)))
    const opt = build(c.optimizer, params, c.options)
    c.grads.forEach((grads, step) => {
      params.forEach((p, i) => (p.grad = grads[i] ? t(grads[i]!) : null))
      opt.step()
      params.forEach((p, i) => expectClose(p, c.after[step]![i]!, `${c.name} step ${step + 1} param ${i}`, 1e-5, 1e-4))
    })
  })

  test('a state dict resumes exactly where the original would be', () => {
    const c = fixtures.optimizers.find((o) => o.optimizer === 'Adam' && o.options['amsgrad'])!
    const params = c.init.map((d) => new nn.Parameter(t(d)))
    const opt = build('Adam', params, c.options)
    const setGrads = (step: number, ps: Tensor[]) => ps.forEach((p, i) => (p.grad = c.grads[step]![i] ? t(c.grads[step]![i]!) : null))
    for (let s = 0; s < 4; s++) {
      setGrads(s, params)
      opt.step()
    }
    const saved = opt.stateDict()
    expect(Object.keys(saved.state[0]!).sort()).toEqual(['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq', 'step'])
    expect(saved.state[0]!['step']).toBe(4)
    const copies = params.map((p) => new nn.Parameter(p.clone().detach()))
    const resumed = build('Adam', copies, { lr: 123 })
    resumed.loadStateDict(saved)
    expect(resumed.paramGroups[0]!.lr).toBe(c.options['lr'])
    for (let s = 4; s < 7; s++) {
      setGrads(s, copies)
      resumed.step()
      copies.forEach((p, i) => expectClose(p, c.after[s]![i]!, `resumed step ${s + 1}`, 1e-5, 1e-4))
    }
  })

  test('zeroGrad, param groups with their own lr, validation', () => {
    const a = new nn.Parameter(zeros(2))
    const b = new nn.Parameter(zeros(2))
    const opt = new optim.SGD([{ params: [a] }, { params: [b], lr: 1 }], { lr: 0.1 })
    a.grad = tensor([1, 1])
    b.grad = tensor([1, 1])
    opt.step()
    expect(a.toArray()).toEqual([-0.1, -0.1].map((v) => Math.fround(v)))
    expect(b.toArray()).toEqual([-1, -1])
    opt.zeroGrad({ setToNone: false })
    expect(a.grad!.toArray()).toEqual([0, 0])
    opt.zeroGrad()
    expect(a.grad).toBeNull()
    expect(() => new optim.Adam([a], { lr: -1 })).toThrow('Invalid learning rate: -1')
    expect(() => new optim.Adam([a], { betas: [1, 0.9] })).toThrow('Invalid beta parameter at index 0: 1')
    expect(() => new optim.SGD([a, a.mul(2)])).toThrow("can't optimize a non-leaf Tensor")
    expect(() => new optim.SGD([])).toThrow('optimizer got an empty parameter list')
  })
})

describe('learning-rate schedulers match PyTorch', () => {
  test.each(fixtures.schedulers.map((c) => [c.name, c] as const))('%s', (_, c) => {
    const p = new nn.Parameter(zeros(1))
    const opt = new optim.SGD([p], { lr: 0.1 })
    const S = optim.lrScheduler
    const sched =
      c.name === 'StepLR'
        ? new S.StepLR(opt, c.args['stepSize']!, c.args['gamma'])
        : c.name === 'ExponentialLR'
          ? new S.ExponentialLR(opt, c.args['gamma']!)
          : c.name === 'CosineAnnealingLR'
            ? new S.CosineAnnealingLR(opt, c.args['tMax']!, c.args['etaMin'])
            : new S.ReduceLROnPlateau(opt, c.args)
    c.lrs.forEach((lr, e) => {
      if (sched instanceof S.ReduceLROnPlateau) sched.step(c.metrics![e]!)
      else sched.step()
      expect(Math.abs(opt.paramGroups[0]!.lr - lr)).toBeLessThan(1e-12)
    })
  })
})

test('clipGradNorm_ and clipGradValue_', () => {
  const a = new nn.Parameter(zeros(2))
  const b = new nn.Parameter(zeros(1))
  a.grad = tensor([3, 0])
  b.grad = tensor([4])
  const norm = nn.utils.clipGradNorm_([a, b], 1)
  expect(norm).toBeCloseTo(5, 5)
  expect(a.grad!.data()[0]).toBeCloseTo(0.6, 5)
  expect(b.grad!.data()[0]).toBeCloseTo(0.8, 5)
  nn.utils.clipGradValue_([a, b], 0.7)
  expect(b.grad!.data()[0]).toBeCloseTo(0.7, 6)
})
