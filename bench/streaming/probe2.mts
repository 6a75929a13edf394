import * as st from '../../index.js'
st.setNumThreads(2)
const layer = new st.nn.GRU(1, 1).eval()
const x = new Float32Array(1).fill(0.1)
const time = (label: string, f: () => unknown) => {
  for (let i = 0; i < 5000; i++) f()
  const t = performance.now()
  for (let i = 0; i < 20000; i++) f()
  console.log(label, (((performance.now() - t) / 20000) * 1000).toFixed(2), 'µs')
}
st.noGrad(() => {
  const xt = st.tensor(x, { shape: [1, 1] })
  const [, h] = layer.step(xt)
  time('tensor(x)', () => st.tensor(x, { shape: [1, 1] }))
  time('allWeights', () => (layer as unknown as { allWeights: unknown[] }).allWeights)
  time('step(x, h)', () => layer.step(xt, h))
  time('native step', () => (layer as any)._native.step(xt._h, h._h, null, (layer as any).allWeights.map((w: any) => w._h), false))
  time('data()', () => xt.data())
  time('noop native (numel)', () => xt.numel())
})
