// Q4. The three LSTM gates, and one LSTMCell step computed by hand with them.
//   npx tsx examples/q04_lstm_gates.ts

import { manualSeed, nn, noGrad, randn, type Tensor } from '../index.js'
import { isMain } from './run_main.js'

/** One step of PyTorch's LSTM formulas (gate order i, f, g, o) next to nn.LSTMCell. */
export function q04(): number {
  manualSeed(4)
  const cell = new nn.LSTMCell(3, 2)
  const x = randn(1, 3)
  const [h0, c0] = [randn(1, 2), randn(1, 2)]
  return noGrad(() => {
    const gates = x.matmul(cell.weight_ih.transpose(0, 1)).add(cell.bias_ih!).add(h0.matmul(cell.weight_hh.transpose(0, 1))).add(cell.bias_hh!)
    const part = (k: number): Tensor => gates.narrow(1, 2 * k, 2)
    const [i, f, g, o] = [part(0).sigmoid(), part(1).sigmoid(), part(2).tanh(), part(3).sigmoid()]
    const c1 = f.mul(c0).add(i.mul(g)) // forget some of the old cell state, add some of the new
    const h1 = o.mul(c1.tanh()) // expose part of the cell state
    const [hRef, cRef] = cell.forward(x, [h0, c0])
    return Math.max(h1.sub(hRef).abs().max().item(), c1.sub(cRef).abs().max().item())
  })
}

if (isMain(import.meta.url)) {
  console.log(`The LSTM's three gates:

1. Forget gate: decides what to drop from the previous cell state.
   f_t = sigmoid(W_f [h_(t-1), x_t] + b_f), between 0 (forget all) and 1 (keep all)
2. Input gate: decides what new information to store in the cell state.
   i_t = sigmoid(W_i [h_(t-1), x_t] + b_i), with candidate g_t = tanh(W_g [h_(t-1), x_t] + b_g)
3. Output gate: decides which part of the cell state becomes the hidden state.
   o_t = sigmoid(W_o [h_(t-1), x_t] + b_o), h_t = o_t * tanh(c_t)

Cell state update: c_t = f_t * c_(t-1) + i_t * g_t`)
  console.log(`\nOne step by hand vs nn.LSTMCell, largest difference: ${q04().toExponential(2)}`)
}
