// Q8. An embedding layer's shapes and parameter count.
//   npx tsx examples/q08_embedding.ts

import { nn, randint } from '../index.js'
import { isMain } from './run_main.js'

export function q08() {
  const [vocabSize, embedDim] = [1000, 64]
  const embedding = new nn.Embedding(vocabSize, embedDim)
  const x = randint(0, vocabSize, [4, 10]) // batch=4, seq=10 token ids
  const embedded = embedding.forward(x)
  return { x, embedded, weight: embedding.weight }
}

if (isMain(import.meta.url)) {
  const { x, embedded, weight } = q08()
  console.log(`input shape: [${x.shape.join(', ')}], dtype ${x.dtype}`)
  console.log(`output shape: [${embedded.shape.join(', ')}], dtype ${embedded.dtype}`)
  console.log(`\nembedding weight shape: [${weight.shape.join(', ')}]`)
  console.log(`parameters: ${weight.numel().toLocaleString('en-US')}`)
}
