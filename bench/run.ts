// Runs the benchmark suite (bench/cases.json, a copy of the project's suite) through seqtorch
// and prints one table: median and min ms per training step and per forward, achieved
// GFLOP/s of the recurrent GEMMs, and the process's peak resident memory.
//
//   npm run bench                       every CPU case
//   npm run bench -- --case NAME        one case
//   npm run bench -- --threads 2 --json --seconds 5
//
// Results are written to bench/results/<date>-<machine>.json.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus, hostname } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { getNumThreads, setNumThreads } from '../index.js'
import { buildRunner, recurrentFlops, type BenchCase } from './model.js'

const here = dirname(fileURLToPath(import.meta.url))

interface Args {
  case?: string
  threads?: number
  json: boolean
  seconds: number
  includeGpu: boolean
}

function parseArgs(argv: string[]): Args {
  const args: Args = { json: false, seconds: 3, includeGpu: false }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    const next = () => {
      const v = argv[++i]
      if (v === undefined) throw new Error(`${a} needs a value`)
      return v
    }
    if (a === '--case') args.case = next()
    else if (a === '--threads') args.threads = Number(next())
    else if (a === '--seconds') args.seconds = Number(next())
    else if (a === '--json') args.json = true
    else if (a === '--include-gpu-cases') args.includeGpu = true
    else throw new Error(`unknown option ${a}`)
  }
  return args
}

export interface CaseResult {
  name: string
  trainMedianMs: number
  trainMinMs: number
  forwardMedianMs: number
  forwardMinMs: number
  steps: number
  recurrentGflops: number
  peakRssMb: number
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2
}

/** Times `fn` after warm-up until `seconds` pass (at least 5 and at most 200 runs). */
function time(fn: () => void, seconds: number): number[] {
  for (let i = 0; i < 3; i++) fn()
  const out: number[] = []
  const deadline = performance.now() + seconds * 1000
  while ((out.length < 5 || performance.now() < deadline) && out.length < 200) {
    const t = performance.now()
    fn()
    out.push(performance.now() - t)
  }
  return out
}

export function runCase(c: BenchCase, seconds: number): CaseResult {
  const runner = buildRunner(c)
  const train = time(() => runner.trainStep(), seconds)
  const fwd = time(() => runner.forward(), seconds / 2)
  const med = median(train)
  return {
    name: c.name,
    trainMedianMs: med,
    trainMinMs: Math.min(...train),
    forwardMedianMs: median(fwd),
    forwardMinMs: Math.min(...fwd),
    steps: train.length,
    recurrentGflops: recurrentFlops(c) / (med / 1000) / 1e9,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  }
}

export function loadCases(): BenchCase[] {
  return (JSON.parse(readFileSync(join(here, 'cases.json'), 'utf8')) as { cases: BenchCase[] }).cases
}

function machine(): string {
  const model = (cpus()[0]?.model ?? 'cpu').replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '')
  return `${model}-${cpus().length}c`
}

function main(): void {
  const args = parseArgs(process.argv.slice(2))
  if (args.threads !== undefined) setNumThreads(args.threads)
  const cases = loadCases().filter((c) => (args.case ? c.name === args.case : args.includeGpu || !c.gpuOnly))
  if (cases.length === 0) throw new Error(`no case named ${args.case}`)
  const results = cases.map((c) => {
    const r = runCase(c, args.seconds)
    if (!args.json) process.stderr.write(`${c.name}: ${r.trainMedianMs.toFixed(2)} ms/step\n`)
    return r
  })
  const report = {
    date: new Date().toISOString(),
    machine: machine(),
    host: hostname(),
    threads: getNumThreads(),
    node: process.version,
    results,
  }
  mkdirSync(join(here, 'results'), { recursive: true })
  const file = join(here, 'results', `${report.date.slice(0, 10)}-${report.machine}.json`)
  writeFileSync(file, JSON.stringify(report, null, 2) + '\n')
  if (args.json) {
    console.log(JSON.stringify(report, null, 2))
    return
  }
  console.log(`seqtorch on ${report.machine}, ${report.threads} threads, ${report.node}`)
  console.log('| case | train ms/step (median) | min | forward ms (median) | min | recurrent GFLOP/s | peak RSS MB |')
  console.log('|---|---:|---:|---:|---:|---:|---:|')
  for (const r of results) {
    console.log(
      `| ${r.name} | ${r.trainMedianMs.toFixed(2)} | ${r.trainMinMs.toFixed(2)} | ${r.forwardMedianMs.toFixed(2)} | ${r.forwardMinMs.toFixed(2)} | ${r.recurrentGflops.toFixed(1)} | ${r.peakRssMb.toFixed(0)} |`,
    )
  }
  console.log(`\nwritten to ${file}`)
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main()
