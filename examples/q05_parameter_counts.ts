// Q5. Why a GRU has fewer parameters than an LSTM: 3 gate blocks instead of 4.
//   npx tsx examples/q05_parameter_counts.ts

import { nn } from '../index.js'
import { isMain } from './run_main.js'

const count = (m: nn.Module) => m.parameters().reduce((n, p) => n + p.numel(), 0)

export function q05() {
  const [inputSize, hiddenSize] = [100, 128]
  const lstm = count(new nn.LSTM(inputSize, hiddenSize))
  const gru = count(new nn.GRU(inputSize, hiddenSize))
  return { lstm, gru, ratio: `${((gru / lstm) * 100).toFixed(2)}%` }
}

if (isMain(import.meta.url)) {
  const { lstm, gru, ratio } = q05()
  console.log(`LSTM parameters: ${lstm.toLocaleString('en-US')}`) // 4 * (128 * (100 + 128) + 2 * 128)
  console.log(`GRU parameters: ${gru.toLocaleString('en-US')}`) // 3 * (...)
  console.log(`ratio: GRU/LSTM = ${ratio}`)
}
