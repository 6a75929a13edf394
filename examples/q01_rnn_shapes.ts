// Q1. Output shapes of a 2-layer, batch-first RNN.
//   npx tsx examples/q01_rnn_shapes.ts

import { nn, randn } from '../index.js'
import { isMain } from './run_main.js'

export function q01() {
  const rnn = new nn.RNN(50, 100, { numLayers: 2, batchFirst: true })
  const x = randn(16, 20, 50) // batch=16, seq=20, input=50
  const [outputs, hN] = rnn.forward(x)
  return { outputs: outputs.shape, hN: hN.shape }
}

if (isMain(import.meta.url)) {
  const { outputs, hN } = q01()
  console.log(`outputs shape: [${outputs.join(', ')}]`) // [16, 20, 100]: every step of the last layer
  console.log(`h_n shape: [${hN.join(', ')}]`) // [2, 16, 100]: the last step of every layer
  console.log('check passed!')
}
