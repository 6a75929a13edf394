// Q2. The last output step equals the last layer's final hidden state.
//   npx tsx examples/q02_hidden_state.ts

import { nn, randn, type Tensor } from '../index.js'
import { isMain } from './run_main.js'

const allclose = (a: Tensor, b: Tensor) => a.sub(b).abs().max().item() <= 1e-6

export function q02() {
  const x = randn(4, 5, 10) // batch=4, seq=5, input=10
  const single = new nn.RNN(10, 20, { numLayers: 1, batchFirst: true })
  const [outputs, hN] = single.forward(x)
  const multi = new nn.RNN(10, 20, { numLayers: 2, batchFirst: true })
  const [outputsM, hNM] = multi.forward(x)
  return {
    lastShape: outputs.select(1, -1).shape,
    squeezedShape: hN.squeeze(0).shape,
    single: allclose(outputs.select(1, -1), hN.squeeze(0)),
    multi: allclose(outputsM.select(1, -1), hNM.select(0, -1)),
  }
}

if (isMain(import.meta.url)) {
  const r = q02()
  console.log(`outputs[:, -1, :] shape: [${r.lastShape.join(', ')}]`)
  console.log(`h_n.squeeze(0) shape: [${r.squeezedShape.join(', ')}]`)
  console.log(`\noutputs[:, -1, :] == h_n.squeeze(0): ${r.single}`)
  console.log(`same with 2 layers (h_n[-1])?: ${r.multi}`)
}
