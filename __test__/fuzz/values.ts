// Generators of hostile arguments for the fuzz suite (fast-check arbitraries), and the pool of
// live objects (tensors, modules, optimizers...) that generated values can refer to.
//
// Generated values are plain data, so fast-check can print and shrink them; a reference to a
// pooled object is written `{ $pool: 'tensor', i: 3 }` and swapped for the object just before
// the call.

import fc from 'fast-check'

import * as st from '../../index.js'

export interface PoolRef {
  $pool: keyof Pool
  i: number
}

export interface Pool {
  tensor: st.Tensor[]
  module: st.nn.Module[]
  optimizer: st.optim.Optimizer<{ lr: number }>[]
  dataset: st.data.Dataset[]
  path: string[]
  packed: st.nn.utils.rnn.PackedSequence[]
}

/** Numbers at every edge a size, index or hyperparameter can have. */
export const edgeNumber = fc.constantFrom(
  NaN,
  Infinity,
  -Infinity,
  -0,
  0,
  1,
  2,
  3,
  -1,
  -2,
  0.5,
  1.5,
  -2.5,
  1e-30,
  2 ** 31,
  2 ** 32,
  2 ** 32 + 1,
  2 ** 53 - 1,
  2 ** 53,
  2 ** 53 + 2,
  1e18,
  -1e18,
  Number.MAX_VALUE,
  Number.MIN_VALUE,
  Number.MAX_SAFE_INTEGER,
)

export const smallInt = fc.integer({ min: -4, max: 6 })

/** A size list: mostly small, sometimes huge, negative, fractional or not a number at all. */
export const sizes = fc.array(fc.oneof({ weight: 5, arbitrary: fc.integer({ min: 0, max: 5 }) }, { weight: 2, arbitrary: edgeNumber }, { weight: 1, arbitrary: fc.constantFrom('2', null, undefined, true, [2]) }), {
  maxLength: 5,
})

const weird = fc.constantFrom<unknown>(
  '',
  '1',
  'abc',
  'float32',
  'int64',
  'float16',
  'mean',
  'sum',
  'none',
  'tanh',
  'relu',
  'lstm',
  'min',
  'max',
  'rel',
  'fan_in',
  true,
  false,
  null,
  undefined,
  10n,
  -1n,
  2n ** 64n,
  [],
  {},
  '__proto__',
  'constructor',
)

const ref = (pool: keyof Pool, n: number): fc.Arbitrary<PoolRef> => fc.integer({ min: 0, max: n - 1 }).map((i) => ({ $pool: pool, i }))

export const tensorRef = ref('tensor', 24)
export const moduleRef = ref('module', 12)
export const optimizerRef = ref('optimizer', 5)
export const datasetRef = ref('dataset', 7)
export const pathRef = ref('path', 9)
export const packedRef = ref('packed', 2)

/** Anything at all, weighted towards values that get past a first type check. */
export const anything: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { weight: 4, arbitrary: tensorRef },
    { weight: 3, arbitrary: edgeNumber },
    { weight: 3, arbitrary: smallInt },
    { weight: 2, arbitrary: weird },
    { weight: 2, arbitrary: sizes },
    { weight: 1, arbitrary: fc.double() },
    { weight: 1, arbitrary: fc.string({ maxLength: 6 }) },
    { weight: 1, arbitrary: fc.array(tie('value'), { maxLength: 3 }) },
    { weight: 1, arbitrary: fc.array(fc.array(fc.double({ noNaN: false }), { maxLength: 3 }), { maxLength: 3 }) },
    { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 4 }), tie('value'), { maxKeys: 2 }) },
    { weight: 1, arbitrary: moduleRef },
    { weight: 1, arbitrary: optimizerRef },
    { weight: 1, arbitrary: datasetRef },
    { weight: 1, arbitrary: pathRef },
    { weight: 1, arbitrary: packedRef },
  ),
})).value

/**
 * An options object: known keys with hostile values, an unknown key now and then, or not an
 * object at all.
 */
export function optionsFor(keys: readonly string[]): fc.Arbitrary<unknown> {
  const key = fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...keys) }, { weight: 1, arbitrary: fc.constantFrom('bogus', 'constructor', 'toString') })
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 6, arbitrary: fc.dictionary(key, anything, { maxKeys: 3 }) },
    { weight: 1, arbitrary: anything },
  )
}

/** Swaps pool references (at any depth of arrays and plain objects) for the live objects. */
export function resolve(value: unknown, pool: Pool): unknown {
  if (Array.isArray(value)) return value.map((v) => resolve(v, pool))
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const r = value as Partial<PoolRef>
    if (typeof r.$pool === 'string' && typeof r.i === 'number' && r.$pool in pool) {
      const list = pool[r.$pool] as unknown[]
      return list[r.i % list.length]
    }
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) out[k] = resolve(v, pool)
    return out
  }
  return value
}
