// Q10. Sentiment of short reviews with an improved GRU: Embedding (padding index 0), 2-layer
// bidirectional GRU with dropout 0.3, the last layer's two directions concatenated, Linear +
// Sigmoid, BCE loss, Adam (lr 0.01), batches of 16, 50 epochs.
//   npx tsx examples/q10_sentiment_gru.ts

import { cat, data, manualSeed, nn, noGrad, optim, tensor, text, Tensor } from '../index.js'
import type { SeedOptions } from './q09_sine_lstm.js'
import { isMain } from './run_main.js'

export const vocab = text.Vocab.fromDict({
  '<PAD>': 0, '<UNK>': 1, this: 2, movie: 3, was: 4, is: 5, great: 6, good: 7, bad: 8, terrible: 9, amazing: 10,
  awful: 11, boring: 12, exciting: 13, the: 14, a: 15, very: 16, really: 17, loved: 18, hated: 19, it: 20, film: 21,
})

const positive = ['this movie was great', 'the film is amazing', 'really good movie', 'loved this film', 'very exciting movie']
const negative = ['this movie was bad', 'the film is terrible', 'really awful movie', 'hated this film', 'very boring movie']

export const testReviews: [string, 'positive' | 'negative'][] = [
  ['this movie was great', 'positive'],
  ['the film is terrible', 'negative'],
  ['really loved it', 'positive'],
  ['very bad film', 'negative'],
  ['amazing movie', 'positive'],
  ['awful boring film', 'negative'],
]

export class ImprovedSentimentGRU extends nn.Module {
  embedding: nn.Embedding
  gru: nn.GRU
  dropout: nn.Dropout
  fc: nn.Linear
  sigmoid = new nn.Sigmoid()

  constructor(vocabSize: number, embedDim: number, hiddenSize: number, numLayers = 2, dropout = 0.3) {
    super()
    this.embedding = new nn.Embedding(vocabSize, embedDim, { paddingIdx: 0 })
    this.gru = new nn.GRU(embedDim, hiddenSize, { numLayers, batchFirst: true, bidirectional: true, dropout: numLayers > 1 ? dropout : 0 })
    this.dropout = new nn.Dropout(dropout)
    this.fc = new nn.Linear(hiddenSize * 2, 1)
  }

  forward(x: Tensor): Tensor {
    const embedded = this.dropout.forward(this.embedding.forward(x)) // (batch, seq, embed)
    const [, hN] = this.gru.forward(embedded) // hN: (numLayers * 2, batch, hidden)
    const hidden = this.dropout.forward(cat([hN.select(0, -2), hN.select(0, -1)], 1)) // last layer, both directions
    return this.sigmoid.forward(this.fc.forward(hidden))
  }
}

export function q10(log: (s: string) => void = () => {}, { device = 'cpu', epochs = 50, seed = 10 }: SeedOptions = {}) {
  manualSeed(seed)
  const reviews = [...positive, ...negative]
  const XData = Array.from({ length: 20 }, () => reviews.map((r) => vocab.encode(r, { maxLen: 10 }))).flat()
  const yData = Array.from({ length: 20 }, () => [1, 1, 1, 1, 1, 0, 0, 0, 0, 0]).flat()
  const X = tensor(XData, { dtype: 'int64' })
  const y = tensor(yData).reshape(-1, 1)

  const model = new ImprovedSentimentGRU(vocab.length, 32, 64, 2, 0.3).to(device)
  log(String(model))
  const criterion = new nn.BCELoss()
  const optimizer = new optim.Adam(model.parameters(), { lr: 0.01 })
  const loader = new data.DataLoader(new data.TensorDataset(X, y), { batchSize: 16, shuffle: true })
  const losses: number[] = []
  for (let epoch = 0; epoch < epochs; epoch++) {
    model.train()
    let total = 0
    for (const [xb, yb] of loader) {
      optimizer.zeroGrad()
      const loss = criterion.forward(model.forward(xb!.to(device)), yb!.to(device))
      loss.backward()
      optimizer.step()
      total += loss.item()
    }
    losses.push(total / loader.length)
    if ((epoch + 1) % 10 === 0) log(`Epoch ${epoch + 1}/${epochs}, Loss: ${losses[epoch]!.toFixed(4)}`)
  }

  model.eval()
  const predictions = testReviews.map(([review]) => {
    const x = tensor([vocab.encode(review, { maxLen: 10 })], { dtype: 'int64' }).to(device)
    const prob = noGrad(() => model.forward(x).item())
    return { review, sentiment: prob > 0.5 ? ('positive' as const) : ('negative' as const), prob }
  })
  return { predictions, losses }
}

if (isMain(import.meta.url)) {
  const { predictions } = q10(console.log)
  console.log('\nImproved GRU sentiment results:')
  console.log('='.repeat(50))
  for (const r of predictions) console.log(`'${r.review}'\n  -> ${r.sentiment} (probability: ${r.prob.toFixed(3)})`)
}
