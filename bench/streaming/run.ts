// Streaming inference: per-step latency with the state carried between calls, at batch 1 (one
// stream) or `--batch N` (N streams served together, one row each per step), for
// LSTM(64 -> 128) and GRU(128 -> 256, 2 layers), seqtorch vs PyTorch (CPU, no_grad) vs
// onnxruntime-node (CPU) on the same weights (exported from PyTorch). Each peer runs in its own
// process, peers alternate within each round, and the outputs of the last step must agree.
//
//   npx tsx bench/streaming/run.ts --python tools/.venv/bin/python [--tokens 10000] [--rounds 3]
//                                  [--threads 2] [--warmup 500] [--batch 1] [--no-write]
//
// The Python needs torch, safetensors and onnx. Results go to
// bench/results/<date>-<machine>-streaming.json (`-streaming-b<N>.json` for a batch above 1).

import { spawnSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { native } from '../../src/native.js'

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..', '..')
const PEERS = ['seqtorch', 'pytorch', 'onnxruntime'] as const
const MODELS = { lstm: 'LSTM(64 -> 128)', gru: 'GRU(128 -> 256, 2 layers)' } as const

interface Args {
  python: string
  tokens: number
  rounds: number
  threads: number
  warmup: number
  batch: number
  write: boolean
}

function parseArgs(argv: string[]): Args {
  const a: Args = { python: 'python3', tokens: 10000, rounds: 3, threads: 2, warmup: 500, batch: 1, write: true }
  for (let i = 0; i < argv.length; i++) {
    const next = () => argv[++i] as string
    if (argv[i] === '--python') a.python = next()
    else if (argv[i] === '--tokens') a.tokens = Number(next())
    else if (argv[i] === '--rounds') a.rounds = Number(next())
    else if (argv[i] === '--threads') a.threads = Number(next())
    else if (argv[i] === '--warmup') a.warmup = Number(next())
    else if (argv[i] === '--batch') a.batch = Number(next())
    else if (argv[i] === '--no-write') a.write = false
    else throw new Error(`unknown argument ${argv[i]}`)
  }
  if (!Number.isInteger(a.batch) || a.batch < 1 || a.batch > a.tokens) throw new Error(`--batch must be an integer from 1 to --tokens, got ${a.batch}`)
  return a
}

interface PeerRun {
  peer: string
  version: string
  model: string
  latencies_us: number[]
  last: number[]
}

function run(cmd: string, argv: string[]): string {
  const r = spawnSync(cmd, argv, { cwd: root, encoding: 'utf8', maxBuffer: 256 << 20 })
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} failed:\n${r.stderr}`)
  return r.stdout
}

function runPeer(peer: string, dir: string, model: string, a: Args): PeerRun {
  const common = [dir, model, String(a.threads), String(a.warmup), String(a.batch)]
  const out =
    peer === 'pytorch'
      ? run(a.python, [join(here, 'torch_peer.py'), ...common])
      : run(process.execPath, ['--import', 'tsx', join(here, 'node_peer.ts'), peer, ...common])
  return JSON.parse(out.trim().split('\n').pop() as string) as PeerRun
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number
}

function median(v: number[]): number {
  return [...v].sort((x, y) => x - y)[Math.floor(v.length / 2)] as number
}

function main(): void {
  const a = parseArgs(process.argv.slice(2))
  const dir = join(tmpdir(), `seqtorch-streaming-${a.tokens}`)
  mkdirSync(dir, { recursive: true })
  run(a.python, [join(root, 'tools', 'make_streaming_models.py'), dir, String(a.tokens)])
  const rows: { model: string; peer: string; version: string; p50: number[]; p99: number[]; mean: number[] }[] = []
  for (let r = 0; r < a.rounds; r++) {
    for (const model of Object.keys(MODELS)) {
      // Rotate the order each round so no peer always runs first.
      const order = PEERS.map((_, i) => PEERS[(i + r) % PEERS.length] as string)
      const lasts: Record<string, number[]> = {}
      for (const peer of order) {
        process.stderr.write(`${model}: ${peer} (round ${r + 1}/${a.rounds})\n`)
        const res = runPeer(peer, dir, model, a)
        lasts[peer] = res.last
        const sorted = [...res.latencies_us].sort((x, y) => x - y)
        let row = rows.find((w) => w.model === model && w.peer === peer)
        if (!row) rows.push((row = { model, peer, version: res.version, p50: [], p99: [], mean: [] }))
        row.p50.push(quantile(sorted, 0.5))
        row.p99.push(quantile(sorted, 0.99))
        row.mean.push(sorted.reduce((s, x) => s + x, 0) / sorted.length)
      }
      // Same weights, same inputs: the last token's outputs must agree.
      const ref = lasts['pytorch'] as number[]
      for (const [peer, v] of Object.entries(lasts)) {
        const diff = Math.max(...v.map((x, i) => Math.abs(x - (ref[i] as number))))
        if (!(diff < 1e-4)) throw new Error(`${model}: ${peer}'s outputs differ from PyTorch's by ${diff}`)
      }
    }
  }
  const machine = `${(cpus()[0]?.model ?? 'cpu').replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '')}-${cpus().length}c`
  const report = {
    date: new Date().toISOString(),
    machine,
    // The processor as the kernels see it (family, model, features, kernel plan): results
    // from different families of one brand string are not comparable.
    cpu: native.cpuDescription(),
    threads: a.threads,
    batch: a.batch,
    tokens: a.tokens,
    rounds: a.rounds,
    node: process.version,
    results: rows.map((w) => ({ model: w.model, peer: w.peer, version: w.version, p50Us: median(w.p50), p99Us: median(w.p99), meanUs: median(w.mean), perRound: { p50: w.p50, p99: w.p99 } })),
  }
  const { cpu } = report
  console.log(`${cpu.brand || machine} (family ${cpu.family} model ${cpu.model}, ${cpu.microarchitecture}; ${cpu.features.join(' ')}), ${a.threads} threads, batch ${a.batch}, ${a.tokens} steps x ${a.rounds} rounds (median of rounds)\n`)
  console.log('| model | peer | p50 µs a step | p99 µs | mean µs |')
  console.log('|---|---|---:|---:|---:|')
  for (const w of report.results) {
    console.log(`| ${MODELS[w.model as keyof typeof MODELS]} | ${w.peer} ${w.version} | ${w.p50Us.toFixed(1)} | ${w.p99Us.toFixed(1)} | ${w.meanUs.toFixed(1)} |`)
  }
  if (a.write) {
    const suffix = a.batch > 1 ? `-b${a.batch}` : ''
    const file = join(root, 'bench', 'results', `${report.date.slice(0, 10)}-${machine}-streaming${suffix}.json`)
    writeFileSync(file, JSON.stringify(report, null, 2) + '\n')
    console.log(`\nwrote ${file}`)
  }
}

main()
