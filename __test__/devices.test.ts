import { describe, expect, test } from 'vitest'

import { availableDevices, cuda, ErrorCode, manualSeed, nn, noGrad, optim, randn, stack, tensor, Tensor, zeros } from '../index.js'
import type { Device } from '../index.js'
import { native } from '../src/native.js'
import { DEVICES } from './helpers/devices.js'

function deviceError(f: () => unknown): Error & { code?: string } {
  try {
    f()
  } catch (e) {
    return e as Error & { code?: string }
  }
  throw new Error('expected a device error')
}

describe('devices in this build', () => {
  test('cpu is always first; cuda reports what it has and never throws', () => {
    expect(availableDevices()[0]).toBe('cpu')
    expect(typeof cuda.isAvailable()).toBe('boolean')
    expect(cuda.deviceCount()).toBe(availableDevices().length - 1)
    expect(cuda.isAvailable()).toBe(cuda.deviceCount() > 0)
  })

  test('cuda.status() says what was found and why CUDA cannot be used', () => {
    const s = cuda.status()
    expect(typeof s.compiled).toBe('boolean')
    if (s.compiled) expect(s.libraries.map((l) => l.name)).toEqual(['cuda', 'nvrtc', 'cublasLt', 'cublas', 'curand'])
    if (!cuda.isAvailable()) expect(s.reason).toMatch(/CUDA|GPU/)
    for (const l of s.libraries) {
      if (!l.found) expect(s.reason).toContain(`lib${l.name}.so`)
    }
  })

  test('asking for a device that is not there is a clear device error, before any data is made', () => {
    if (cuda.isAvailable()) return
    for (const f of [
      () => tensor([1, 2], { device: 'cuda' }),
      () => zeros([2, 3], { device: 'cuda:1' }),
      () => randn([2], { device: 'cuda:0' }),
      () => tensor([1]).to('cuda'),
      () => tensor([1]).cuda(),
      () => new nn.Linear(2, 3).to('cuda:0'),
    ]) {
      const e = deviceError(f)
      expect(e.code).toBe(ErrorCode.device)
      expect(e.message).toMatch(/cuda:\d/)
      expect(e.message).toContain(cuda.status().reason!)
    }
    expect(() => tensor([1]).to('gpu' as never)).toThrow(TypeError)
    expect(() => tensor([1], { device: 'tpu' as never })).toThrow('Expected one of cpu, cuda device type at start of device string: tpu')
    expect(() => tensor([1], { device: 3 as never })).toThrow(TypeError)
  })
})

describe('cuda memory figures and synchronize', () => {
  const calls = {
    memoryStats: (d?: Device | number) => cuda.memoryStats(d),
    memoryAllocated: (d?: Device | number) => cuda.memoryAllocated(d),
    maxMemoryAllocated: (d?: Device | number) => cuda.maxMemoryAllocated(d),
    memoryReserved: (d?: Device | number) => cuda.memoryReserved(d),
    maxMemoryReserved: (d?: Device | number) => cuda.maxMemoryReserved(d),
    resetPeakMemoryStats: (d?: Device | number) => cuda.resetPeakMemoryStats(d),
    emptyCache: (d?: Device | number) => cuda.emptyCache(d),
    synchronize: (d?: Device | number) => cuda.synchronize(d),
  }

  test('arguments that name no GPU are refused the same way with or without one', () => {
    for (const [name, f] of Object.entries(calls)) {
      expect(() => f('cpu'), name).toThrow(`cuda.${name}(): expects a CUDA device such as 'cuda:0', got 'cpu'`)
      expect(() => f(-1), name).toThrow(RangeError)
      expect(() => f(1.5), name).toThrow(RangeError)
      expect(() => f({} as never), name).toThrow(TypeError)
      expect(() => f('gpu' as never), name).toThrow(/cpu, cuda/)
      const e = deviceError(() => f(cuda.deviceCount()))
      expect(e.code, name).toBe(ErrorCode.device)
      expect(e.message).toContain(`cuda:${cuda.deviceCount()}`)
    }
  })

  test('without a usable GPU each is a device error that says why', () => {
    if (cuda.isAvailable()) return
    for (const [name, f] of Object.entries(calls)) {
      for (const d of [undefined, 'cuda', 'cuda:0', 0] as const) {
        const e = deviceError(() => f(d))
        expect(e.code, `${name}(${String(d)})`).toBe(ErrorCode.device)
        expect(e.message).toContain('cuda:0')
        expect(e.message).toContain(cuda.status().reason!)
      }
    }
  })

  test('with a GPU the figures follow what tensors hold', () => {
    if (!cuda.isAvailable()) return
    cuda.emptyCache()
    cuda.resetPeakMemoryStats(0)
    const before = cuda.memoryStats('cuda')
    const bytes = 4 * (4 << 20)
    const t = zeros([4 << 20], { device: 'cuda:0' })
    const held = cuda.memoryStats()
    expect(held.allocated).toBeGreaterThanOrEqual(before.allocated + bytes)
    expect(cuda.memoryAllocated()).toBe(held.allocated)
    expect(cuda.maxMemoryAllocated()).toBeGreaterThanOrEqual(held.allocated)
    expect(cuda.memoryReserved()).toBeGreaterThanOrEqual(held.allocated)
    t.dispose()
    cuda.synchronize()
    const freed = cuda.memoryStats()
    expect(freed.allocated).toBeLessThanOrEqual(held.allocated - bytes)
    expect(freed.peakAllocated).toBeGreaterThanOrEqual(held.allocated)
    expect(cuda.maxMemoryReserved()).toBeGreaterThanOrEqual(freed.reserved)
    cuda.resetPeakMemoryStats()
    expect(cuda.maxMemoryAllocated()).toBe(cuda.memoryAllocated())
  })
})

describe.each(DEVICES)('on %s', (device) => {
  test('creation, device of results, round trip to the cpu', () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]], { device: device as 'cpu' })
    expect(x.device).toBe(device)
    const y = x.mul(2).add(x).sum(1)
    expect(y.device).toBe(device)
    expect(y.cpu().toArray()).toEqual([18, 45])
    expect(x.to('cpu').device).toBe('cpu')
    expect(zeros([2], { device: device as 'cpu', dtype: 'int64' }).device).toBe(device)
    expect(x.to(device as 'cpu')).toBe(x)
  })

  test('transpose, permute, narrow, select, expand, squeeze are views: writes show through, no copies', () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]], { device: device as 'cpu' })
    const t = x.transpose(0, 1)
    expect(t.isContiguous()).toBe(false)
    expect(t.toArray()).toEqual([[1, 4], [2, 5], [3, 6]])
    expect(t._h.sharesStorageWith(x._h)).toBe(true)
    for (const view of [x.permute(1, 0), x.narrow(1, 1, 2), x.select(0, 1), x.unsqueeze(0).squeeze(0), x.select(0, 0).expand(4, 3)]) {
      expect(view._h.sharesStorageWith(x._h)).toBe(true)
    }
    const v0 = x.version
    noGrad(() => x.select(1, 0).copy_(tensor([-1, -2], { device: device as 'cpu' })))
    expect(x.version).toBe(v0 + 1)
    expect(t.version).toBe(x.version)
    expect(x.toArray()).toEqual([[-1, 2, 3], [-2, 5, 6]])
    expect((t.toArray() as number[][])[0]).toEqual([-1, -2])
    const c = t.contiguous()
    expect(c.isContiguous()).toBe(true)
    expect(c._h.sharesStorageWith(x._h)).toBe(false)
  })

  test('gradients flow through views to the base', () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]], { device: device as 'cpu', requiresGrad: true })
    x.transpose(0, 1).narrow(0, 1, 2).mul(tensor([[1, 10], [100, 1000]], { device: device as 'cpu' })).sum().backward()
    expect(x.grad!.device).toBe(device)
    expect(x.grad!.toArray()).toEqual([[0, 1, 100], [0, 10, 1000]])
  })

  test('Module.to moves parameters in place; an optimizer built after the move trains', () => {
    manualSeed(1)
    const cpuModel = new nn.Linear(3, 2)
    manualSeed(1)
    const model = new nn.Linear(3, 2)
    const weight = model.weight
    expect(model.to(device as 'cpu')).toBe(model)
    expect(model.weight).toBe(weight)
    expect(model.weight.device).toBe(device)
    expect(model.weight.requiresGrad).toBe(true)
    const x = tensor([[1, 2, 3], [0.5, -1, 2]])
    for (const [m, input] of [
      [cpuModel, x],
      [model, x.to(device as 'cpu')],
    ] as const) {
      const opt = new optim.Adam(m.parameters(), { lr: 0.1 })
      for (let i = 0; i < 3; i++) {
        opt.zeroGrad()
        m.forward(input).pow(2).sum().backward()
        opt.step()
      }
    }
    expect(model.weight.cpu().toArray()).toEqual(cpuModel.weight.toArray())
    expect(model.cpu().weight.device).toBe('cpu')
  })
})

/** Runs `layer` one step at a time over `x` ([T, B, I] or [T, I]); stacks the outputs. */
function streamed(layer: nn.LSTM | nn.GRU, x: Tensor): [Tensor, Tensor | readonly [Tensor, Tensor] | null] {
  const stream = layer instanceof nn.LSTM ? layer.stream() : layer.stream()
  const ys: Tensor[] = []
  for (let t = 0; t < x.shape[0]!; t++) ys.push(stream.step(x.select(0, t)))
  return [stack(ys), stream.state]
}

describe.each(DEVICES)('streaming inference on %s', (device) => {
  const expectSame = (a: Tensor, b: Tensor, what: string) => {
    const x = a.cpu().data()
    const y = b.cpu().data()
    expect(a.shape, what).toEqual(b.shape)
    let worst = 0
    x.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - (y[i] as number)))))
    expect(worst, what).toBeLessThan(1e-5)
  }

  test.each([
    ['LSTM(64 -> 128)', () => new nn.LSTM(64, 128), 64],
    ['GRU(128 -> 256, 2 layers)', () => new nn.GRU(128, 256, { numLayers: 2 }), 128],
    ['LSTM with projection, 2 layers', () => new nn.LSTM(8, 16, { numLayers: 2, projSize: 4 }), 8],
  ] as const)('%s: step by step equals forward on the whole sequence', (_, make, inputSize) => {
    manualSeed(7)
    const layer = make().to(device as 'cpu').eval()
    for (const batch of [1, 3, 0]) {
      const x = batch === 0 ? randn([12, inputSize], { device: device as 'cpu' }) : randn([12, batch, inputSize], { device: device as 'cpu' })
      noGrad(() => {
        const [out, state] = layer instanceof nn.LSTM ? layer.forward(x) : (layer as nn.GRU).forward(x)
        const [steps, carried] = streamed(layer, x)
        expectSame(steps, out, `outputs, batch ${batch}`)
        const h = Array.isArray(state) ? state[0] : (state as Tensor)
        const hs = Array.isArray(carried) ? carried[0] : (carried as Tensor)
        expectSame(hs, h, `final state, batch ${batch}`)
        if (Array.isArray(state)) expectSame((carried as [Tensor, Tensor])[1], state[1], `final cell state, batch ${batch}`)
      })
    }
  })

  test('step() with an explicit state; stream state is detached and reset() starts over', () => {
    manualSeed(3)
    const gru = new nn.GRU(4, 6).to(device as 'cpu')
    const x = randn([2, 4], { device: device as 'cpu' })
    const [y1, h1] = gru.step(x)
    const [y2] = gru.step(x, h1)
    expect(y1.shape).toEqual([2, 6])
    const [out] = gru.forward(x.unsqueeze(0).expand(2, 2, 4))
    expectSame(y2, out.select(0, 1), 'second step')
    const stream = gru.stream()
    stream.step(x)
    expect((stream.state as Tensor).gradFn).toBeNull()
    stream.reset()
    expect(stream.state).toBeNull()
    expectSame(stream.step(x), y1, 'after reset')
    expect(() => new nn.LSTM(4, 6, { bidirectional: true }).step(x)).toThrow('cannot be streamed one step at a time')
    expect(() => gru.step(randn([1, 2, 4]))).toThrow('expected one time step')
  })

  test('a stream frees the states only it held, never one the caller gave it or read', () => {
    manualSeed(5)
    const lstm = new nn.LSTM(4, 6).to(device as 'cpu').eval()
    const x = randn([3, 4], { device: device as 'cpu' })
    const given: [Tensor, Tensor] = [zeros([1, 3, 6], { device: device as 'cpu' }), zeros([1, 3, 6], { device: device as 'cpu' })]
    const freed: Tensor[] = []
    const dispose = Tensor.prototype.dispose
    Tensor.prototype.dispose = function (this: Tensor) {
      freed.push(this)
      dispose.call(this)
    }
    try {
      const stream = lstm.stream(given)
      const ys: Tensor[] = []
      let held: readonly [Tensor, Tensor] | null = null
      noGrad(() => {
        ys.push(stream.step(x)) // the given state stays
        ys.push(stream.step(x)) // the first step's state goes
        held = stream.state // read: stays
        ys.push(stream.step(x))
        ys.push(stream.step(x)) // the third step's state goes
      })
      expect(freed.length).toBe(4)
      for (const t of [...given, ...(held as unknown as Tensor[]), ...ys]) expect(t.disposed).toBe(false)
      expect(freed.every((t) => t.disposed)).toBe(true)
      // With grad mode on nothing is freed: the carried states are detached views.
      freed.length = 0
      for (let t = 0; t < 3; t++) stream.step(x)
      expect(freed.length).toBe(0)
      expect((ys[3] as Tensor).data().length).toBe(18)
    } finally {
      Tensor.prototype.dispose = dispose
    }
  })

  test('per-token steps reuse the prepared weights; an optimizer step or loadStateDict refreshes them', () => {
    manualSeed(5)
    const lstm = new nn.LSTM(3, 5, { numLayers: 2 }).to(device as 'cpu')
    const x = randn([1, 3], { device: device as 'cpu' })
    const stream = lstm.stream()
    stream.step(x)
    const built = native.rnnPreparedWeightBuilds()
    noGrad(() => {
      for (let i = 0; i < 200; i++) stream.step(x)
    })
    expect(native.rnnPreparedWeightBuilds()).toBe(built)

    const opt = new optim.SGD(lstm.parameters(), { lr: 0.5 })
    lstm.step(x)[0].sum().backward()
    opt.step()
    const fresh = new nn.LSTM(3, 5, { numLayers: 2 }).to(device as 'cpu')
    fresh.loadStateDict(lstm.stateDict())
    expectSame(lstm.step(x)[0], fresh.step(x)[0], 'after an optimizer step')
    expect(native.rnnPreparedWeightBuilds()).toBeGreaterThan(built)

    lstm.loadStateDict(new nn.LSTM(3, 5, { numLayers: 2 }).to(device as 'cpu').stateDict())
    const reloaded = new nn.LSTM(3, 5, { numLayers: 2 }).to(device as 'cpu')
    reloaded.loadStateDict(lstm.stateDict())
    expectSame(lstm.step(x)[0], reloaded.step(x)[0], 'after loadStateDict')
  })
})
