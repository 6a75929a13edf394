import * as st from '../../index.js'
const threads = Number(process.argv[2] ?? 2)
st.setNumThreads(threads)
for (const [name, make, I] of [
  ['tiny GRU 1->1', () => new st.nn.GRU(1, 1), 1],
  ['GRU 128->256 x2', () => new st.nn.GRU(128, 256, { numLayers: 2 }), 128],
  ['LSTM 64->128', () => new st.nn.LSTM(64, 128), 64],
] as const) {
  const layer = (make() as st.nn.GRU).eval()
  const s = layer.stream()
  const x = new Float32Array(I).fill(0.1)
  st.noGrad(() => {
    for (let i = 0; i < 2000; i++) s.step(st.tensor(x, { shape: [1, I] })).data()
    const t0 = performance.now()
    for (let i = 0; i < 5000; i++) s.step(st.tensor(x, { shape: [1, I] })).data()
    const per = ((performance.now() - t0) / 5000) * 1000
    const xt = st.tensor(x, { shape: [1, 1, I] })
    const t1 = performance.now()
    for (let i = 0; i < 5000; i++) layer.forward(xt)
    const fwd = ((performance.now() - t1) / 5000) * 1000
    console.log(`${name} threads ${threads}: stream.step ${per.toFixed(1)} µs, forward(T=1) ${fwd.toFixed(1)} µs`)
  })
}
