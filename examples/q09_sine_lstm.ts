// Q9. Forecasting a noisy sine wave with an LSTM: MinMax scaling, windows of 20, an 80/20
// time split, LSTM(1, 32) + Linear, Adam (lr 0.01), MSE, batches of 32, 30 epochs; then the
// test forecast in the data's units and an interactive chart (q09_forecast.html).
//   npx tsx examples/q09_sine_lstm.ts

import { writeFileSync } from 'node:fs'

import { data, manualSeed, nn, noGrad, optim, plot, preprocessing, randn, tensor, Tensor } from '../index.js'
import type { Device } from '../index.js'
import { isMain } from './run_main.js'

export class SineLSTM extends nn.Module {
  lstm: nn.LSTM
  fc: nn.Linear

  constructor(inputSize = 1, hiddenSize = 32, numLayers = 1) {
    super()
    this.lstm = new nn.LSTM(inputSize, hiddenSize, { numLayers, batchFirst: true })
    this.fc = new nn.Linear(hiddenSize, 1)
  }

  forward(x: Tensor): Tensor {
    const [lstmOut] = this.lstm.forward(x)
    return this.fc.forward(lstmOut.select(1, -1))
  }
}

export interface Q9Result {
  losses: number[]
  /** Test MSE in the data's units, for the model and for repeating the window's last value. */
  testMse: number
  naiveMse: number
  yData: number[]
  testPred: number[]
  trainSize: number
}

/** `device` trains on a GPU with `'cuda'` (the data stays on the CPU and each batch moves); `seed` replaces the notebook's. */
export interface SeedOptions {
  device?: Device
  epochs?: number
  seed?: number
}

export function q09(log: (s: string) => void = () => {}, { device = 'cpu', epochs = 30, seed = 42 }: SeedOptions = {}): Q9Result {
  manualSeed(seed)
  // Noisy sine wave: 500 points of sin(x) + 0.1 N(0, 1) over [0, 20 pi].
  const xData = Array.from({ length: 500 }, (_, i) => (20 * Math.PI * i) / 499)
  const noise = randn(500).mul(0.1).data()
  const yData = xData.map((x, i) => Math.sin(x) + (noise[i] as number))

  const scaler = new preprocessing.MinMaxScaler()
  const scaled = scaler.fitTransform(tensor(yData).reshape(-1, 1))
  const SEQ_LENGTH = 20
  const [X, y] = data.createSequences(scaled, SEQ_LENGTH) // X (480, 20, 1), y (480, 1)
  const trainSize = Math.floor(X.shape[0]! * 0.8)
  const [XTrain, XTest, yTrain, yTest] = data.trainTestSplit(X, y, { testSize: X.shape[0]! - trainSize })
  log(`train data: [${XTrain.shape}], [${yTrain.shape}]`)
  log(`test data: [${XTest.shape}], [${yTest.shape}]`)

  const model = new SineLSTM(1, 32, 1).to(device)
  const criterion = new nn.MSELoss()
  const optimizer = new optim.Adam(model.parameters(), { lr: 0.01 })
  log(String(model))

  const trainLoader = new data.DataLoader(new data.TensorDataset(XTrain, yTrain), { batchSize: 32, shuffle: true })
  const losses: number[] = []
  for (let epoch = 0; epoch < epochs; epoch++) {
    model.train()
    let total = 0
    for (const [xb, yb] of trainLoader) {
      optimizer.zeroGrad()
      const loss = criterion.forward(model.forward(xb!.to(device)), yb!.to(device))
      loss.backward()
      optimizer.step()
      total += loss.item()
    }
    losses.push(total / trainLoader.length)
    if ((epoch + 1) % 5 === 0) log(`Epoch ${epoch + 1}/${epochs}, Loss: ${losses[epoch]!.toFixed(6)}`)
  }

  model.eval()
  const testPred = noGrad(() => scaler.inverseTransform(model.forward(XTest.to(device)).cpu()))
  const truth = scaler.inverseTransform(yTest)
  const naive = scaler.inverseTransform(XTest.select(1, -1))
  const mse = (a: Tensor, b: Tensor) => a.sub(b).pow(2).mean().item()
  return {
    losses,
    testMse: mse(testPred, truth),
    naiveMse: mse(naive, truth),
    yData,
    testPred: Array.from(testPred.data()),
    trainSize,
  }
}

if (isMain(import.meta.url)) {
  const r = q09(console.log)
  console.log(`\ntest MSE (original scale): ${r.testMse.toFixed(5)}   last-value forecast: ${r.naiveMse.toFixed(5)}`)
  const split = r.trainSize + 20
  const html = plot.forecastHtml({
    title: 'Sine wave LSTM forecast',
    x: r.yData.map((_, i) => i),
    actual: r.yData,
    predictionX: r.testPred.map((_, i) => split + i),
    prediction: r.testPred,
    splitX: split,
    history: r.losses.map((loss, i) => ({ epoch: i + 1, loss })),
    metrics: { test: { rmse: Math.sqrt(r.testMse), mae: NaN }, naive: { rmse: Math.sqrt(r.naiveMse), mae: NaN } },
  })
  writeFileSync('q09_forecast.html', html)
  console.log('chart: q09_forecast.html')
}
