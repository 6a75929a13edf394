// The seed notebook's two models trained from Node through the public API, on the CPU and then
// with `device: 'cuda'`, from the same seed: the end-to-end half of the GPU check. The GPU run
// must reach the CPU run's quality (the sine LSTM's test MSE <= 0.02 and below the last-value
// forecast; the sentiment GRU right on all six test reviews), and the first epoch's losses must
// agree closely (later epochs drift apart by float rounding, so they are reported, not judged).
//
//   tools/gpu_check.sh build   compiles this file with the library into gpu-check/app
//   tools/gpu_check.sh run     runs it with the carried Node binary; writes $OUT/node-e2e.json
//
// `--device cpu` runs the second half on the CPU too: a check of this script's own logic on a
// machine without a GPU. Exits 1 when a check fails or no GPU is usable.

import { writeFileSync } from 'node:fs'
import { join } from 'node:path'

import { cuda } from '../../index.js'
import type { Device } from '../../index.js'
import { q09 } from '../../examples/q09_sine_lstm.js'
import { q10, testReviews } from '../../examples/q10_sentiment_gru.js'

interface Run {
  losses: number[]
  ms: number
  ok: boolean
  detail: string
  /** On a GPU: the most memory the run's tensors held, in MiB. */
  peakMb?: number
}

/** Runs one training; an exception (a GPU seen for the first time may have surprises) becomes a
 * failed run with its message, so the other model and the report are not lost. */
function timed(device: Device, f: () => Omit<Run, 'ms'>): Run {
  const gpu = device !== 'cpu'
  const t0 = performance.now()
  try {
    if (gpu) cuda.resetPeakMemoryStats(device)
    const r = f()
    const ms = performance.now() - t0
    return gpu ? { ...r, ms, peakMb: cuda.maxMemoryAllocated(device) / 2 ** 20 } : { ...r, ms }
  } catch (e) {
    return { losses: [], ok: false, detail: `threw: ${(e as Error).stack ?? String(e)}`, ms: performance.now() - t0 }
  }
}

const models: [string, (device: Device) => Omit<Run, 'ms'>][] = [
  [
    'seed-sine-lstm',
    (device) => {
      const r = q09(() => {}, { device })
      return { losses: r.losses, ok: r.testMse <= 0.02 && r.testMse < r.naiveMse, detail: `test MSE ${r.testMse.toFixed(5)} (last value ${r.naiveMse.toFixed(5)})` }
    },
  ],
  [
    'seed-sentiment-gru',
    (device) => {
      const r = q10(() => {}, { device })
      const right = r.predictions.filter((p, i) => p.sentiment === testReviews[i]![1]).length
      return { losses: r.losses, ok: right === testReviews.length, detail: `${right}/${testReviews.length} reviews right` }
    },
  ],
]

const flag = process.argv.indexOf('--device')
const device = (flag >= 0 ? process.argv[flag + 1] : 'cuda') as Device
const status = cuda.status()
console.log(`cuda.status(): ${JSON.stringify(status)}`)
if (device !== 'cpu' && !cuda.isAvailable()) {
  console.error(`no GPU tensors: ${status.reason ?? 'unknown reason'}`)
  process.exit(1)
}

const report: Record<string, unknown> = { node: process.version, device, status }
let failed = false
for (const [name, train] of models) {
  const cpu = timed('cpu', () => train('cpu'))
  const gpu = timed(device, () => train(device))
  const rel = (a: number | undefined, b: number | undefined) =>
    a === undefined || b === undefined ? Infinity : Math.abs(a - b) / Math.max(Math.abs(b), 1e-12)
  const firstEpoch = rel(gpu.losses[0], cpu.losses[0])
  const maxDrift = gpu.losses.length ? Math.max(...gpu.losses.map((l, i) => rel(l, cpu.losses[i]))) : Infinity
  const ok = gpu.ok && cpu.ok && firstEpoch <= 1e-4
  failed ||= !ok
  report[name] = { cpu, gpu, firstEpochRelDiff: firstEpoch, maxEpochRelDiff: maxDrift, ok }
  console.log(
    `${ok ? 'ok  ' : 'FAIL'} ${name}: cpu ${cpu.ms.toFixed(0)} ms (${cpu.detail}), ${device} ${gpu.ms.toFixed(0)} ms (${gpu.detail}); ` +
      `epoch-1 loss rel diff ${firstEpoch.toExponential(2)}, largest over epochs ${maxDrift.toExponential(2)}` +
      (gpu.peakMb === undefined ? '' : `, peak ${gpu.peakMb.toFixed(1)} MiB on ${device}`),
  )
}
writeFileSync(join(process.env.OUT ?? '.', 'node-e2e.json'), JSON.stringify(report, null, 2))
process.exit(failed ? 1 : 0)
