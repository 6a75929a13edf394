// Times one case with seqtorch in its own process.
//   tsx bench/peers/seqtorch_peer.ts CASE THREADS SECONDS MAX_WARMUP_SECONDS

import { getNumThreads, setFloat32MatmulPrecision, setNumThreads } from '../../index.js'
import { buildRunner } from '../model.js'
import { loadCases } from '../cases.js'
import { timeRuns, type PeerResult } from './protocol.js'

const [name, threads, seconds, maxWarmup] = process.argv.slice(2)
const c = loadCases().find((k) => k.name === name)
if (!c) throw new Error(`no case ${name}`)
setNumThreads(Number(threads))
// bench/run.ts --precision medium: bf16 products where the CPU has AVX512-BF16.
if (process.env['SEQTORCH_BENCH_PRECISION'] === 'medium') setFloat32MatmulPrecision('medium')
const runner = buildRunner(c)
const train = await timeRuns(() => runner.trainStep(), Number(seconds), 5, Number(maxWarmup))
const forward = await timeRuns(() => runner.forward(), Number(seconds) / 2, 5, Number(maxWarmup))
const result: PeerResult = {
  peer: 'seqtorch',
  case: c.name,
  threads: getNumThreads(),
  train: train.runs,
  forward: forward.runs,
  peakRssMb: process.resourceUsage().maxRSS / 1024,
  partial: train.partial || undefined,
}
console.log(JSON.stringify(result))
