// Regression tests for the hostile-use report: each case below crashed, hung or silently gave
// wrong numbers before. Calls that used to kill the process run in a child process, so a
// regression fails the test instead of taking the test runner down with it.

import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { describe, expect, test } from 'vitest'

import {
  arange,
  availableDevices,
  data,
  full,
  getMemoryLimit,
  linspace,
  load,
  nn,
  noGrad,
  ones,
  optim,
  preprocessing,
  randn,
  save,
  setMemoryLimit,
  tensor,
  Tensor,
  text,
  zeros,
} from '../index.js'
import { runCli } from './helpers/cli.js'
import { runIsolated } from './helpers/isolated.js'

const tmp = () => mkdtempSync(join(tmpdir(), 'seqtorch-safety-'))
const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url).pathname

type Num = number | string
const num = (v: Num): number => (typeof v === 'number' ? v : v === '-0' ? -0 : Number(v))
const fx = JSON.parse(readFileSync(fixture('safety.json'), 'utf8')) as {
  relu: Record<'input' | 'output' | 'grad', { shape: number[]; data: Num[] }>
  clamp: ({ name: string; min: Num | null; max: Num | null } & Record<'input' | 'upstream' | 'output' | 'grad', { shape: number[]; data: Num[] }>)[]
  classLosses: {
    name: string
    kind: 'cross_entropy' | 'nll'
    reduction: 'mean' | 'sum' | 'none'
    input: { shape: number[]; data: Num[] }
    target: number[]
    weight: number[] | null
    labelSmoothing: number
    loss: { shape: number[]; data: Num[] }
    grad: { shape: number[]; data: Num[] }
  }[]
  clipGradNorm: { normType: Num; maxNorm: number; grads: number[][]; total: Num; after: Num[][] }[]
  scalers: { name: string; fit: number[][]; new: number[][]; fitTransform: number[][]; transform: number[][]; scale: number[] }[]
}

/** Equal within tolerance, with NaN matching NaN and infinities matching exactly. */
function expectValues(actual: ArrayLike<number>, expected: Num[], what: string, tol = 1e-5): void {
  expect(actual.length, `${what}: length`).toBe(expected.length)
  expected.forEach((e, i) => {
    const a = actual[i] as number
    const x = num(e)
    if (Number.isNaN(x)) expect(a, `${what}[${i}]`).toBeNaN()
    else if (!Number.isFinite(x)) expect(a, `${what}[${i}]`).toBe(x)
    else expect(Math.abs(a - x), `${what}[${i}]: ${a} vs ${x}`).toBeLessThanOrEqual(tol + tol * Math.abs(x))
  })
}

function withLimit<T>(bytes: number, f: () => T): T {
  setMemoryLimit(bytes)
  try {
    return f()
  } finally {
    setMemoryLimit(0)
  }
}

function survives(code: string, options: Parameters<typeof runIsolated>[1] = {}) {
  const r = runIsolated(code, options)
  expect(r.signal, `killed by ${r.signal}: ${r.stderr.slice(-500)}`).toBeNull()
  expect(r.timedOut, 'timed out').toBe(false)
  expect(r.status, r.stderr.slice(-1000)).toBe(0)
  return r
}

describe('deep graphs are freed without overflowing the stack', () => {
  test('a million chained adds, dropped', () => {
    const r = survives(
      `let x = st.ones(1).requiresGrad_(); let y = x
       for (let i = 0; i < 1_000_000; i++) y = y.add(1)
       y = null; globalThis.gc(); console.log('ok')`,
      { nodeArgs: ['--expose-gc'], timeoutMs: 120_000 },
    )
    expect(r.stdout).toContain('ok')
  })

  test('four chains of 100k adds left to the garbage collector', () => {
    survives(
      `const x = st.ones(1).requiresGrad_()
       for (let c = 0; c < 4; c++) { let y = x; for (let i = 0; i < 100_000; i++) y = y.add(1) }
       globalThis.gc(); globalThis.gc(); console.log('ok')`,
      { nodeArgs: ['--expose-gc'], timeoutMs: 120_000 },
    )
  })

  test('an LSTMCell unrolled for 100,000 steps with gradients, then dropped', () => {
    survives(
      `const cell = new st.nn.LSTMCell(4, 8); const x = st.randn(1, 4)
       let h = st.zeros(1, 8), c = st.zeros(1, 8)
       for (let i = 0; i < 100_000; i++) [h, c] = cell.forward(x, [h, c])
       if (!h.gradFn) throw new Error('no graph was built')
       h = c = null; globalThis.gc(); console.log('ok')`,
      { nodeArgs: ['--expose-gc'], timeoutMs: 120_000 },
    )
  })
})

describe('allocations the caller sizes are refused with a RangeError, not an abort', () => {
  test('each once aborted Node', () => {
    const cases: [string, () => unknown, string][] = [
      ['zeros([1e5, 1e5])', () => zeros([1e5, 1e5]), '[100000, 100000]'],
      ['arange(0, 1e10)', () => arange(0, 1e10), 'arange()'],
      // expand is a view (nothing allocated, as in PyTorch): the op that materialises it refuses.
      ['expand(1e9, 1e9) then use', () => ones(1, 1).expand(1e9, 1e9).add(1), 'add()'],
      ['nn.LSTM(10, 60000)', () => new nn.LSTM(10, 60000), '[240000, 60000]'],
      ['nn.Linear(1e5, 1e5)', () => new nn.Linear(1e5, 1e5), '[100000, 100000]'],
      [
        'padPackedSequence totalLength 1e9',
        () => nn.utils.rnn.padPackedSequence(nn.utils.rnn.packSequence([randn(3, 2000), randn(2, 2000)]), { totalLength: 1e9 }),
        'pad_packed_sequence()',
      ],
    ]
    // A ceiling of 4 GB makes the outcome the same on every machine.
    withLimit(4 * 2 ** 30, () => {
      for (const [name, call, inMessage] of cases) {
        let error: unknown = null
        try {
          call()
        } catch (e) {
          error = e
        }
        expect(error, name).toBeInstanceOf(RangeError)
        expect((error as Error).message, name).toContain(inMessage)
        expect((error as Error).message, name).toMatch(/bytes/)
      }
    })
    expect(getMemoryLimit()).toBeGreaterThan(4 * 2 ** 30)
    // The default ceiling refuses what no machine has.
    expect(() => zeros([1e8, 1e8])).toThrow(/memory limit/)
  })

  test('in a fresh process, with the default ceiling', () => {
    const r = survives(
      `const tries = [() => st.zeros([1e5, 1e5, 10]), () => st.arange(0, 1e13), () => st.ones(1, 1).expand(1e9, 1e9).sum(),
        () => new st.nn.LSTM(10, 600000), () => new st.nn.Linear(1e6, 1e6)]
       let refused = 0
       for (const t of tries) { try { t() } catch (e) { if (e instanceof RangeError) refused++ } }
       console.log(refused)`,
    )
    expect(r.stdout.trim()).toBe('5')
  })

  test('a DataLoader over 3e8 samples and Vocab.encode with maxLen 1e9 stay off the JS heap', () => {
    const r = survives(
      `const ds = { length: 3e8, get: (i) => [st.tensor([i])] }
       const loader = new st.data.DataLoader(ds, { batchSize: 4, shuffle: true, generator: 1 })
       const [first] = loader[Symbol.iterator]().next().value
       console.log(first.shape.join('x'))
       const seq = new st.data.DataLoader(ds, { batchSize: 4 })
       console.log(seq[Symbol.iterator]().next().value[0].toArray().join(','))
       const v = st.text.Vocab.build(['a b'])
       try { v.encode('a', { maxLen: 1e9 }) } catch (e) { console.log(e.constructor.name) }`,
      { timeoutMs: 120_000 },
    )
    expect(r.stdout.trim().split('\n')).toEqual(['4x1', '0,1,2,3', 'RangeError'])
  })

  test('seqtorch forecast --hidden 60000: one line, exit status 1', () => {
    const r = runCli(['forecast', '--hidden', '60000', '--epochs', '1'])
    expect(r.status).toBe(1)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toMatch(/cannot allocate|out of memory/)
  })
})

describe('no hangs', () => {
  test('a recurrent layer with 2^53 - 1 layers is refused before its first weight (found by the fuzz suite)', () => {
    const started = performance.now()
    expect(() => new nn.LSTM(3, 5, { numLayers: 2 ** 53 - 1, bidirectional: true })).toThrow(/cannot allocate the weights of 9007199254740991 layer\(s\) of 5 units/)
    expect(performance.now() - started).toBeLessThan(1000)
    expect(() => new data.Subset(new data.TensorDataset(zeros(3)), [0]).getBatch(null as never)).toThrow(TypeError)
  })

  test('w.backward(w.grad) on a leaf', () => {
    const r = survives(
      `const w = st.tensor([1, 2]).requiresGrad_(); w.grad = st.tensor([0.5, 0.25])
       w.backward(w.grad); console.log(w.grad.toArray().join(','))`,
      { timeoutMs: 20_000 },
    )
    expect(r.stdout.trim()).toBe('1,0.5')
  })

  test('CLI: predict --steps 1e9, a config with horizon 0, --out under /proc', () => {
    const dir = tmp()
    const run = join(dir, 'run')
    expect(runCli(['forecast', '--epochs', '1', '--out', run]).status).toBe(0)
    const csv = join(dir, 's.csv')
    writeFileSync(csv, 'v\n' + Array.from({ length: 40 }, (_, i) => Math.sin(i)).join('\n') + '\n')
    const steps = runCli(['predict', '--model', run, '--csv', csv, '--column', 'v', '--steps', '1000000000'])
    expect(steps.status).toBe(1)
    expect(steps.stderr).toContain('--steps must be at most 100000')
    const cfgPath = join(run, 'config.json')
    const cfg = JSON.parse(readFileSync(cfgPath, 'utf8')) as { model: { horizon: number } }
    cfg.model.horizon = 0
    writeFileSync(cfgPath, JSON.stringify(cfg))
    const zero = runCli(['predict', '--model', run, '--csv', csv, '--column', 'v'])
    expect(zero.status).toBe(1)
    expect(zero.stderr).toContain('model.horizon must be an integer >= 1')
    const proc = runCli(['forecast', '--epochs', '1', '--out', '/proc/seqtorch/run'])
    expect(proc.status).toBe(1)
    expect(proc.stderr).toContain("cannot create --out '/proc/seqtorch/run'")
  })
})

describe('no silently wrong results', () => {
  test('changing a tensor in place after forward: copy_ or an optimizer step', () => {
    const lin = new nn.Linear(3, 2)
    const loss = lin.forward(randn(4, 3)).pow(2).sum()
    noGrad(() => lin.weight.copy_(zeros(2, 3)))
    expect(() => loss.backward()).toThrow(
      /one of the variables needed for gradient computation has been modified by an inplace operation: \[torch.FloatTensor \[2, 3\]\] is at version 2; expected version 1 instead/,
    )
    const opt = new optim.SGD(lin.parameters(), { lr: 0.1 })
    const x = randn(4, 3)
    lin.forward(x).sum().backward()
    const loss2 = lin.forward(x).pow(2).sum()
    opt.step()
    expect(() => loss2.backward()).toThrow(/modified by an inplace operation/)
    // Outside noGrad, copy_ into a parameter is PyTorch's leaf error.
    expect(() => lin.weight.copy_(zeros(2, 3))).toThrow('a leaf Variable that requires grad is being used in an in-place operation.')
    expect(lin.weight.version).toBeGreaterThan(0)
  })

  test('relu at NaN, -0 and infinities matches PyTorch (output and gradient)', () => {
    const x = tensor(fx.relu.input.data.map(num)).requiresGrad_()
    const y = x.relu()
    expectValues(y.data(), fx.relu.output.data, 'relu')
    expect(Object.is(y.data()[1], -0)).toBe(true)
    y.sum().backward()
    expectValues(x.grad!.data(), fx.relu.grad.data, 'relu grad')
  })

  test('clamp matches PyTorch bit for bit at NaN, -0, infinities and its bounds (output and gradient)', () => {
    const bits = (values: ArrayLike<number>) => Array.from(values, (x) => (Number.isNaN(x) ? 'NaN' : Object.is(x, -0) ? '-0' : String(x)))
    const want = (data: Num[]) => bits(data.map((v) => Math.fround(num(v))))
    expect(fx.clamp.length).toBeGreaterThan(10)
    for (const c of fx.clamp) {
      for (const device of availableDevices()) {
        const x = tensor(c.input.data.map(num), { device: device as 'cpu' }).requiresGrad_()
        const y = x.clamp(c.min === null ? null : num(c.min), c.max === null ? null : num(c.max))
        expect(y.gradFn).toBe('ClampBackward1')
        expect(bits(y.data()), `${c.name} on ${device}`).toEqual(want(c.output.data))
        y.backward(tensor(c.upstream.data.map(num), { device: device as 'cpu' }))
        expect(bits(x.grad!.data()), `${c.name} gradient on ${device}`).toEqual(want(c.grad.data))
      }
    }
    const t = tensor([-3, 0.25, 4])
    expect(Array.from(t.clip(-1, 1).data())).toEqual([-1, 0.25, 1])
    expect(Array.from(t.clampMin(0).data())).toEqual([0, 0.25, 4])
    expect(Array.from(t.clampMax(0).data())).toEqual([-3, 0, 0])
    expect(tensor([1, 5, 9], { dtype: 'int64' }).clamp(2, 6).dtype).toBe('float32')
    expect(() => t.clamp()).toThrow("clamp(): at least one of 'min' or 'max' must be given")
    expect(() => t.clamp(null, undefined)).toThrow("at least one of 'min' or 'max'")
    expect(() => t.clamp('1' as never)).toThrow(TypeError)
    expect(() => t.clampMax(undefined as never)).toThrow(TypeError)
  })

  test('shapes with a dimension of 2^32 or more are exact, or refused', () => {
    expect(zeros([0, 2 ** 40]).shape).toEqual([0, 2 ** 40])
    expect(zeros([0, 2 ** 53 - 1]).shape).toEqual([0, 2 ** 53 - 1])
    expect(() => zeros([0, 1e18])).toThrow(RangeError)
    expect(() => ones(1, 1).expand(2 ** 32, 2 ** 32)).toThrow(RangeError)
  })

  test.each(fx.classLosses.map((c) => [c.name, c] as const))('%s matches PyTorch', (_, c) => {
    const x = tensor(c.input.data.map(num), { shape: c.input.shape }).requiresGrad_()
    const t = tensor(c.target, { dtype: 'int64' })
    const weight = c.weight ? tensor(c.weight) : undefined
    const loss =
      c.kind === 'cross_entropy'
        ? new nn.CrossEntropyLoss({ reduction: c.reduction, weight, labelSmoothing: c.labelSmoothing }).forward(x, t)
        : new nn.NLLLoss({ reduction: c.reduction, weight }).forward(x, t)
    expectValues(loss.data(), c.loss.data, 'loss')
    loss.backward(c.reduction === 'none' ? ones(...loss.shape) : undefined)
    expectValues(x.grad!.data(), c.grad.data, 'input gradient')
  })

  test.each(fx.clipGradNorm.map((c) => [`normType ${c.normType}, maxNorm ${c.maxNorm}`, c] as const))('clipGradNorm_ %s matches PyTorch', (_, c) => {
    const params = c.grads.map((g) => {
      const p = new nn.Parameter(zeros(g.length))
      p.grad = tensor(g)
      return p
    })
    const total = nn.utils.clipGradNorm_(params, c.maxNorm, { normType: num(c.normType) })
    expectValues([total], [c.total], 'total norm')
    params.forEach((p, i) => expectValues(p.grad!.data(), c.after[i]!, `grad ${i}`))
  })

  test.each(fx.scalers.map((c) => [c.name, c] as const))('%s scaler treats (nearly) constant columns like scikit-learn', (_, c) => {
    const s = c.name === 'minmax' ? new preprocessing.MinMaxScaler() : new preprocessing.StandardScaler({ withMean: c.name === 'standard' })
    const fitted = s.fitTransform(tensor(c.fit))
    expectValues(s.scale!, c.scale, 'scale', 1e-6)
    expectValues(fitted.data(), c.fitTransform.flat(), 'fitTransform', 1e-4)
    expectValues(s.transform(c.new).data(), c.transform.flat(), 'transform', 1e-4)
  })
})

describe('state and files are checked before they are used', () => {
  test('optimizer loadStateDict refuses bad values and changes nothing', () => {
    const p = new nn.Parameter(randn(3))
    const opt = new optim.Adam([p], { lr: 0.01 })
    p.grad = ones(3)
    opt.step()
    const good = opt.stateDict()
    const before = JSON.stringify(good.paramGroups)
    const bad: [string, (sd: typeof good) => void, RegExp][] = [
      ['lr NaN', (sd) => (sd.paramGroups[0]!.lr = NaN), /Invalid learning rate|lr/],
      ['betas [5, 5]', (sd) => (sd.paramGroups[0]!.betas = [5, 5]), /Invalid beta parameter at index 0: 5/],
      ['step -1', (sd) => (sd.state[0]!['step'] = -1), /step must be an integer >= 0/],
      ['step NaN', (sd) => (sd.state[0]!['step'] = NaN), /step must be an integer/],
      ['short buffer', (sd) => (sd.state[0]!['exp_avg'] = zeros(1)), /exp_avg has 1 values, but its parameter has shape \[3\]/],
      ['unknown buffer', (sd) => (sd.state[0]!['velocity'] = zeros(3)), /unknown entry 'velocity'/],
      ['unknown hyperparameter', (sd) => ((sd.paramGroups[0] as unknown as Record<string, unknown>)['momentum'] = 0.9), /unknown option 'momentum'/],
    ]
    for (const [name, spoil, message] of bad) {
      const sd = opt.stateDict()
      spoil(sd)
      expect(() => opt.loadStateDict(sd), name).toThrow(message)
      expect(JSON.stringify(opt.stateDict().paramGroups), name).toBe(before)
      expect(opt.stateDict().state[0]!['step'], name).toBe(1)
    }
    // And the untouched optimizer still steps.
    opt.step()
    expect(Number.isFinite(p.data()[0])).toBe(true)
  })

  test('schedulers and scalers validate what they load', () => {
    const opt = new optim.SGD([new nn.Parameter(zeros(1))], { lr: 0.1 })
    const sched = new optim.lrScheduler.StepLR(opt, 2)
    expect(() => sched.loadStateDict({ lastEpoch: -1, baseLrs: [0.1] })).toThrow(RangeError)
    expect(() => sched.loadStateDict({ lastEpoch: 1, baseLrs: [0.1, 0.2] })).toThrow(RangeError)
    expect(sched.lastEpoch).toBe(0)
    expect(() =>
      preprocessing.MinMaxScaler.fromJSON({ featureRange: [0, 1], dataMin: ['x'] as never, dataMax: [1] }),
    ).toThrow(TypeError)
    expect(() => preprocessing.MinMaxScaler.fromJSON({ featureRange: [0, 1], dataMin: [2], dataMax: [1] })).toThrow(RangeError)
    expect(() => preprocessing.StandardScaler.fromJSON({ mean: [0], var: [-1], nSamplesSeen: 3, features: 1 })).toThrow(RangeError)
  })

  test("predict refuses a config.json whose scaler holds a string (it printed NaN with exit status 0)", () => {
    const dir = tmp()
    const run = join(dir, 'run')
    expect(runCli(['forecast', '--epochs', '1', '--out', run]).status).toBe(0)
    const cfgPath = join(run, 'config.json')
    const cfg = JSON.parse(readFileSync(cfgPath, 'utf8')) as { scaler: { dataMin: unknown[] } }
    cfg.scaler.dataMin = ['x']
    writeFileSync(cfgPath, JSON.stringify(cfg))
    const csv = join(dir, 's.csv')
    writeFileSync(csv, 'v\n' + Array.from({ length: 40 }, (_, i) => Math.sin(i)).join('\n') + '\n')
    const r = runCli(['predict', '--model', run, '--csv', csv, '--column', 'v'])
    expect(r.status).toBe(1)
    expect(r.stderr).toContain('dataMin[0] must be a number')
    expect(r.stdout).toBe('')
  })

  test('safetensors: __proto__ is a name, __metadata__ is refused, int64 extremes are exact, huge dims exact', async () => {
    const ck = await load(fixture('edge.safetensors'))
    expect(Object.getPrototypeOf(ck)).toBeNull()
    expect(Object.keys(ck).sort()).toEqual(['__proto__', 'empty_huge', 'int64_limits'])
    expect(ck['__proto__']!.toArray()).toEqual([1.5, -2.5])
    expect(ck['empty_huge']!.shape).toEqual([0, 2 ** 40])
    const ints = ck['int64_limits']!
    expect(ints.toBigInt64Array()).toEqual(BigInt64Array.from([2n ** 63n - 1n, -(2n ** 63n), 2n ** 53n + 1n, -(2n ** 53n) - 1n, 7n]))
    expect(() => ints.data()).toThrow(/9223372036854775807 is outside the range a JavaScript number holds exactly/)
    expect(String(ints)).toContain('9223372036854775807')
    // Round trip keeps them exact.
    const dir = tmp()
    await save({ ints, ['__proto__']: ck['__proto__']! }, join(dir, 'x.safetensors'))
    const back = await load(join(dir, 'x.safetensors'))
    expect(back['ints']!.toBigInt64Array()).toEqual(ints.toBigInt64Array())
    expect(back['__proto__']!.toArray()).toEqual([1.5, -2.5])
    // __metadata__ as a tensor name would leave a file no reader accepts: refused, and the
    // good checkpoint stays.
    const path = join(dir, 'good.safetensors')
    await save({ w: ones(2) }, path)
    await expect(save({ __metadata__: ones(2) }, path)).rejects.toThrow("'__metadata__' is reserved")
    expect((await load(path))['w']!.toArray()).toEqual([1, 1])
  })
})

describe('options are checked: wrong types, NaN, unknown names', () => {
  test.each([
    ['Tensor.backward', () => ones(1).requiresGrad_().sum().backward({ retainGraph: 'yes' } as never)],
    ['Tensor.backward unknown key', () => ones(1).requiresGrad_().sum().backward({ retain_graph: true } as never)],
    ['full dtype', () => full([2], 1, { dtype: Symbol('x') as never })],
    ['randn options', () => randn([2], { requiresGrad: () => 1 } as never)],
    ['randn dtype int64', () => randn([2], { dtype: 'int64' } as never)],
    ['SGD lr string', () => new optim.SGD([new nn.Parameter(zeros(1))], { lr: '0.1' as never })],
    ['Adam unknown key', () => new optim.Adam([new nn.Parameter(zeros(1))], { learningRate: 0.1 } as never)],
    ['Adam betas NaN', () => new optim.Adam([new nn.Parameter(zeros(1))], { betas: [NaN, 0.9] })],
    ['DataLoader batchSize NaN', () => new data.DataLoader(new data.TensorDataset(zeros(4)), { batchSize: NaN })],
    ['DataLoader unknown key', () => new data.DataLoader(new data.TensorDataset(zeros(4)), { batch_size: 2 } as never)],
    ['createSequences horizon string', () => data.createSequences(linspace(0, 1, 10), 3, { horizon: '2' as never })],
    ['createSequences undefined length', () => data.createSequences(linspace(0, 1, 10), undefined as never)],
    ['trainTestSplit testSize NaN', () => data.trainTestSplit(zeros(10), zeros(10), { testSize: NaN })],
    ['trainTestSplit unknown key', () => data.trainTestSplit(zeros(10), zeros(10), { test_size: 0.2 } as never)],
    ['Vocab.build minFreq function', () => text.Vocab.build(['a'], { minFreq: (() => 1) as never })],
    ['Vocab.build unknown key', () => text.Vocab.build(['a'], { min_freq: 2 } as never)],
    ['Vocab.encode maxLen NaN', () => text.Vocab.build(['a']).encode('a', { maxLen: NaN })],
    ['LSTM unknown key', () => new nn.LSTM(2, 3, { hidden_size: 4 } as never)],
    ['LSTM dropout string', () => new nn.LSTM(2, 3, { dropout: '0.5' as never, numLayers: 2 })],
  ])('%s throws', (_, call) => {
    let error: unknown = null
    try {
      call()
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(Error)
    expect([TypeError, RangeError].some((c) => error instanceof c)).toBe(true)
  })

  test('unknown names list the accepted ones', () => {
    expect(() => new optim.SGD([new nn.Parameter(zeros(1))], { learning_rate: 1 } as never)).toThrow(
      "SGD(): unknown option 'learning_rate'; accepted options are: lr, momentum, dampening, weightDecay, nesterov, maximize",
    )
    expect(() => new optim.SGD([{ params: [new nn.Parameter(zeros(1))], mommentum: 0.9 } as never])).toThrow("unknown option 'mommentum'")
  })
})

describe('smaller things', () => {
  test('a save killed mid-write leaves no temporary behind the next save', async () => {
    const dir = tmp()
    // What a killed save leaves: the temporary of a process that no longer exists.
    const stale = join(dir, '.m.safetensors.tmp-999999999-0')
    writeFileSync(stale, Buffer.alloc(1024))
    await save({ w: ones(2) }, join(dir, 'm.safetensors'))
    expect(existsSync(stale)).toBe(false)
    expect(readdirSync(dir)).toEqual(['m.safetensors'])
  })

  test('nn.Linear(0, 2) on [3, 0] returns the bias for each row, as PyTorch does', () => {
    const lin = new nn.Linear(0, 2)
    const y = lin.forward(zeros(3, 0))
    expect(y.shape).toEqual([3, 2])
    expect(y.toArray()).toEqual([
      [0, 0],
      [0, 0],
    ].concat([[0, 0]]))
  })

  test('messages name what went wrong, without internals', () => {
    expect(() => zeros(2, 3).indexSelect(0, [5])).toThrow('index_select(): index 5 is out of range for dimension 0 of size 2')
    expect(() => new nn.Embedding(10, 3).forward(tensor([12], { dtype: 'int64' }))).toThrow(
      'embedding(): index 12 is out of range for a table of 10 rows',
    )
    expect(() => data.createSequences(linspace(0, 1, 10), undefined as never)).toThrow('createSequences(): seqLength must be an integer >= 1, got undefined')
    expect(() => full([2], 1e300, { dtype: 'int64' })).toThrow('cannot be converted to type int64 without overflow')
  })

  test('dispose() while a save() is pending', async () => {
    const dir = tmp()
    const t = randn(500, 500)
    const pending = save({ w: t }, join(dir, 'w.safetensors'))
    t.dispose()
    expect(t.disposed).toBe(true)
    await pending
    expect((await load(join(dir, 'w.safetensors')))['w']!.shape).toEqual([500, 500])
  })

  test('a 10 MB bad CSV cell is not echoed whole', () => {
    const dir = tmp()
    const csv = join(dir, 'bad.csv')
    writeFileSync(csv, `v\n1\n${'x'.repeat(10_000_000)}\n2\n`)
    const r = runCli(['forecast', '--csv', csv, '--column', 'v'])
    expect(r.status).toBe(1)
    expect(r.stderr.length).toBeLessThan(500)
    expect(r.stderr).toContain('(10000000 characters)')
  })

  test('int64 values from a BigInt64Array are kept exactly', () => {
    const t = tensor(BigInt64Array.from([2n ** 62n + 1n, -5n]))
    expect(t.dtype).toBe('int64')
    expect(t.toBigInt64Array()).toEqual(BigInt64Array.from([2n ** 62n + 1n, -5n]))
    expect(() => t.data()).toThrow(RangeError)
    expect(() => t.narrow(0, 0, 1).item()).toThrow(RangeError)
    expect(t.narrow(0, 1, 1).item()).toBe(-5)
  })
})

test('Tensor is still a Tensor after all of this', () => {
  expect(randn(2, 2)).toBeInstanceOf(Tensor)
})
