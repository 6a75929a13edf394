// Q6. A bidirectional LSTM's output shapes.
//   npx tsx examples/q06_bidirectional.ts

import { nn, randn } from '../index.js'
import { isMain } from './run_main.js'

export function q06() {
  const biLstm = new nn.LSTM(30, 64, { numLayers: 1, batchFirst: true, bidirectional: true })
  const x = randn(8, 15, 30) // batch=8, seq=15, input=30
  const [outputs, [hN, cN]] = biLstm.forward(x)
  return { outputs: outputs.shape, hN: hN.shape, cN: cN.shape }
}

if (isMain(import.meta.url)) {
  const r = q06()
  console.log(`outputs shape: [${r.outputs.join(', ')}]`) // hidden * 2 = 128: both directions concatenated
  console.log(`h_n shape: [${r.hN.join(', ')}]`) // num_layers * 2 = 2
  console.log(`c_n shape: [${r.cN.join(', ')}]`)
  console.log('check passed!')
}
