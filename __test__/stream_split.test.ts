// A streaming step whose weights outgrow a core's cache, or whose batch of streams brings
// enough products, is split between threads on the Intel kernel plan
// (crates/core/src/rnn/stream_split.rs). Forced here with SEQTORCH_KERNEL_PLAN in a process of
// its own, so it runs on every machine: two threads (split) against one (serial) over a
// carried state, exactly equal where the serial step runs the same product kernels (x64).

import { expect, test } from 'vitest'

import { runIsolated } from './helpers/isolated.js'

test('split streaming steps carry state exactly as one thread does: LSTM, GRU, a cell, one stream or a batch', () => {
  const r = runIsolated(
    `
    const run = (threads, make, input, batch) => {
      st.setNumThreads(threads)
      st.manualSeed(11)
      const layer = make().eval()
      const xs = st.randn([20, batch, input])
      const out = []
      st.noGrad(() => {
        if (layer instanceof st.nn.GRUCell) {
          let h = null
          for (let t = 0; t < 20; t++) out.push(...(h = layer.forward(xs.select(0, t), h)).data())
          return
        }
        const stream = layer.stream()
        for (let t = 0; t < 20; t++) out.push(...stream.step(xs.select(0, t)).data())
        const state = Array.isArray(stream.state) ? stream.state : [stream.state]
        for (const s of state) out.push(...s.data())
      })
      return out
    }
    const models = [
      ['GRU(128 -> 256, 2 layers)', () => new st.nn.GRU(128, 256, { numLayers: 2 }), 128, 1],
      ['LSTM(96 -> 192, 2 layers)', () => new st.nn.LSTM(96, 192, { numLayers: 2 }), 96, 1],
      ['GRU(128 -> 256, 2 layers), 7 streams', () => new st.nn.GRU(128, 256, { numLayers: 2 }), 128, 7],
      // 96 KB of weights: split for the 48 streams' products, not for the weights' size.
      ['LSTM(32 -> 64), 48 streams', () => new st.nn.LSTM(32, 64), 32, 48],
      ['GRUCell(128 -> 256), 3 rows', () => new st.nn.GRUCell(128, 256), 128, 3],
    ]
    // Compared here: the values themselves would overflow the pipe's buffer.
    const result = models.map(([name, make, input, batch]) => {
      const split = run(2, make, input, batch)
      const serial = run(1, make, input, batch)
      const maxDiff = split.length === serial.length ? split.reduce((m, v, i) => Math.max(m, Math.abs(v - serial[i])), 0) : Infinity
      return { name, values: split.length, maxDiff }
    })
    console.log(JSON.stringify(result))
    `,
    { env: { SEQTORCH_KERNEL_PLAN: 'intel-amx' }, timeoutMs: 120_000 },
  )
  expect(r.status, r.stderr).toBe(0)
  const results = JSON.parse(r.stdout) as { name: string; values: number; maxDiff: number }[]
  expect(results.length).toBe(5)
  for (const { name, values, maxDiff } of results) {
    expect(values, name).toBeGreaterThan(0)
    expect(maxDiff, name).toBeLessThanOrEqual(process.arch === 'x64' ? 0 : 1e-6)
  }
})
