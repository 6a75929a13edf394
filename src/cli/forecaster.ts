// The forecasting model the command trains: a recurrent stack over the window and a Linear
// head from its last step to the horizon. The model sees each window relative to its last
// value and predicts the change from it, so it does not depend on the level of the series:
// trends that leave the training range (CO2, prices) are followed instead of flattening where
// tanh saturates.

import { nn, type Tensor } from '../../index.js'

export type ModelKind = 'lstm' | 'gru' | 'rnn'

export interface ForecasterConfig {
  type: ModelKind
  hidden: number
  layers: number
  window: number
  horizon: number
}

export class Forecaster extends nn.Module {
  rnn: nn.LSTM | nn.GRU | nn.RNN
  head: nn.Linear

  constructor(readonly config: ForecasterConfig) {
    super()
    const options = { numLayers: config.layers, batchFirst: true }
    this.rnn =
      config.type === 'lstm'
        ? new nn.LSTM(1, config.hidden, options)
        : config.type === 'gru'
          ? new nn.GRU(1, config.hidden, options)
          : new nn.RNN(1, config.hidden, options)
    this.head = new nn.Linear(config.hidden, config.horizon)
  }

  /** [batch, window, 1] -> [batch, horizon] */
  forward(x: Tensor): Tensor {
    const last = x.select(1, -1)
    const [out] = (this.rnn as nn.GRU).forward(x.sub(last.unsqueeze(1)))
    return this.head.forward(out.select(1, -1)).add(last)
  }
}
