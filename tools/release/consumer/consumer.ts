// Type-checked by install_test.mjs with strict and skipLibCheck: false: a program over the public
// API as a user writes it (the seed notebook's sine forecaster, checkpoints, text, streaming).
import {
  availableDevices,
  cuda,
  data,
  ErrorCode,
  fit,
  load,
  manualSeed,
  nn,
  noGrad,
  optim,
  preprocessing,
  randn,
  save,
  tensor,
  text,
  type Device,
  type FitResult,
  type Tensor,
} from 'seqtorch'

class SineLSTM extends nn.Module {
  lstm = new nn.LSTM(1, 32, { batchFirst: true })
  fc = new nn.Linear(32, 1)
  forward(x: Tensor): Tensor {
    const [out] = this.lstm.forward(x)
    return this.fc.forward(out.select(1, -1))
  }
}

export async function train(): Promise<FitResult> {
  manualSeed(42)
  const noise = randn(500).mul(0.1).data()
  const series = Array.from({ length: 500 }, (_, i) => Math.sin((20 * Math.PI * i) / 499) + noise[i]!)
  const scaler = new preprocessing.MinMaxScaler()
  const [X, y] = data.createSequences(scaler.fitTransform(tensor(series).reshape(-1, 1)), 20)
  const [XTrain, XTest, yTrain, yTest] = data.trainTestSplit(X, y, { testSize: 0.2 })
  const model = new SineLSTM()
  const device: Device = cuda.isAvailable() ? 'cuda' : 'cpu'
  const optimizer = new optim.Adam(model.parameters(), { lr: 0.01 })
  const scheduler = new optim.lrScheduler.StepLR(optimizer, 10, 0.5)
  const train = new data.DataLoader(new data.TensorDataset(XTrain, yTrain), { batchSize: 32, shuffle: true })
  const result = await fit(model, { train, optimizer, loss: new nn.MSELoss(), epochs: 2, device, onEpochEnd: () => scheduler.step() })
  const pred: Tensor = noGrad(() => scaler.inverseTransform(model.forward(XTest)))
  const mse: number = pred.sub(scaler.inverseTransform(yTest)).pow(2).mean().item()
  await save(model.stateDict(), 'sine.safetensors')
  model.loadStateDict(await load('sine.safetensors'))
  console.log(mse, availableDevices(), ErrorCode.device)
  return result
}

export function stream(sentences: string[]): number[] {
  const vocab = text.Vocab.build(sentences, { minFreq: 1 })
  const embed = new nn.Embedding(vocab.length, 8)
  const gru = new nn.GRU(8, 16, { numLayers: 2 }).eval()
  const s = gru.stream()
  const ids = vocab.encode(sentences[0]!)
  return noGrad(() => ids.map((id) => s.step(embed.forward(tensor([id], { dtype: 'int64' }))).sum().item()))
}
