// Times one case with TensorFlow.js (backend 'cpu', pure JS, or 'wasm') in its own process.
// Same model as the suite: [Embedding] -> recurrent layers -> Dense(1) on the last step,
// Adam (lr 1e-3), MSE or sigmoid + binary cross-entropy.
//   tsx bench/peers/tfjs_peer.ts CASE THREADS SECONDS MAX_WARMUP_SECONDS BACKEND

import * as tf from '@tensorflow/tfjs'
import { setThreadsCount } from '@tensorflow/tfjs-backend-wasm'

import { loadCases } from '../cases.js'
import { timeRuns, type PeerResult } from './protocol.js'

const [name, threads, seconds, maxWarmup, backend = 'cpu'] = process.argv.slice(2)
const c = loadCases().find((k) => k.name === name)
if (!c) throw new Error(`no case ${name}`)
if (backend === 'wasm') setThreadsCount(Number(threads))
await tf.setBackend(backend)
await tf.ready()

const model = tf.sequential()
if (c.embedding) model.add(tf.layers.embedding({ inputDim: c.embedding.vocab, outputDim: c.input, inputLength: c.seq }))
for (let l = 0; l < c.layers; l++) {
  const first = l === 0 && !c.embedding
  const config = { units: c.hidden, returnSequences: l < c.layers - 1 }
  const make = () => (c.cell === 'LSTM' ? tf.layers.lstm(config) : c.cell === 'GRU' ? tf.layers.gru(config) : tf.layers.simpleRNN(config))
  const layer = c.bidirectional ? tf.layers.bidirectional({ layer: make() as tf.RNN, mergeMode: 'concat', ...(first ? { inputShape: [c.seq, c.input] } : {}) }) : make()
  if (first && !c.bidirectional) {
    model.add(c.cell === 'LSTM' ? tf.layers.lstm({ ...config, inputShape: [c.seq, c.input] }) : c.cell === 'GRU' ? tf.layers.gru({ ...config, inputShape: [c.seq, c.input] }) : tf.layers.simpleRNN({ ...config, inputShape: [c.seq, c.input] }))
  } else {
    model.add(layer)
  }
  if (l < c.layers - 1 && c.dropout) model.add(tf.layers.dropout({ rate: c.dropout }))
}
model.add(tf.layers.dense({ units: 1, activation: c.loss === 'MSE' ? 'linear' : 'sigmoid' }))
model.compile({ optimizer: tf.train.adam(1e-3), loss: c.loss === 'MSE' ? 'meanSquaredError' : 'binaryCrossentropy' })

const x = c.embedding ? tf.randomUniform([c.batch, c.seq], 1, c.embedding.vocab, 'int32') : tf.randomNormal([c.batch, c.seq, c.input])
const y = c.loss === 'MSE' ? tf.randomNormal([c.batch, 1]) : tf.randomUniform([c.batch, 1]).round()

const train = await timeRuns(() => model.trainOnBatch(x, y), Number(seconds), 2, Number(maxWarmup))
const forward = await timeRuns(
  async () => {
    const p = model.predict(x) as tf.Tensor
    await p.data()
    p.dispose()
  },
  Number(seconds) / 2,
  2,
  Number(maxWarmup),
)
const result: PeerResult = {
  peer: `tfjs-${backend}`,
  case: c.name,
  threads: backend === 'wasm' ? Number(threads) : 1,
  train: train.runs,
  forward: forward.runs,
  peakRssMb: process.resourceUsage().maxRSS / 1024,
  partial: train.partial || undefined,
}
console.log(JSON.stringify(result))
