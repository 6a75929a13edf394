// Q7. Training windows of 5 days over a price series.
//   npx tsx examples/q07_windows.ts

import { data } from '../index.js'
import { isMain } from './run_main.js'

export function q07() {
  const prices = [100, 102, 105, 103, 108, 110, 107, 112, 115, 113]
  return data.createSequences(prices, 5) // X: past 5 days, y: the next day
}

if (isMain(import.meta.url)) {
  const [X, y] = q07()
  console.log(`X shape: [${X.shape.join(', ')}]`)
  console.log(`y shape: [${y.shape.join(', ')}]`)
  console.log('\nsequences:')
  const xs = X.toArray() as number[][]
  const ys = y.toArray() as number[]
  xs.forEach((row, i) => console.log(`  input: [${row.join(' ')}] -> target: ${ys[i]}`))
}
