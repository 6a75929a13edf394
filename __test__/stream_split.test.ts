// A streaming step whose weights outgrow a core's cache is split between threads on the Intel
// kernel plan (crates/core/src/rnn/stream_split.rs). Forced here with SEQTORCH_KERNEL_PLAN in a
// process of its own, so it runs on every machine: two threads (split) against one (serial)
// over a carried state, exactly equal where the one-row kernels run (x64).

import { expect, test } from 'vitest'

import { runIsolated } from './helpers/isolated.js'

test('split streaming steps carry state exactly as one thread does, LSTM and GRU', () => {
  const r = runIsolated(
    `
    const run = (threads, make, input) => {
      st.setNumThreads(threads)
      st.manualSeed(11)
      const layer = make().eval()
      const xs = st.randn([20, 1, input])
      const stream = layer.stream()
      const out = []
      st.noGrad(() => {
        for (let t = 0; t < 20; t++) out.push(...stream.step(xs.select(0, t)).data())
        const state = Array.isArray(stream.state) ? stream.state : [stream.state]
        for (const s of state) out.push(...s.data())
      })
      return out
    }
    const models = [
      ['GRU(128 -> 256, 2 layers)', () => new st.nn.GRU(128, 256, { numLayers: 2 }), 128],
      ['LSTM(96 -> 192, 2 layers)', () => new st.nn.LSTM(96, 192, { numLayers: 2 }), 96],
    ]
    const result = models.map(([name, make, input]) => ({ name, split: run(2, make, input), serial: run(1, make, input) }))
    console.log(JSON.stringify(result))
    `,
    { env: { SEQTORCH_KERNEL_PLAN: 'intel-amx' }, timeoutMs: 120_000 },
  )
  expect(r.status, r.stderr).toBe(0)
  const results = JSON.parse(r.stdout) as { name: string; split: number[]; serial: number[] }[]
  for (const { name, split, serial } of results) {
    expect(split.length, name).toBe(serial.length)
    expect(split.length, name).toBeGreaterThan(0)
    if (process.arch === 'x64') {
      expect(split, name).toEqual(serial)
    } else {
      split.forEach((v, i) => expect(Math.abs(v - (serial[i] as number)), name).toBeLessThanOrEqual(1e-6))
    }
  }
})
