// One corruption batch, run in its own process by __test__/corruption.test.ts:
//   node --import tsx __test__/fuzz/corrupt_worker.ts <seed> <files> <scratch dir>
// It mutates valid safetensors checkpoints (bit flips, truncations, header edits, size-prefix
// edits, appended or zeroed bytes), loads each mutant, uses whatever loads, and prints
// `>index<TAB>mutation` before each load and a final `=` JSON summary, like the API fuzzer.

import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

import fc from 'fast-check'

import * as st from '../../index.js'
import { say } from './say.js'

const [seedArg, countArg, dir] = process.argv.slice(2)
const seed = Number(seedArg)
const count = Number(countArg)
if (!Number.isInteger(seed) || !Number.isInteger(count) || !dir) throw new Error('usage: corrupt_worker.ts <seed> <files> <scratch dir>')

const LEAKS = /internal error|Failed to convert|napi|borrowed|Cannot read properties|is not a function/

type Mutation =
  | { kind: 'flip'; flips: { at: number; bit: number }[] }
  | { kind: 'truncate'; at: number }
  | { kind: 'prefix'; value: bigint }
  | { kind: 'append'; bytes: number[] }
  | { kind: 'zero'; at: number; length: number }
  | { kind: 'header'; path: readonly string[]; value: unknown; keepPrefix: boolean }
  | { kind: 'json'; text: string }

const edgeJson = fc.constantFrom<unknown>(
  0,
  1,
  -1,
  2 ** 32,
  2 ** 53,
  1e300,
  -1e300,
  1.5,
  '18446744073709551615',
  null,
  true,
  'F32',
  'F64',
  'I64',
  'BOOL',
  'U64',
  'F8_E4M3',
  'C64',
  'xyz',
  [],
  [0],
  [0, 0],
  [2, 3],
  [0, 18446744073709552000],
  [4294967296, 4294967296],
  [9007199254740993, 0],
  {},
  { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
  { format: 'pt' },
  { format: 7 },
)

function mutations(size: number, keys: string[]): fc.Arbitrary<Mutation> {
  const pos = fc.integer({ min: 0, max: size - 1 })
  const headerPath = fc.oneof(
    fc.tuple(fc.constantFrom(...keys), fc.constantFrom('dtype', 'shape', 'data_offsets', 'extra')).map(([k, f]) => [k, f]),
    fc.constantFrom(...keys).map((k) => [k]),
    fc.constantFrom(['__metadata__'], ['__metadata__', 'format'], ['__metadata__', 'x'], ['new_tensor'], ['__proto__']),
  )
  return fc.oneof(
    { weight: 3, arbitrary: fc.array(fc.record({ at: pos, bit: fc.integer({ min: 0, max: 7 }) }), { minLength: 1, maxLength: 8 }).map((flips) => ({ kind: 'flip' as const, flips })) },
    { weight: 2, arbitrary: fc.integer({ min: 0, max: size - 1 }).map((at) => ({ kind: 'truncate' as const, at })) },
    { weight: 1, arbitrary: fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.constantFrom(0n, 1n, 7n, 8n, 2n ** 63n, 2n ** 64n - 1n, 100_000_001n)).map((value) => ({ kind: 'prefix' as const, value })) },
    { weight: 1, arbitrary: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 64 }).map((bytes) => ({ kind: 'append' as const, bytes })) },
    { weight: 1, arbitrary: fc.tuple(pos, fc.integer({ min: 1, max: 64 })).map(([at, length]) => ({ kind: 'zero' as const, at, length })) },
    { weight: 4, arbitrary: fc.tuple(headerPath, fc.oneof(edgeJson, fc.jsonValue({ maxDepth: 2 })), fc.boolean()).map(([path, value, keepPrefix]) => ({ kind: 'header' as const, path, value, keepPrefix })) },
    { weight: 1, arbitrary: fc.string({ maxLength: 40 }).map((text) => ({ kind: 'json' as const, text })) },
  )
}

function headerOf(buf: Buffer): { json: Record<string, unknown>; end: number } {
  const n = Number(buf.readBigUInt64LE(0))
  return { json: JSON.parse(buf.subarray(8, 8 + n).toString('utf8')) as Record<string, unknown>, end: 8 + n }
}

function withHeader(buf: Buffer, header: string, end: number, keepPrefix: boolean): Buffer {
  const h = Buffer.from(header, 'utf8')
  const prefix = Buffer.alloc(8)
  prefix.writeBigUInt64LE(BigInt(keepPrefix ? end - 8 : h.length))
  return Buffer.concat([prefix, h, buf.subarray(end)])
}

function apply(base: Buffer, m: Mutation): Buffer {
  const b = Buffer.from(base)
  switch (m.kind) {
    case 'flip':
      for (const { at, bit } of m.flips) b[at] = (b[at] as number) ^ (1 << bit)
      return b
    case 'truncate':
      return b.subarray(0, m.at)
    case 'prefix':
      b.writeBigUInt64LE(m.value, 0)
      return b
    case 'append':
      return Buffer.concat([b, Buffer.from(m.bytes)])
    case 'zero':
      b.fill(0, m.at, Math.min(b.length, m.at + m.length))
      return b
    case 'header': {
      const { json, end } = headerOf(b)
      let node: Record<string, unknown> = json
      for (const key of m.path.slice(0, -1)) {
        const next = node[key]
        if (next === null || typeof next !== 'object') node[key] = {}
        node = node[key] as Record<string, unknown>
      }
      Object.defineProperty(node, m.path[m.path.length - 1] as string, { value: m.value, enumerable: true, configurable: true, writable: true })
      return withHeader(b, JSON.stringify(json), end, m.keepPrefix)
    }
    case 'json': {
      const { end } = headerOf(b)
      return withHeader(b, m.text, end, false)
    }
  }
}

/** Uses every loaded tensor the way a program would, so bad contents would surface. */
function use(ck: Record<string, st.Tensor>): void {
  for (const t of Object.values(ck)) {
    void t.shape
    if (t.dtype === 'int64') t.toBigInt64Array()
    else t.sum().item()
    void String(t)
  }
}

async function main(): Promise<void> {
  st.setMemoryLimit(256 * 2 ** 20)
  const bases: Buffer[] = []
  const own = join(dir as string, 'base.safetensors')
  await st.save(
    { w: st.randn(3, 4), b: st.randn(4), ids: st.tensor([1, 2, 3], { dtype: 'int64' }), empty: st.zeros(0, 5), s: st.tensor(2.5) },
    own,
    // One metadata key: the safetensors crate writes several in hash order, which would make the
    // base file, and so the mutants, differ from run to run.
    { metadata: { format: 'pt' } },
  )
  bases.push(readFileSync(own))
  for (const name of ['dtypes.safetensors', 'lstm.safetensors']) {
    bases.push(readFileSync(new URL(`../fixtures/${name}`, import.meta.url)))
  }
  const cases = fc.integer({ min: 0, max: bases.length - 1 }).chain((bi) => {
    const base = bases[bi] as Buffer
    const keys = Object.keys(headerOf(base).json).filter((k) => k !== '__metadata__')
    return mutations(base.length, keys).map((m) => [bi, m] as const)
  })
  const drawn = fc.sample(cases, { seed, numRuns: count })
  const summary = { tried: 0, loaded: 0, rejected: 0, threw: {} as Record<string, number>, violations: [] as { index: number; mutation: string; problem: string }[] }
  const file = join(dir as string, 'mutant.safetensors')
  for (const [k, [bi, m]] of drawn.entries()) {
    const text = fc.stringify(m).slice(0, 300)
    say(`>${k}\tbase ${bi} ${m.kind}`)
    summary.tried++
    writeFileSync(file, apply(bases[bi] as Buffer, m))
    try {
      const ck = await st.load(file)
      await st.loadMetadata(file)
      use(ck)
      summary.loaded++
    } catch (e) {
      summary.rejected++
      if (!(e instanceof Error)) {
        summary.violations.push({ index: k, mutation: text, problem: `threw a non-Error: ${String(e)}` })
        continue
      }
      const kind = e instanceof RangeError ? 'RangeError' : e instanceof TypeError ? 'TypeError' : 'Error'
      summary.threw[kind] = (summary.threw[kind] ?? 0) + 1
      if (LEAKS.test(e.message)) summary.violations.push({ index: k, mutation: text, problem: e.message.slice(0, 300) })
    }
  }
  say(`=${JSON.stringify(summary)}`)
}

main().then(
  () => process.exit(0),
  (e) => {
    say(`!worker failed: ${(e as Error).stack ?? String(e)}`)
    process.exit(2)
  },
)
