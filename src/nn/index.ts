// The `nn` namespace: modules and layers, like torch.nn.

export { Module } from './module.js'
export type { StateDict, LoadStateDictOptions, LoadStateDictResult } from './module.js'
export { Parameter } from './parameter.js'
export { RNN, LSTM, GRU, RNNCell, LSTMCell, GRUCell } from './rnn.js'
export type { RNNBaseOptions, RNNOptions, LSTMOptions, RNNCellOptions } from './rnn.js'
export * as init from './init.js'
export * as utils from './utils/index.js'
