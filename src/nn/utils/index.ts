// nn.utils: helpers around the layers.

export * as rnn from './rnn.js'
