// The benchmark harness: every CPU case of the suite through seqtorch, PyTorch (CPU, same
// thread count) and TensorFlow.js (pure-JS 'cpu' and 'wasm' backends), each in its own
// process, alternating A B A B over rounds, then one table: ms per training step and per
// forward pass (median, min), the ratio peer / seqtorch (above 1: seqtorch is faster), GFLOP/s
// of the recurrent GEMMs beside this machine's measured FMA peak (a register-only loop) and GEMM
// peak, and peak RSS. Each result records the processor (brand, microarchitecture family,
// vector features).
//
//   npm run bench
//   npm run bench -- --case small-lstm128 --threads 2 --json
//   npm run bench -- --peers seqtorch,pytorch --rounds 3 --seconds 3 --python /path/to/python
//   (--peer-timeout S stops a peer that needs longer than S seconds for a case; default 240)
//   npm run bench -- --precision medium   (seqtorch's bf16 products; PyTorch under bf16 autocast)
//   npm run bench -- --tag state-in-place   (written beside the day's result, not over it)
//
// PyTorch comes from a virtual environment under bench/.venv, created (pip install torch) on
// first use unless --python names an interpreter that has torch. Results are written to
// bench/results/<date>-<machine>[-<precision>][-<tag>].json.

import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { noGrad, randn, setNumThreads } from '../index.js'
import { native } from '../src/native.js'
import { loadCases, neededRecurrentFlops, recurrentFlops } from './cases.js'
import type { PeerResult } from './peers/protocol.js'

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..')
const ALL_PEERS = ['seqtorch', 'pytorch', 'tfjs-wasm', 'tfjs-cpu'] as const
type Peer = (typeof ALL_PEERS)[number]

export interface Args {
  case?: string
  threads: number
  json: boolean
  seconds: number
  rounds: number
  peers: Peer[]
  python?: string
  maxWarmup: number
  /** 'medium': seqtorch at setFloat32MatmulPrecision('medium'), PyTorch under CPU bf16 autocast. */
  precision: 'highest' | 'medium'
  /** Seconds one peer process may run for one case before it is stopped. */
  peerTimeout: number
  write: boolean
  /** Names this run's result file apart from the day's others (letters, digits, dashes). */
  tag?: string
}

export function parseArgs(argv: string[]): Args {
  const args: Args = { threads: 2, json: false, seconds: 2, rounds: 2, peers: [...ALL_PEERS], maxWarmup: 20, precision: 'highest', peerTimeout: 240, write: true }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    const next = (): string => {
      const v = argv[++i]
      if (v === undefined) throw new Error(`${a} needs a value`)
      return v
    }
    if (a === '--case') args.case = next()
    else if (a === '--threads') args.threads = Number(next())
    else if (a === '--seconds') args.seconds = Number(next())
    else if (a === '--rounds') args.rounds = Number(next())
    else if (a === '--python') args.python = next()
    else if (a === '--precision') {
      const p = next()
      if (p !== 'highest' && p !== 'medium') throw new Error(`--precision must be highest or medium, got ${p}`)
      args.precision = p
    }
    else if (a === '--max-warmup') args.maxWarmup = Number(next())
    else if (a === '--peer-timeout') args.peerTimeout = Number(next())
    else if (a === '--json') args.json = true
    else if (a === '--no-write') args.write = false
    else if (a === '--tag') {
      const t = next()
      if (!/^[A-Za-z0-9][A-Za-z0-9-]*$/.test(t)) throw new Error(`--tag takes letters, digits and dashes, got ${JSON.stringify(t)}`)
      args.tag = t
    }
    else if (a === '--peers') {
      const list = next().split(',') as Peer[]
      for (const p of list) if (!ALL_PEERS.includes(p)) throw new Error(`unknown peer ${p}; peers are ${ALL_PEERS.join(', ')}`)
      args.peers = list
    } else throw new Error(`unknown option ${a}`)
  }
  if (!Number.isInteger(args.threads) || args.threads < 1) throw new Error('--threads must be a positive integer')
  return args
}

function pythonWithTorch(args: Args): string {
  if (args.python) return args.python
  const venv = join(here, '.venv')
  const py = join(venv, 'bin', 'python')
  if (!existsSync(py)) {
    process.stderr.write('creating bench/.venv and installing torch (first run only)...\n')
    execFileSync('python3', ['-m', 'venv', venv], { stdio: 'inherit' })
    execFileSync(py, ['-m', 'pip', 'install', '-q', 'torch'], { stdio: 'inherit' })
  }
  return py
}

function runPeer(peer: Peer, caseName: string, args: Args, python: () => string): PeerResult {
  const common = [caseName, String(args.threads), String(args.seconds), String(args.maxWarmup)]
  const tsx = [join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs')]
  const [cmd, argv] =
    peer === 'seqtorch'
      ? [process.execPath, [...tsx, join(here, 'peers', 'seqtorch_peer.ts'), ...common]]
      : peer === 'pytorch'
        ? [python(), [join(here, 'peers', 'torch_peer.py'), ...common]]
        : [process.execPath, [...tsx, join(here, 'peers', 'tfjs_peer.ts'), ...common, peer.slice('tfjs-'.length)]]
  const env: NodeJS.ProcessEnv = { ...process.env, SEQTORCH_BENCH_PRECISION: args.precision }
  // Older OpenBLAS builds need these on some processors; they slow a current PyTorch.
  if (peer === 'pytorch') {
    delete env['OPENBLAS_CORETYPE']
    delete env['OPENBLAS_L2_SIZE']
  }
  const r = spawnSync(cmd, argv as string[], { cwd: root, encoding: 'utf8', env, timeout: args.peerTimeout * 1000, maxBuffer: 64 << 20 })
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT') {
    // Too slow to finish one warm-up step and one forward within the budget.
    return { peer, case: caseName, threads: args.threads, train: [], forward: [], peakRssMb: 0, error: `no step finished within ${args.peerTimeout} s` }
  }
  const last = r.stdout?.trim().split('\n').at(-1) ?? ''
  try {
    return JSON.parse(last) as PeerResult
  } catch {
    return { peer, case: caseName, threads: args.threads, train: [], forward: [], peakRssMb: 0, error: failureReason(r.stderr || r.error?.message || `exit ${r.status}`) }
  }
}

/** The thrown error's own line from a failed peer's output (stack frames and source excerpts
 * come after it), else its last lines. */
export function failureReason(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l.length > 0)
  const thrown = lines.filter((l) => /^([A-Z]\w*)?Error\b/.test(l)).at(-1)
  return (thrown ?? lines.slice(-3).join(' | ')).slice(0, 120)
}

/** The machine's GEMM throughput with seqtorch's kernel: best of several 1024^3 products. */
export function gemmPeakGflops(threads: number): number {
  setNumThreads(threads)
  const a = randn(1024, 1024)
  const b = randn(1024, 1024)
  let best = Infinity
  noGrad(() => {
    for (let i = 0; i < 8; i++) {
      const t = performance.now()
      a.matmul(b).dispose()
      best = Math.min(best, performance.now() - t)
    }
  })
  return (2 * 1024 ** 3) / (best / 1000) / 1e9
}

const median = (v: number[]): number => {
  const s = [...v].sort((x, y) => x - y)
  const m = s.length >> 1
  return s.length === 0 ? NaN : s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2
}

export interface PeerSummary {
  peer: Peer
  trainMedianMs: number
  trainMinMs: number
  forwardMedianMs: number
  forwardMinMs: number
  steps: number
  peakRssMb: number
  partial: boolean
  error?: string
  /** peer time / seqtorch time (training step). */
  ratio?: number
}

export interface CaseReport {
  name: string
  recurrentGflopPerStep: number
  /** Achieved GFLOP/s of seqtorch's recurrent GEMMs. */
  seqtorchRecurrentGflops: number
  /**
   * seqtorch's step time over its arithmetic floor (the products the step needs at the FMA
   * peak of the run's threads): 1 is the machine's limit, the issue's target is 1.25 or less.
   */
  seqtorchFloorRatio: number
  peers: PeerSummary[]
}

export function summarise(peer: Peer, results: PeerResult[]): PeerSummary {
  const train = results.flatMap((r) => r.train)
  const forward = results.flatMap((r) => r.forward)
  const error = results.find((r) => r.error)?.error
  return {
    peer,
    trainMedianMs: median(train),
    trainMinMs: train.length ? Math.min(...train) : NaN,
    forwardMedianMs: median(forward),
    forwardMinMs: forward.length ? Math.min(...forward) : NaN,
    steps: train.length,
    peakRssMb: Math.max(0, ...results.map((r) => r.peakRssMb)),
    partial: results.some((r) => r.partial),
    ...(error ? { error } : {}),
  }
}

function machine(): string {
  const model = (cpus()[0]?.model ?? 'cpu').replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '')
  return `${model}-${cpus().length}c`
}

function fmt(v: number, digits = 2): string {
  return Number.isFinite(v) ? v.toFixed(digits) : '-'
}

export function table(cases: CaseReport[], peakGflops: number, fmaPeakGflops?: number): string {
  const lines = [
    `| case | peer | train ms/step (median) | min | forward ms (median) | min | peer / seqtorch | recurrent GFLOP/s (${fmaPeakGflops ? `FMA peak ${fmt(fmaPeakGflops, 0)}, ` : ''}GEMM peak ${fmt(peakGflops, 0)}) | step / arithmetic floor | peak RSS MB |`,
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ]
  for (const c of cases) {
    for (const p of c.peers) {
      const note = p.error ? ` (failed: ${p.error})` : p.partial ? ' (one step: too slow to time more)' : ''
      lines.push(
        `| ${c.name} | ${p.peer}${note} | ${fmt(p.trainMedianMs)} | ${fmt(p.trainMinMs)} | ${fmt(p.forwardMedianMs)} | ${fmt(p.forwardMinMs)} | ${p.peer === 'seqtorch' ? '1' : fmt(p.ratio ?? NaN)} | ${p.peer === 'seqtorch' ? fmt(c.seqtorchRecurrentGflops, 1) : '-'} | ${p.peer === 'seqtorch' ? fmt(c.seqtorchFloorRatio) : '-'} | ${fmt(p.peakRssMb, 0)} |`,
      )
    }
  }
  return lines.join('\n')
}

export function runBench(args: Args) {
  const cases = loadCases().filter((c) => (args.case ? c.name === args.case : !c.gpuOnly))
  if (cases.length === 0) throw new Error(`no case named ${args.case}`)
  let py: string | null = null
  const python = () => (py ??= pythonWithTorch(args))
  const peakGflops = gemmPeakGflops(args.threads)
  // The processor and its real peak (a register-only FMA loop, not the GEMM under test).
  const cpu = native.cpuDescription()
  const fmaPeak = native.fmaPeakGflops(args.threads)
  const reports: CaseReport[] = cases.map((c) => {
    const results = new Map<Peer, PeerResult[]>(args.peers.map((p) => [p, []]))
    for (let round = 0; round < args.rounds; round++) {
      for (const peer of args.peers) {
        // A too-slow or failed peer is not retried in later rounds.
        const previous = results.get(peer) as PeerResult[]
        if (previous.some((r) => r.partial || r.error)) continue
        if (!args.json) process.stderr.write(`${c.name}: ${peer} (round ${round + 1}/${args.rounds})\n`)
        previous.push(runPeer(peer, c.name, args, python))
      }
    }
    const peers = args.peers.map((p) => summarise(p, results.get(p) as PeerResult[]))
    const mine = peers.find((p) => p.peer === 'seqtorch')
    for (const p of peers) if (mine) p.ratio = p.trainMedianMs / mine.trainMedianMs
    const flops = recurrentFlops(c)
    const floorMs = (neededRecurrentFlops(c) / (fmaPeak.gflops * 1e9)) * 1000
    return {
      name: c.name,
      recurrentGflopPerStep: flops / 1e9,
      seqtorchRecurrentGflops: mine ? flops / (mine.trainMedianMs / 1000) / 1e9 : NaN,
      seqtorchFloorRatio: mine ? mine.trainMedianMs / floorMs : NaN,
      peers,
    }
  })
  return { date: new Date().toISOString(), machine: machine(), cpu, threads: args.threads, precision: args.precision, node: process.version, fmaPeak, gemmPeakGflops: peakGflops, cases: reports }
}

/** The result file's name: the day and machine, then the precision unless 'highest', then the tag. */
export function resultFileName(date: string, machine: string, args: Pick<Args, 'precision' | 'tag'>): string {
  const parts = [date.slice(0, 10), machine]
  if (args.precision !== 'highest') parts.push(args.precision)
  if (args.tag) parts.push(args.tag)
  return `${parts.join('-')}.json`
}

function main(): void {
  const args = parseArgs(process.argv.slice(2))
  const report = runBench(args)
  if (args.write) {
    mkdirSync(join(here, 'results'), { recursive: true })
    const file = join(here, 'results', resultFileName(report.date, report.machine, args))
    writeFileSync(file, JSON.stringify(report, null, 2) + '\n')
    if (!args.json) process.stderr.write(`written to ${file}\n`)
  }
  if (args.json) console.log(JSON.stringify(report, null, 2))
  else {
    const { cpu, fmaPeak } = report
    const smt = cpu.threadsPerCore ? `, ${cpu.threadsPerCore} threads per core` : ''
    console.log(`${cpu.brand || report.machine} (${cpu.microarchitecture}; ${cpu.features.join(' ')}${smt}), ${report.threads} threads, precision ${report.precision}, Node ${report.node}`)
    console.log(`FMA peak ${fmt(fmaPeak.gflops, 0)} GFLOP/s (${fmaPeak.isa} register loop), GEMM peak ${fmt(report.gemmPeakGflops, 0)} GFLOP/s; kernel plan ${cpu.kernelPlan}`)
    console.log(table(report.cases, report.gemmPeakGflops, fmaPeak.gflops))
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main()
