// Generators of calls that must throw, for the error-handling specs. Each entry picks bad
// values from a pool, so a seeded run covers many combinations of type, range and shape errors.

import {
  arange,
  cat,
  full,
  linspace,
  manualSeed,
  ones,
  randint,
  randn,
  setNumThreads,
  stack,
  tensor,
  Tensor,
  zeros,
} from '../../index.js'

export { arange, cat, full, ones, randint, randn, setNumThreads, stack, tensor, zeros }

export function matmulShapes(a: number[], b: number[]): Tensor {
  return ones(a).matmul(ones(b))
}

type Rng = () => number

function lcg(seed: number): Rng {
  let s = seed >>> 0
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s / 2 ** 32
  }
}

const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)] as T

const notInt: unknown[] = [NaN, Infinity, -Infinity, 1.5, '1', null, {}, [1], undefined, true]
const badSize: unknown[] = [-1, -100, NaN, 1.5, 'x', Infinity, {}, null]
const badIndexFor3: unknown[] = [3, -4, 100, -1e9, 1e15, ...notInt]

interface BadCall {
  name: string
  call: () => unknown
}

export function randomBadCalls(count: number, seed: number): BadCall[] {
  const rng = lcg(seed)
  manualSeed(seed)
  const x = randn(2, 3)
  const i64 = tensor([1, 2, 3], { dtype: 'int64' })
  const disposed = ones(2)
  disposed.dispose()
  const makers: (() => BadCall)[] = [
    () => {
      const v = pick(rng, badSize)
      return { name: `zeros(${String(v)})`, call: () => zeros(v as number, 2) }
    },
    () => {
      const v = pick(rng, badSize)
      return { name: `randn([2, ${String(v)}])`, call: () => randn([2, v as number]) }
    },
    () => {
      const v = pick(rng, badIndexFor3)
      return { name: `select(1, ${String(v)})`, call: () => x.select(1, v as number) }
    },
    () => {
      const v = pick(rng, [2, -3, 5, ...notInt])
      return { name: `select(${String(v)}, 0)`, call: () => x.select(v as number, 0) }
    },
    () => {
      const [s, l] = [pick(rng, [-5, 0, 2, 3, 4, NaN]), pick(rng, [-1, 2, 4, 1e9, NaN, 1.5])]
      const ok = Number.isInteger(s) && Number.isInteger(l) && (s as number) >= -3 && l >= 0 && ((s as number) < 0 ? (s as number) + 3 : (s as number)) + l <= 3
      return { name: `narrow(1, ${s}, ${l})`, call: () => x.narrow(1, s as number, ok ? 99 : l) }
    },
    () => {
      const v = pick(rng, [[7], [-2, 3], [NaN], [1.5, 4], ['a'], [-1, -1], [4, 4], [0, -1], [-3]] as unknown[])
      return { name: `reshape(${JSON.stringify(v)})`, call: () => x.reshape(v as number[]) }
    },
    () => {
      const v = pick(rng, ['x', {}, [1, 2], null, ones(4), ones(3, 2), undefined, disposed] as unknown[])
      const op = pick(rng, ['add', 'sub', 'mul', 'div'] as const)
      return { name: `${op}(${String(v)})`, call: () => x[op](v as Tensor) }
    },
    () => {
      const v = pick(rng, [ones(2, 3), ones(4), i64, 'x', null, ones(2, 2, 2), disposed] as unknown[])
      return { name: `matmul(${String(v)})`, call: () => x.matmul(v as Tensor) }
    },
    () => {
      const v = pick(rng, [[[1, 2], [3]], [[1], 2], ['a'], [{}], [[[1]], [2]], {}, 'abc', undefined, [1, [2]], [null]] as unknown[])
      return { name: `tensor(${JSON.stringify(v)})`, call: () => tensor(v as number[]) }
    },
    () => {
      const v = pick(rng, [2, -3, 9, ...notInt.filter((n) => n !== undefined && !Array.isArray(n))])
      const op = pick(rng, ['sum', 'mean', 'argmax', 'unsqueeze'] as const)
      // dim=None is valid for the reductions (PyTorch's sum(dim=None)).
      const bad = op === 'unsqueeze' ? (v === 2 ? 3 : v === -3 ? -4 : v) : v === null && op !== 'argmax' ? 9 : v
      return { name: `${op}(${String(bad)})`, call: () => (x[op] as (d: unknown) => unknown)(bad) }
    },
    () => {
      const v = pick(rng, [[0], [0, 0], [0, 2], [1, 2, 0], ['a', 0], [NaN, 1], [0, 5]] as unknown[])
      return { name: `permute(${JSON.stringify(v)})`, call: () => x.permute(v as number[]) }
    },
    () => {
      const v = pick(rng, [[], [ones(2, 2), ones(3, 3)], [ones(2, 2), ones(2)], [x, 'x'], 'x', [i64, ones(3)]] as unknown[])
      const fn = pick(rng, [cat, stack])
      return { name: `cat/stack(${String(v)})`, call: () => fn(v as Tensor[], 0) }
    },
    () => {
      const [lo, hi] = pick(rng, [[5, 5], [6, 2], [NaN, 3], [0, 1.5], ['a', 4]] as [unknown, unknown][])
      return { name: `randint(${String(lo)}, ${String(hi)})`, call: () => randint(lo as number, hi as number, [3]) }
    },
    () => {
      const [a, b, s] = pick(rng, [[0, 10, 0], [0, 10, -1], [10, 0, 1], [0, Infinity, 1], [NaN, 1, 1], [0, 1e12, 1e-3]] as number[][])
      return { name: `arange(${a}, ${b}, ${s})`, call: () => arange(a as number, b as number, s as number) }
    },
    () => {
      const v = pick(rng, [-1, 1.5, NaN, 'x'] as unknown[])
      return { name: `linspace(0, 1, ${String(v)})`, call: () => linspace(0, 1, v as number) }
    },
    () => {
      const v = pick(rng, [ones(3), ones(2, 2), 'x', [1], 5] as unknown[])
      return { name: `backward(${String(v)})`, call: () => x.detach().requiresGrad_().mul(2).backward(v as Tensor) }
    },
    () => {
      const v = pick(rng, [0, -1, NaN, 1.5, 'x', 5000] as unknown[])
      return { name: `setNumThreads(${String(v)})`, call: () => setNumThreads(v as number) }
    },
    () => {
      const op = pick(rng, ['exp', 'sum', 'toArray', 'item', 'reshape', 'backward'] as const)
      return { name: `disposed.${op}()`, call: () => (disposed[op] as (a?: unknown) => unknown).call(disposed, [2]) }
    },
    () => {
      const empty = rng() < 0.5
      return { name: empty ? 'max of empty' : 'item of 6 elements', call: () => (empty ? zeros(0).max() : x.item()) }
    },
    () => ({ name: 'int64 requiresGrad', call: () => i64.requiresGrad_() }),
    () => ({ name: 'mean of int64', call: () => i64.mean() }),
    () => {
      const v = pick(rng, [[3, 4], [-2, 3], [2], [4, 3], [-1, 2, 3]] as number[][])
      return { name: `expand(${JSON.stringify(v)})`, call: () => x.expand(v) }
    },
  ]
  return Array.from({ length: count }, () => pick(rng, makers)())
}
