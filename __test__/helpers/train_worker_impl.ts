// Trains a small LSTM inside a worker thread and posts its losses back.

import { parentPort, workerData } from 'node:worker_threads'

import { data, fit, linspace, nn, optim, Tensor } from '../../index.js'

class Net extends nn.Module {
  lstm = new nn.LSTM(1, 8, { batchFirst: true })
  fc = new nn.Linear(8, 1)
  forward(x: Tensor): Tensor {
    return this.fc.forward(this.lstm.forward(x)[0].select(1, -1))
  }
}

const { phase } = workerData as { phase: number }
const series = linspace(0, 8 * Math.PI, 240).add(phase).sin()
const [X, y] = data.createSequences(series, 12)
const loader = new data.DataLoader(new data.TensorDataset(X.unsqueeze(-1), y.unsqueeze(-1)), { batchSize: 16, shuffle: true, generator: 1 })
const model = new Net()
const result = await fit(model, { train: loader, optimizer: new optim.Adam(model.parameters(), { lr: 0.02 }), loss: new nn.MSELoss(), epochs: 4 })
parentPort?.postMessage(result.history.map((h) => h.loss))
