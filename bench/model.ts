// The benchmark suite's model for one case: [Embedding] -> recurrent stack -> Linear head on the
// last timestep (both directions concatenated) -> loss, trained with Adam (lr 1e-3).

import { manualSeed, nn, optim, randint, randn, Tensor, noGrad } from '../index.js'

export interface BenchCase {
  name: string
  cell: 'LSTM' | 'GRU' | 'RNN'
  input: number
  hidden: number
  layers: number
  bidirectional: boolean
  batch: number
  seq: number
  loss: 'MSE' | 'BCEWithLogits'
  embedding?: { vocab: number; paddingIdx: number }
  dropout?: number
  gpuOnly?: boolean
}

class BenchModel extends nn.Module {
  embedding: nn.Embedding | null
  rnn: nn.LSTM | nn.GRU | nn.RNN
  head: nn.Linear

  constructor(c: BenchCase) {
    super()
    const options = { numLayers: c.layers, batchFirst: true, bidirectional: c.bidirectional, dropout: c.layers > 1 ? (c.dropout ?? 0) : 0 }
    this.embedding = c.embedding ? new nn.Embedding(c.embedding.vocab, c.input, { paddingIdx: c.embedding.paddingIdx }) : null
    this.rnn =
      c.cell === 'LSTM' ? new nn.LSTM(c.input, c.hidden, options) : c.cell === 'GRU' ? new nn.GRU(c.input, c.hidden, options) : new nn.RNN(c.input, c.hidden, options)
    this.head = new nn.Linear(c.hidden * (c.bidirectional ? 2 : 1), 1)
  }

  forward(x: Tensor): Tensor {
    const input = this.embedding ? this.embedding.forward(x) : x
    const [out] = (this.rnn as nn.GRU).forward(input)
    return this.head.forward(out.select(1, -1))
  }
}

export interface Runner {
  /** One training step: forward, loss, backward, Adam step. Returns the loss. */
  trainStep(): number
  /** Forward only, without recording history. */
  forward(): void
}

export function buildRunner(c: BenchCase, seed = 0): Runner {
  manualSeed(seed)
  const model = new BenchModel(c)
  const x = c.embedding ? randint(1, c.embedding.vocab, [c.batch, c.seq]) : randn(c.batch, c.seq, c.input)
  const y = c.loss === 'MSE' ? randn(c.batch, 1) : randint(0, 2, [c.batch, 1]).float()
  const loss = c.loss === 'MSE' ? new nn.MSELoss() : new nn.BCEWithLogitsLoss()
  const opt = new optim.Adam(model.parameters(), { lr: 1e-3 })
  return {
    trainStep() {
      opt.zeroGrad()
      const l = loss.forward(model.forward(x), y)
      l.backward()
      opt.step()
      return l.item()
    },
    forward() {
      noGrad(() => model.forward(x))
    },
  }
}
