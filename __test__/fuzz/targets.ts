// Every public function and method of seqtorch, as a fuzz target: a generator of (mostly
// hostile) arguments and the call. Each target mixes valid and invalid values so that calls get
// past the first check and reach the native code.

import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

import fc from 'fast-check'

import * as st from '../../index.js'
import {
  anything as a,
  datasetRef,
  edgeNumber,
  moduleRef,
  optimizerRef,
  optionsFor,
  packedRef,
  pathRef,
  sizes,
  smallInt,
  tensorRef,
  type Pool,
} from './values.js'

export interface Target {
  name: string
  args: fc.Arbitrary<unknown[]>
  /** `args` with pool references resolved. */
  call: (args: unknown[]) => unknown
}

const { nn, optim, data, preprocessing, text } = st
type AnyFn = (...args: unknown[]) => unknown

/** Builds the objects generated values refer to, in a scratch folder. */
export function buildPool(dir: string): Pool {
  st.manualSeed(1)
  const t = (x: st.Tensor) => x
  const leaf = st.randn(2, 3).requiresGrad_()
  const withGrad = st.randn(2, 3).requiresGrad_()
  withGrad.grad = st.ones(2, 3)
  const disposed = st.ones(2)
  disposed.dispose()
  const tensor = [
    t(st.tensor(1.5)),
    st.randn(3),
    st.randn(2, 3),
    leaf,
    leaf.mul(2),
    st.tensor([1, 2, 3], { dtype: 'int64' }),
    st.zeros(0),
    st.zeros([0, 2 ** 40]),
    st.ones(1, 1, 1),
    disposed,
    st.randn(4, 1),
    st.randn(2, 3, 4),
    st.randn(5, 2, 4),
    st.randn(3, 3),
    st.full([3], NaN),
    st.tensor([0, 1], { dtype: 'int64' }),
    st.randn(2, 4),
    st.randn(2, 8),
    st.randn(1, 2, 8),
    st.tensor([0, 2, 1, 0], { dtype: 'int64' }),
    st.randn(4, 3),
    st.randn(64, 64),
    withGrad,
    st.tensor(BigInt64Array.from([2n ** 62n, -3n])),
  ]
  const module: st.nn.Module[] = [
    new nn.LSTM(4, 8),
    new nn.GRU(4, 8, { batchFirst: true }),
    new nn.RNN(4, 8, { numLayers: 2, bidirectional: true }),
    new nn.LSTMCell(4, 8),
    new nn.GRUCell(4, 8),
    new nn.RNNCell(4, 8),
    new nn.Linear(3, 2),
    new nn.Embedding(10, 3, { paddingIdx: 0 }),
    new nn.Dropout(0.5),
    new nn.Sequential(new nn.ReLU(), new nn.Linear(3, 3), new nn.Tanh()),
    new nn.MSELoss(),
    new nn.CrossEntropyLoss(),
  ]
  const params = () => new nn.Linear(3, 2).parameters()
  const optimizer = [
    new optim.SGD(params(), { lr: 0.1, momentum: 0.9 }),
    new optim.Adam(params(), { amsgrad: true }),
    new optim.AdamW(params()),
    new optim.RMSprop(params(), { centered: true, momentum: 0.5 }),
    new optim.SGD(module[6]!.parameters(), { lr: 0.01 }),
  ] as st.optim.Optimizer<{ lr: number }>[]
  const getter = (i: number) => [st.tensor([i]), st.tensor([i * 2])]
  const ds = new data.TensorDataset(st.randn(6, 3), st.randn(6, 1))
  const dataset = [
    ds,
    new data.Subset(ds, [0, 2, 4]),
    new data.WindowDataset(st.randn(20), 4, { horizon: 2 }),
    { length: NaN, get: getter },
    { length: 3, get: () => 'not tensors' },
    { length: 2 ** 33, get: getter },
    { get: 5, length: 2 },
  ] as st.data.Dataset[]
  mkdirSync(join(dir, 'folder'), { recursive: true })
  writeFileSync(join(dir, 'garbage.safetensors'), Buffer.from('not a checkpoint at all'))
  const path = [
    join(dir, 'out.safetensors'),
    join(dir, 'good.safetensors'),
    join(dir, 'garbage.safetensors'),
    join(dir, 'folder'),
    '/dev/zero',
    '/proc/self/status',
    '',
    join(dir, 'missing', 'deeper', 'x.safetensors'),
    `${join(dir, 'nul')}\0x`,
  ]
  const packed = [
    nn.utils.rnn.packSequence([st.randn(3, 4), st.randn(2, 4)]),
    new nn.utils.rnn.PackedSequence(st.randn(5, 4), st.tensor([1, 4], { dtype: 'int64' })),
  ]
  return { tensor, module, optimizer, dataset, path, packed }
}

/** A target whose arguments are `gens`, calling `fn` with them. */
function target(name: string, gens: fc.Arbitrary<unknown>[], fn: AnyFn): Target {
  return { name, args: fc.tuple(...gens), call: (args) => fn(...args) }
}

/** A Tensor method called on a pooled receiver. */
function method(name: string, gens: fc.Arbitrary<unknown>[]): Target {
  return {
    name: `Tensor.${name}`,
    args: fc.tuple(tensorRef, ...gens),
    call: ([self, ...rest]) => {
      const m = (self as Record<string, unknown>)[name]
      if (typeof m !== 'function') return (self as Record<string, unknown>)[name]
      return (m as AnyFn).apply(self, rest)
    },
  }
}

/** A method on a pooled module/optimizer/dataset. */
function on(kind: 'module' | 'optimizer' | 'dataset', name: string, gens: fc.Arbitrary<unknown>[]): Target {
  const self = kind === 'module' ? moduleRef : kind === 'optimizer' ? optimizerRef : datasetRef
  return {
    name: `${kind}.${name}`,
    args: fc.tuple(self, ...gens),
    call: ([obj, ...rest]) => {
      const m = (obj as Record<string, unknown>)[name]
      if (typeof m !== 'function') throw new TypeError(`${name} is not a method here`)
      return (m as AnyFn).apply(obj, rest)
    },
  }
}

const ctor =
  (C: unknown) =>
  (...args: unknown[]) =>
    new (C as new (...a: unknown[]) => unknown)(...args)

const TENSOR_OPTS = ['dtype', 'requiresGrad', 'device']
const DEVICE_NAMES = fc.constantFrom('cpu', 'cuda', 'cuda:0', 'cuda:7', 'cpu:0', 'cpu:1', 'gpu', 'cuda:', 'cuda:-1', '')
const DATA_OPTS = [...TENSOR_OPTS, 'shape']
const RNN_OPTS = ['numLayers', 'bias', 'batchFirst', 'dropout', 'bidirectional', 'projSize', 'nonlinearity']
const LOSS_OPTS = ['reduction', 'weight', 'posWeight', 'ignoreIndex', 'labelSmoothing', 'delta']

export const targets: Target[] = [
  // ----- creation -----
  target('tensor', [fc.oneof(a, fc.array(fc.double(), { maxLength: 6 })), optionsFor(DATA_OPTS)], st.tensor as AnyFn),
  target('zeros', [sizes, optionsFor(TENSOR_OPTS)], (s, o) => st.zeros(s as number[], o as never)),
  target('zeros(...spread)', [sizes], (s) => (st.zeros as AnyFn)(...(Array.isArray(s) ? s : [s]))),
  target('ones', [sizes, optionsFor(TENSOR_OPTS)], (s, o) => st.ones(s as number[], o as never)),
  target('full', [sizes, a, optionsFor(TENSOR_OPTS)], st.full as AnyFn),
  target('zerosLike', [a, optionsFor(TENSOR_OPTS)], st.zerosLike as AnyFn),
  target('onesLike', [a, optionsFor(TENSOR_OPTS)], st.onesLike as AnyFn),
  target('randn', [sizes, optionsFor(TENSOR_OPTS)], (s, o) => st.randn(s as number[], o as never)),
  target('rand', [sizes, optionsFor(TENSOR_OPTS)], (s, o) => st.rand(s as number[], o as never)),
  target('randint', [fc.oneof(smallInt, edgeNumber), fc.oneof(smallInt, edgeNumber, sizes), fc.oneof(sizes, a)], st.randint as AnyFn),
  target('arange', [fc.oneof(smallInt, edgeNumber, a), fc.oneof(smallInt, edgeNumber, a), fc.oneof(edgeNumber, smallInt, a)], st.arange as AnyFn),
  target('linspace', [fc.oneof(edgeNumber, a), fc.oneof(edgeNumber, a), fc.oneof(smallInt, edgeNumber, a), optionsFor(TENSOR_OPTS)], st.linspace as AnyFn),
  target('cat', [fc.oneof(fc.array(tensorRef, { maxLength: 4 }), a), fc.oneof(smallInt, a)], st.cat as AnyFn),
  target('stack', [fc.oneof(fc.array(tensorRef, { maxLength: 4 }), a), fc.oneof(smallInt, a)], st.stack as AnyFn),
  target('noGrad', [fc.oneof(fc.func(a), a)], st.noGrad as AnyFn),
  target('enableGrad', [fc.oneof(fc.func(a), a)], st.enableGrad as AnyFn),
  target('manualSeed', [fc.oneof(edgeNumber, a, fc.bigInt())], st.manualSeed as AnyFn),
  target('setNumThreads', [fc.oneof(fc.integer({ min: -2, max: 4 }), edgeNumber, a)], st.setNumThreads as AnyFn),
  target('setMemoryLimit', [fc.oneof(edgeNumber, a)], st.setMemoryLimit as AnyFn),
  target('setFloat32MatmulPrecision', [fc.oneof(fc.constantFrom('highest', 'high', 'medium'), a)], st.setFloat32MatmulPrecision as AnyFn),
  target('getFloat32MatmulPrecision', [], st.getFloat32MatmulPrecision as AnyFn),
  target('availableDevices', [], st.availableDevices as AnyFn),
  target('cuda.isAvailable', [], () => st.cuda.isAvailable()),
  target('cuda.deviceCount', [], () => st.cuda.deviceCount()),
  ...(['memoryStats', 'memoryAllocated', 'maxMemoryAllocated', 'memoryReserved', 'maxMemoryReserved', 'resetPeakMemoryStats', 'emptyCache', 'synchronize'] as const).map((m) =>
    target(`cuda.${m}`, [fc.oneof(fc.constant(undefined), smallInt, DEVICE_NAMES, edgeNumber, a)], (d: unknown) => st.cuda[m](d as never)),
  ),

  // ----- Tensor methods -----
  ...['numel', 'toArray', 'data', 'toBigInt64Array', 'item', 'detach', 'clone', 'neg', 'exp', 'log', 'sigmoid', 'tanh', 'relu', 'sin', 'cos', 'abs', 'sqrt', 'flatten', 'float', 'long', 'toString'].map((m) => method(m, [])),
  // dispose() on a copy: disposing the pool itself would leave later cases nothing to use.
  { name: 'Tensor.dispose', args: fc.tuple(tensorRef), call: ([t]) => (t as st.Tensor).detach().dispose() },
  ...['shape', 'dtype', 'ndim', 'isLeaf', 'gradFn', 'grad', 'requiresGrad', 'disposed', 'version'].map((m) => method(m, [])),
  ...['add', 'sub', 'mul', 'div'].map((m) => method(m, [fc.oneof(tensorRef, edgeNumber, a)])),
  method('pow', [fc.oneof(edgeNumber, a)]),
  method('matmul', [fc.oneof(tensorRef, a)]),
  method('sum', [fc.oneof(smallInt, fc.array(smallInt, { maxLength: 3 }), a), fc.oneof(fc.boolean(), a)]),
  method('mean', [fc.oneof(smallInt, fc.array(smallInt, { maxLength: 3 }), a), fc.oneof(fc.boolean(), a)]),
  method('max', [fc.oneof(fc.constant(undefined), smallInt, a), fc.oneof(fc.boolean(), a)]),
  method('argmax', [fc.oneof(fc.constant(undefined), smallInt, a), fc.oneof(fc.boolean(), a)]),
  method('min', [fc.oneof(fc.constant(undefined), smallInt, a), fc.oneof(fc.boolean(), a)]),
  method('argmin', [fc.oneof(fc.constant(undefined), smallInt, a), fc.oneof(fc.boolean(), a)]),
  ...['clamp', 'clip'].map((m) => method(m, [fc.oneof(fc.constant(null), fc.constant(undefined), edgeNumber, a), fc.oneof(fc.constant(null), fc.constant(undefined), edgeNumber, a)])),
  ...['clampMin', 'clampMax'].map((m) => method(m, [fc.oneof(edgeNumber, a)])),
  ...['softmax', 'logSoftmax'].map((m) => method(m, [fc.oneof(smallInt, a)])),
  method('size', [fc.oneof(fc.constant(undefined), smallInt, a)]),
  method('reshape', [fc.oneof(sizes, a)]),
  method('view', [fc.oneof(sizes, a)]),
  method('expand', [fc.oneof(sizes, a)]),
  method('permute', [fc.oneof(fc.array(smallInt, { maxLength: 4 }), a)]),
  method('transpose', [fc.oneof(smallInt, a), fc.oneof(smallInt, a)]),
  method('squeeze', [fc.oneof(fc.constant(undefined), smallInt, a)]),
  method('unsqueeze', [fc.oneof(smallInt, a)]),
  method('select', [fc.oneof(smallInt, a), fc.oneof(smallInt, edgeNumber, a)]),
  method('narrow', [fc.oneof(smallInt, a), fc.oneof(smallInt, edgeNumber), fc.oneof(smallInt, edgeNumber, a)]),
  method('indexSelect', [fc.oneof(smallInt, a), fc.oneof(tensorRef, fc.array(smallInt, { maxLength: 4 }), a)]),
  method('copy_', [fc.oneof(tensorRef, a)]),
  method('to', [fc.oneof(fc.constantFrom('float32', 'int64'), DEVICE_NAMES, a)]),
  method('cpu', []),
  method('cuda', [fc.oneof(smallInt, a)]),
  method('contiguous', []),
  method('isContiguous', []),
  method('device', []),
  method('requiresGrad_', [fc.oneof(fc.boolean(), a)]),
  method('backward', [fc.oneof(tensorRef, optionsFor(['retainGraph']), a), optionsFor(['retainGraph'])]),
  {
    name: 'Tensor.grad =',
    args: fc.tuple(tensorRef, fc.oneof(tensorRef, fc.constant(null), a)),
    call: ([self, g]) => ((self as st.Tensor).grad = g as st.Tensor),
  },
  {
    name: 'Tensor.requiresGrad =',
    args: fc.tuple(tensorRef, fc.oneof(fc.boolean(), a)),
    call: ([self, g]) => ((self as st.Tensor).requiresGrad = g as boolean),
  },

  // ----- layers and modules -----
  target('nn.RNN', [fc.oneof(smallInt, edgeNumber, a), fc.oneof(smallInt, edgeNumber, a), optionsFor(RNN_OPTS)], ctor(nn.RNN)),
  target('nn.LSTM', [fc.oneof(smallInt, edgeNumber, a), fc.oneof(smallInt, edgeNumber, a), optionsFor(RNN_OPTS)], ctor(nn.LSTM)),
  target('nn.GRU', [fc.oneof(smallInt, edgeNumber, a), fc.oneof(smallInt, edgeNumber, a), optionsFor(RNN_OPTS)], ctor(nn.GRU)),
  target('nn.RNNCell', [fc.oneof(smallInt, a), fc.oneof(smallInt, a), optionsFor(['bias', 'nonlinearity'])], ctor(nn.RNNCell)),
  target('nn.LSTMCell', [fc.oneof(smallInt, a), fc.oneof(smallInt, a), optionsFor(['bias'])], ctor(nn.LSTMCell)),
  target('nn.GRUCell', [fc.oneof(smallInt, a), fc.oneof(smallInt, a), optionsFor(['bias'])], ctor(nn.GRUCell)),
  target('nn.Linear', [fc.oneof(smallInt, edgeNumber, a), fc.oneof(smallInt, edgeNumber, a), optionsFor(['bias'])], ctor(nn.Linear)),
  target('nn.Embedding', [fc.oneof(smallInt, edgeNumber, a), fc.oneof(smallInt, edgeNumber, a), optionsFor(['paddingIdx'])], ctor(nn.Embedding)),
  target('nn.Embedding.fromPretrained', [fc.oneof(tensorRef, a), optionsFor(['paddingIdx', 'freeze'])], nn.Embedding.fromPretrained as AnyFn),
  target('nn.Dropout', [fc.oneof(edgeNumber, a)], ctor(nn.Dropout)),
  ...(['Softmax', 'LogSoftmax'] as const).map((name) =>
    target(`nn.${name}`, [fc.oneof(smallInt, edgeNumber, a), fc.oneof(tensorRef, a)], (dim, x) => new nn[name](dim as number).forward(x as st.Tensor)),
  ),
  target('nn.Parameter', [fc.oneof(tensorRef, a), fc.oneof(fc.boolean(), a)], ctor(nn.Parameter)),
  target('nn.Sequential', [fc.array(fc.oneof(moduleRef, a), { maxLength: 3 })], (list) => new nn.Sequential(...(list as st.nn.Module[]))),
  ...(['MSELoss', 'L1Loss', 'HuberLoss', 'BCELoss', 'BCEWithLogitsLoss', 'CrossEntropyLoss', 'NLLLoss'] as const).map((name) =>
    target(`nn.${name}`, [optionsFor(LOSS_OPTS), fc.oneof(tensorRef, a), fc.oneof(tensorRef, a)], (o, x, y) => {
      const loss = new (nn[name] as new (o: unknown) => { forward(x: unknown, y: unknown): unknown })(o)
      return loss.forward(x, y)
    }),
  ),
  on('module', 'forward', [fc.oneof(tensorRef, packedRef, a), fc.oneof(tensorRef, fc.array(tensorRef, { maxLength: 3 }), a)]),
  on('module', 'loadStateDict', [fc.oneof(fc.dictionary(fc.constantFrom('weight', 'bias', 'weight_ih_l0', 'weight_hh_l0', '0.weight', '__proto__'), tensorRef), a), optionsFor(['strict'])]),
  on('module', 'stateDict', []),
  on('module', 'to', [fc.oneof(DEVICE_NAMES, a)]),
  on('module', 'cpu', []),
  on('module', 'step', [fc.oneof(tensorRef, a), fc.oneof(tensorRef, fc.array(tensorRef, { maxLength: 3 }), a)]),
  {
    name: 'module.stream().step',
    args: fc.tuple(moduleRef, fc.oneof(tensorRef, a), fc.oneof(tensorRef, a)),
    call: ([m, state, x]) => {
      const stream = (m as { stream?: (s: unknown) => { step: (x: unknown) => unknown } }).stream
      if (typeof stream !== 'function') throw new TypeError('stream is not a method here')
      const s = stream.call(m, state)
      s.step(x)
      return s.step(x)
    },
  },
  on('module', 'train', [fc.oneof(fc.boolean(), a)]),
  on('module', 'eval', []),
  on('module', 'zeroGrad', []),
  on('module', 'parameters', []),
  on('module', 'toString', []),
  on('module', 'namedParameters', [fc.oneof(fc.string({ maxLength: 4 }), a)]),
  target('module.namedModules (iterated)', [moduleRef, fc.oneof(fc.string({ maxLength: 4 }), a)], (m, p) => [...(m as st.nn.Module).namedModules(p as string)].length),
  target('nn.Sequential.at', [fc.array(moduleRef, { maxLength: 3 }), fc.oneof(smallInt, edgeNumber, a)], (list, i) => new nn.Sequential(...(list as st.nn.Module[])).at(i as number)),
  target('new optim.Optimizer', [a, a, a, a], (...args) => new (optim.Optimizer as unknown as new (...a: unknown[]) => unknown)(...args)),
  ...(['uniform_', 'normal_', 'constant_', 'xavierUniform_', 'xavierNormal_', 'orthogonal_', 'zeros_', 'ones_'] as const).map((name) =>
    target(`nn.init.${name}`, [fc.oneof(tensorRef, a), fc.oneof(edgeNumber, smallInt, a), fc.oneof(edgeNumber, smallInt, a)], nn.init[name] as AnyFn),
  ),
  ...(['kaimingUniform_', 'kaimingNormal_'] as const).map((name) =>
    target(`nn.init.${name}`, [fc.oneof(tensorRef, a), optionsFor(['a', 'mode', 'nonlinearity'])], nn.init[name] as AnyFn),
  ),
  target('nn.init.calculateGain', [a, fc.oneof(edgeNumber, a)], nn.init.calculateGain as AnyFn),
  target('nn.utils.clipGradNorm_', [fc.oneof(fc.array(tensorRef, { maxLength: 3 }), tensorRef, a), fc.oneof(edgeNumber, a), optionsFor(['normType', 'errorIfNonfinite'])], nn.utils.clipGradNorm_ as AnyFn),
  target('nn.utils.clipGradValue_', [fc.oneof(fc.array(tensorRef, { maxLength: 3 }), tensorRef, a), fc.oneof(edgeNumber, a)], nn.utils.clipGradValue_ as AnyFn),
  target('nn.utils.rnn.packPaddedSequence', [fc.oneof(tensorRef, a), fc.oneof(fc.array(fc.oneof(smallInt, edgeNumber), { maxLength: 5 }), tensorRef, a), optionsFor(['batchFirst', 'enforceSorted'])], nn.utils.rnn.packPaddedSequence as AnyFn),
  target('nn.utils.rnn.padPackedSequence', [fc.oneof(packedRef, a), optionsFor(['batchFirst', 'paddingValue', 'totalLength'])], nn.utils.rnn.padPackedSequence as AnyFn),
  target('nn.utils.rnn.padSequence', [fc.oneof(fc.array(tensorRef, { maxLength: 4 }), a), optionsFor(['batchFirst', 'paddingValue'])], nn.utils.rnn.padSequence as AnyFn),
  target('nn.utils.rnn.packSequence', [fc.oneof(fc.array(tensorRef, { maxLength: 4 }), a), optionsFor(['enforceSorted'])], nn.utils.rnn.packSequence as AnyFn),
  target('nn.utils.rnn.PackedSequence', [fc.oneof(tensorRef, a), fc.oneof(tensorRef, a), fc.oneof(tensorRef, fc.constant(null), a)], ctor(nn.utils.rnn.PackedSequence)),

  // ----- optimizers and schedulers -----
  ...(['SGD', 'Adam', 'AdamW', 'RMSprop'] as const).map((name) =>
    target(
      `optim.${name}`,
      [
        fc.oneof(fc.array(tensorRef, { maxLength: 3 }), fc.array(fc.record({ params: fc.array(tensorRef, { maxLength: 2 }), lr: edgeNumber }), { maxLength: 2 }), a),
        optionsFor(['lr', 'momentum', 'dampening', 'weightDecay', 'nesterov', 'maximize', 'betas', 'eps', 'amsgrad', 'alpha', 'centered']),
      ],
      ctor(optim[name]),
    ),
  ),
  on('optimizer', 'step', [fc.oneof(fc.constant(undefined), a)]),
  on('optimizer', 'zeroGrad', [optionsFor(['setToNone'])]),
  on('optimizer', 'stateDict', []),
  on('optimizer', 'loadStateDict', [
    fc.oneof(
      fc.record({ state: fc.dictionary(fc.constantFrom('0', '1', '7', '-1'), fc.dictionary(fc.constantFrom('step', 'exp_avg', 'momentum_buffer', 'square_avg', 'x'), a)), paramGroups: fc.array(fc.dictionary(fc.constantFrom('params', 'lr', 'betas', 'momentum', 'weightDecay'), a), { maxLength: 2 }) }),
      a,
    ),
  ]),
  on('optimizer', 'addParamGroup', [fc.oneof(fc.record({ params: fc.array(tensorRef, { maxLength: 2 }) }), a)]),
  ...(['StepLR', 'ExponentialLR', 'CosineAnnealingLR'] as const).map((name) =>
    target(`optim.lrScheduler.${name}`, [fc.oneof(optimizerRef, a), fc.oneof(edgeNumber, smallInt, a), fc.oneof(edgeNumber, a), fc.oneof(fc.record({ lastEpoch: a, baseLrs: a }), a)], (opt, x, y, sd) => {
      const s = new (optim.lrScheduler[name] as new (...a: unknown[]) => { step(): void; loadStateDict(s: unknown): void })(opt, x, y)
      s.step()
      s.loadStateDict(sd)
    }),
  ),
  target('optim.lrScheduler.ReduceLROnPlateau', [fc.oneof(optimizerRef, a), optionsFor(['mode', 'factor', 'patience', 'threshold', 'thresholdMode', 'cooldown', 'minLr', 'eps']), fc.oneof(edgeNumber, a), a], (opt, o, m, sd) => {
    const s = new optim.lrScheduler.ReduceLROnPlateau(opt as never, o as never)
    s.step(m as number)
    s.loadStateDict(sd as never)
  }),

  // ----- data -----
  target('data.TensorDataset', [fc.array(fc.oneof(tensorRef, a), { maxLength: 3 })], (list) => new data.TensorDataset(...(list as st.Tensor[]))),
  target('data.Subset', [fc.oneof(datasetRef, a), fc.oneof(fc.array(fc.oneof(smallInt, edgeNumber), { maxLength: 4 }), a)], ctor(data.Subset)),
  target('data.DataLoader (iterated)', [fc.oneof(datasetRef, a), optionsFor(['batchSize', 'shuffle', 'dropLast', 'generator'])], (ds, o) => {
    const loader = new data.DataLoader(ds as never, o as never)
    let batches = 0
    for (const b of loader) {
      if (++batches > 3) break
      void b
    }
    return loader.length
  }),
  on('dataset', 'get', [fc.oneof(smallInt, edgeNumber, a)]),
  on('dataset', 'getBatch', [fc.oneof(fc.array(fc.oneof(smallInt, edgeNumber), { maxLength: 4 }), a)]),
  target('data.createSequences', [fc.oneof(tensorRef, fc.array(fc.double(), { maxLength: 8 }), a), fc.oneof(smallInt, edgeNumber, a), optionsFor(['horizon', 'stride'])], data.createSequences as AnyFn),
  target('data.WindowDataset', [fc.oneof(tensorRef, a), fc.oneof(smallInt, edgeNumber, a), optionsFor(['horizon', 'stride']), fc.array(fc.oneof(smallInt, edgeNumber), { maxLength: 3 })], (s, n, o, idx) =>
    new data.WindowDataset(s as never, n as never, o as never).getBatch(idx as number[]),
  ),
  target('data.randomSplit', [fc.oneof(datasetRef, a), fc.oneof(fc.array(fc.oneof(fc.double({ min: 0, max: 1 }), smallInt, edgeNumber), { maxLength: 3 }), a), optionsFor(['generator'])], data.randomSplit as AnyFn),
  target('data.trainTestSplit', [fc.oneof(tensorRef, a), fc.oneof(tensorRef, a), optionsFor(['testSize', 'shuffle', 'seed'])], data.trainTestSplit as AnyFn),

  // ----- preprocessing and text -----
  ...(['MinMaxScaler', 'StandardScaler'] as const).map((name) =>
    target(`preprocessing.${name}`, [optionsFor(['featureRange', 'clip', 'withMean', 'withStd']), fc.oneof(tensorRef, fc.array(fc.array(fc.double(), { maxLength: 3 }), { maxLength: 3 }), a), fc.oneof(tensorRef, a)], (o, x, y) => {
      const s = new preprocessing[name](o as never)
      s.fit(x as never)
      s.transform(y as never)
      s.inverseTransform(y as never)
      return preprocessing[name].fromJSON(JSON.parse(JSON.stringify(s)) as never)
    }),
  ),
  ...(['MinMaxScaler', 'StandardScaler'] as const).map((name) =>
    target(`preprocessing.${name}.fromJSON`, [fc.oneof(fc.dictionary(fc.constantFrom('type', 'featureRange', 'clip', 'dataMin', 'dataMax', 'nSamplesSeen', 'withMean', 'withStd', 'mean', 'var', 'features'), a), a), fc.oneof(tensorRef, a)], (j, x) =>
      preprocessing[name].fromJSON(j as never).transform(x as never),
    ),
  ),
  target('text.Vocab', [fc.oneof(fc.array(fc.oneof(fc.string({ maxLength: 12 }), a), { maxLength: 4 }), a), optionsFor(['minFreq', 'specials', 'maxSize', 'padToken', 'unkToken']), fc.oneof(fc.string({ maxLength: 12 }), a), optionsFor(['maxLen'])], (texts, o, s, e) => {
    const v = text.Vocab.build(texts as never, o as never)
    v.encode(s as string, e as never)
    v.encodeBatch(texts as never, e as never)
    v.decode(texts as never)
    return text.Vocab.fromJSON(JSON.parse(JSON.stringify(v)) as never)
  }),
  target('text.Vocab.indexOf', [fc.oneof(fc.string({ maxLength: 6 }), a)], (tok) => text.Vocab.build(['a b c']).indexOf(tok as string)),
  target('new Tensor', [a], (h) => new st.Tensor(h as never)),
  target('text.Vocab.fromDict', [fc.oneof(fc.dictionary(fc.string({ maxLength: 4 }), fc.oneof(smallInt, edgeNumber, a)), a), optionsFor(['padToken', 'unkToken'])], text.Vocab.fromDict as AnyFn),
  target('text.Vocab.fromJSON', [fc.oneof(fc.record({ tokens: fc.oneof(fc.array(fc.string({ maxLength: 3 })), a), padToken: a, unkToken: a }), a)], text.Vocab.fromJSON as AnyFn),
  target('plot.forecastHtml', [fc.oneof(fc.record({ title: a, x: a, actual: a, predictionX: a, prediction: a, splitX: a, history: a, metrics: a }), a)], (d) => st.plot.forecastHtml(d as never).length),

  // ----- files and training (asynchronous) -----
  target('save', [fc.oneof(fc.dictionary(fc.constantFrom('w', 'b', '__proto__', '__metadata__', ''), tensorRef), a), pathRef, optionsFor(['metadata'])], st.save as AnyFn),
  target('load', [fc.oneof(pathRef, a)], st.load as AnyFn),
  target('loadMetadata', [fc.oneof(pathRef, a)], st.loadMetadata as AnyFn),
  target('fit', [fc.oneof(moduleRef, a), fc.oneof(fc.record({ train: fc.oneof(datasetRef, a), optimizer: fc.oneof(optimizerRef, a), loss: fc.oneof(moduleRef, a), epochs: fc.oneof(fc.constantFrom(0, 1, 2, -1, NaN, 1.5), a) }), optionsFor(['train', 'optimizer', 'loss', 'epochs', 'clipGradNorm'])), fc.oneof(optionsFor(['batchSize']), a)], (model, o) => {
    const opts = o as Record<string, unknown> | undefined
    // A dataset in `train` is wrapped in a loader, so training really runs.
    if (opts && typeof opts === 'object' && opts['train'] && typeof (opts['train'] as st.data.Dataset).get === 'function') {
      try {
        opts['train'] = new data.DataLoader(opts['train'] as never, { batchSize: 2 })
      } catch {
        // An invalid dataset stays as it is and fit() must refuse it.
      }
    }
    return st.fit(model as never, opts as never)
  }),
]
