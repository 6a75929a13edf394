// Type-checked by install_test.mjs: a CommonJS TypeScript file that requires seqtorch.
import seqtorch = require('seqtorch')

const rnn = new seqtorch.nn.RNN(4, 8, { numLayers: 2, nonlinearity: 'relu' })
const [out, hN]: [seqtorch.Tensor, seqtorch.Tensor] = rnn.forward(seqtorch.randn(5, 3, 4))
export const sizes: number[] = [...out.shape, ...hN.shape]
