// Per-step latency of a recurrent layer in seqtorch or onnxruntime-node, state carried
// between calls, BATCH streams a step (default 1), in its own process.
//
//   tsx bench/streaming/node_peer.ts seqtorch|onnxruntime MODEL_DIR MODEL THREADS WARMUP [BATCH]
//
// Prints one JSON line: { peer, model, latencies_us, last }.

import { readFileSync } from 'node:fs'
import { join } from 'node:path'

interface ModelInfo {
  cell: 'LSTM' | 'GRU'
  input: number
  hidden: number
  layers: number
}

const [peer, dir, name, threadsArg, warmupArg, batchArg] = process.argv.slice(2) as [string, string, string, string, string, string | undefined]
const threads = Number(threadsArg)
const warmup = Number(warmupArg)
const batch = Number(batchArg ?? 1)
const meta = JSON.parse(readFileSync(join(dir, 'models.json'), 'utf8')) as { tokens: number; models: Record<string, ModelInfo> }
const m = meta.models[name]!
const tokens = meta.tokens
const raw = readFileSync(join(dir, `${name}.inputs.bin`))
const xs = new Float32Array(raw.buffer, raw.byteOffset, tokens * m.input)
// Step t reads the `batch` rows of block t % blocks (one row per stream).
const blocks = Math.floor(tokens / batch)
const rows = (t: number) => xs.subarray((t % blocks) * batch * m.input, ((t % blocks) + 1) * batch * m.input)

/** Runs `step` for warm-up plus timed tokens; `reset` clears the state before the timed run. */
async function time(step: (x: Float32Array) => ArrayLike<number> | Promise<ArrayLike<number>>, reset: () => void) {
  const lat: number[] = []
  let out: ArrayLike<number> = []
  for (let t = 0; t < warmup + tokens; t++) {
    const start = process.hrtime.bigint()
    // Synchronous peers are not awaited: an await would add a microtask hop to their time.
    const r = step(rows(t))
    out = r instanceof Promise ? await r : r
    if (t >= warmup) lat.push(Number(process.hrtime.bigint() - start) / 1000)
    if (t === warmup - 1) reset()
  }
  return { lat, last: Array.from(out).slice(0, 8) }
}

async function seqtorch() {
  const st = await import('../../index.js')
  st.setNumThreads(threads)
  const layer = m.cell === 'LSTM' ? new st.nn.LSTM(m.input, m.hidden, { numLayers: m.layers }) : new st.nn.GRU(m.input, m.hidden, { numLayers: m.layers })
  layer.loadStateDict(await st.load(join(dir, `${name}.safetensors`)))
  layer.eval()
  const stream = layer instanceof st.nn.LSTM ? layer.stream() : layer.stream()
  return st.noGrad(() =>
    time(
      (x) => stream.step(st.tensor(x, { shape: [batch, m.input] })).data(),
      () => stream.reset(),
    ),
  )
}

async function onnxruntime() {
  const ort = await import('onnxruntime-node')
  const session = await ort.InferenceSession.create(join(dir, `${name}.onnx`), {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  })
  const lstm = m.cell === 'LSTM'
  const zeros = () => new ort.Tensor('float32', new Float32Array(m.layers * batch * m.hidden), [m.layers, batch, m.hidden])
  let h: InstanceType<typeof ort.Tensor> = zeros()
  let c: InstanceType<typeof ort.Tensor> = zeros()
  return time(
    async (x) => {
      const feeds: Record<string, InstanceType<typeof ort.Tensor>> = { x: new ort.Tensor('float32', x, [1, batch, m.input]), h: h as InstanceType<typeof ort.Tensor> }
      if (lstm) feeds.c = c
      const r = await session.run(feeds)
      h = r.h_out!
      if (lstm) c = r.c_out!
      return r.y!.data as ArrayLike<number>
    },
    () => {
      h = zeros()
      c = zeros()
    },
  )
}

const r = peer === 'seqtorch' ? await seqtorch() : await onnxruntime()
const version = peer === 'seqtorch' ? 'local' : (await import('onnxruntime-node')).env.versions.node
console.log(JSON.stringify({ peer, version, model: name, latencies_us: r.lat, last: r.last }))
