// `seqtorch forecast`: trains a forecaster on one column of a CSV (or the built-in noisy sine
// wave), reports test RMSE and MAE beside the last-value baseline, and with --out writes the
// model, its config and scaler, the metrics and an interactive chart.

import { writeFileSync } from 'node:fs'

import { cat, cuda, data, fit, manualSeed, nn, noGrad, optim, preprocessing, save, tensor, type Device, type Tensor } from '../../index.js'
import { forecastHtml } from '../plot/forecast_html.js'
import { decimate } from './decimate.js'
import { CliError } from './errors.js'
import { Forecaster, type ForecasterConfig, type ModelKind } from './forecaster.js'
import { OutputDir } from './output_dir.js'
import { progress } from './progress.js'
import { noisySine, readSeries, type Series } from './series.js'

/** Windows per forward pass when predicting the test period (bounds the recurrent workspace). */
const PREDICT_BATCH = 1024
/** Points per line in forecast.html: a longer series is reduced to per-bucket minima and maxima. */
const CHART_POINTS = 20_000

/**
 * The model's samples: windows of the scaled series as [batch, window, 1] inputs and
 * [batch, horizon] targets, gathered per batch (memory stays the size of the series).
 */
class ForecastWindows implements data.Dataset {
  private readonly windows: data.WindowDataset
  constructor(series: Tensor, window: number, horizon: number, readonly first: number, readonly length: number) {
    this.windows = new data.WindowDataset(series, window, { horizon })
  }
  get(index: number): Tensor[] {
    const [x, y] = this.getBatch([index])
    return [x!.squeeze(0), y!.squeeze(0)]
  }
  getBatch(indices: readonly number[]): Tensor[] {
    const [x, y] = this.windows.getBatch(indices.map((i) => this.first + i))
    return [x!, y!.reshape(indices.length, -1)]
  }
}

export interface ForecastOptions {
  csv?: string
  column?: string
  dateColumn?: string
  window: number
  horizon: number
  model: ModelKind
  hidden: number
  layers: number
  epochs: number
  batchSize: number
  lr: number
  testFraction: number
  seed: number
  out?: string
  /** 'cpu', 'cuda' ('cuda:N') or 'auto' (cuda when available). */
  device?: string
}

/** The device `--device` names: 'auto' is the first GPU when one is usable, else the cpu. */
export function resolveDevice(requested: string | undefined): Device {
  const d = requested ?? 'auto'
  if (d === 'auto') return cuda.isAvailable() ? 'cuda:0' : 'cpu'
  if (d === 'cpu') return 'cpu'
  if (d === 'cuda' || /^cuda:\d+$/.test(d)) {
    if (!cuda.isAvailable()) throw new CliError(`--device ${d}: ${cuda.status().reason ?? 'no CUDA device is usable'}`)
    return d as Device
  }
  throw new CliError(`--device must be cpu, cuda, cuda:N or auto, got '${d}'`)
}

export interface Metrics {
  test: { rmse: number; mae: number }
  naive: { rmse: number; mae: number }
  history: { epoch: number; loss: number; valLoss?: number }[]
}

function errors(pred: number[], truth: number[]): { rmse: number; mae: number } {
  let se = 0
  let ae = 0
  pred.forEach((p, i) => {
    const d = p - (truth[i] as number)
    se += d * d
    ae += Math.abs(d)
  })
  return { rmse: Math.sqrt(se / pred.length), mae: ae / pred.length }
}

/** Maps scaled values back to the data's units. */
function unscale(scaler: preprocessing.MinMaxScaler, t: Tensor): number[] {
  return Array.from(scaler.inverseTransform(t.reshape(-1, 1)).data())
}

export async function loadSeries(o: Pick<ForecastOptions, 'csv' | 'column' | 'dateColumn' | 'seed'>): Promise<Series> {
  if (o.csv === undefined) {
    if (o.column !== undefined || o.dateColumn !== undefined) throw new CliError('--column and --date-column need --csv')
    return noisySine(o.seed)
  }
  if (o.column === undefined) throw new CliError('--csv needs --column NAME (the series to forecast)')
  return readSeries(o.csv, o.column, { dateColumn: o.dateColumn })
}

export async function forecast(o: ForecastOptions, log: (line: string) => void = (l) => console.log(l)): Promise<Metrics> {
  // The output folder is checked (and staged) before hours of training, not after.
  const out = o.out === undefined ? null : new OutputDir(o.out)
  try {
    const metrics = await train(o, out, log)
    return metrics
  } catch (e) {
    out?.discard()
    throw e
  }
}

async function train(o: ForecastOptions, out: OutputDir | null, log: (line: string) => void): Promise<Metrics> {
  const device = resolveDevice(o.device)
  const series = await loadSeries(o)
  const T = series.values.length
  const windows = T - o.window - o.horizon + 1
  if (windows < 3) {
    throw new CliError(
      `${series.source} has ${T} values; a window of ${o.window} and a horizon of ${o.horizon} need at least ${o.window + o.horizon + 2}`,
    )
  }
  const nTest = Math.max(1, Math.round(windows * o.testFraction))
  const nTrainAll = windows - nTest
  if (nTrainAll < 2) throw new CliError(`--test-fraction ${o.testFraction} leaves fewer than 2 training windows`)
  const nVal = nTrainAll >= 20 ? Math.max(1, Math.floor(nTrainAll * 0.1)) : 0
  const nTrain = nTrainAll - nVal
  manualSeed(o.seed)

  // Fit the scaler on the values the training windows see, so nothing leaks from the test period.
  const trainEnd = nTrainAll - 1 + o.window + o.horizon
  const scaler = new preprocessing.MinMaxScaler().fit(tensor(series.values.subarray(0, trainEnd)).reshape(-1, 1))
  const scaled = scaler.transform(tensor(series.values).reshape(-1, 1))
  const part = (first: number, n: number) => new ForecastWindows(scaled, o.window, o.horizon, first, n)
  const train = new data.DataLoader(part(0, nTrain), { batchSize: o.batchSize, shuffle: true, generator: o.seed })
  const validation = nVal ? new data.DataLoader(part(nTrain, nVal), { batchSize: 256 }) : undefined

  const config: ForecasterConfig = { type: o.model, hidden: o.hidden, layers: o.layers, window: o.window, horizon: o.horizon }
  const model = new Forecaster(config)
  const optimizer = new optim.Adam(model.parameters(), { lr: o.lr })
  const bar = progress(o.epochs)
  const controller = new AbortController()
  const onSigint = () => controller.abort()
  process.once('SIGINT', onSigint)
  let result
  try {
    result = await fit(model, {
      train,
      validation,
      optimizer,
      loss: new nn.MSELoss(),
      epochs: o.epochs,
      device,
      signal: controller.signal,
      onEpochEnd: (l) => bar.epoch(l),
    })
  } finally {
    bar.stop()
    process.off('SIGINT', onSigint)
  }
  if (result.stoppedBy === 'abort') throw new CliError('interrupted; nothing was written')

  // Test period: model forecasts and the last-value baseline, in the data's units, a batch of
  // windows at a time.
  model.eval()
  const test = part(nTrainAll, nTest)
  const preds: Tensor[] = []
  const truths: Tensor[] = []
  const lasts: Tensor[] = []
  for (let start = 0; start < nTest; start += PREDICT_BATCH) {
    const idx = Array.from({ length: Math.min(PREDICT_BATCH, nTest - start) }, (_, i) => start + i)
    const [x, yb] = test.getBatch(idx)
    preds.push(noGrad(() => model.forward(x!.to(device)).cpu()))
    truths.push(yb!)
    lasts.push(x!.select(1, -1).reshape(idx.length, 1).expand(idx.length, o.horizon))
  }
  const pred = unscale(scaler, cat(preds, 0))
  const truth = unscale(scaler, cat(truths, 0))
  const naivePred = unscale(scaler, cat(lasts, 0))
  if (!pred.every(Number.isFinite)) throw new CliError('training diverged: the model forecasts NaN or infinite values (try a smaller --lr)')
  const metrics: Metrics = {
    test: errors(pred, truth),
    naive: errors(naivePred, truth),
    history: result.history.map(({ epoch, loss, valLoss }) => (valLoss === undefined ? { epoch, loss } : { epoch, loss, valLoss })),
  }
  log(`data: ${series.source}${o.column ? ` (column '${o.column}')` : ''}, ${T} values, ${nTrain} training / ${nVal} validation / ${nTest} test windows`)
  log(`model: ${o.model.toUpperCase()}(1, ${o.hidden}, layers=${o.layers}) + Linear(${o.hidden}, ${o.horizon}), ${result.history.length} epochs on ${device}`)
  log(`test   RMSE ${metrics.test.rmse.toPrecision(5)}  MAE ${metrics.test.mae.toPrecision(5)}`)
  log(`naive  RMSE ${metrics.naive.rmse.toPrecision(5)}  MAE ${metrics.naive.mae.toPrecision(5)}  (last value of each window)`)

  if (out !== null) {
    await save(model.stateDict(), out.path('model.safetensors'))
    const cfg = {
      format: 'seqtorch-forecaster',
      version: 1,
      model: config,
      scaler: scaler.toJSON(),
      data: { csv: o.csv ?? null, column: o.column ?? null, dateColumn: o.dateColumn ?? null },
      training: { epochs: o.epochs, batchSize: o.batchSize, lr: o.lr, seed: o.seed, testFraction: o.testFraction },
    }
    writeFileSync(out.path('config.json'), JSON.stringify(cfg, null, 2) + '\n')
    writeFileSync(out.path('metrics.json'), JSON.stringify(metrics, null, 2) + '\n')
    const xAt = (i: number): string | number => (series.dates ? series.dates.at(i) : i)
    // Prediction k targets the first step after window k.
    const firstStep = pred.filter((_, i) => i % o.horizon === 0)
    const actual = decimate(T, (i) => series.values[i] as number, CHART_POINTS)
    const predicted = decimate(nTest, (k) => firstStep[k] as number, CHART_POINTS)
    writeFileSync(
      out.path('forecast.html'),
      forecastHtml({
        title: `seqtorch forecast: ${o.column ?? 'noisy sine wave'}`,
        x: actual.index.map(xAt),
        actual: actual.values,
        predictionX: predicted.index.map((k) => xAt(nTrainAll + k + o.window)),
        prediction: predicted.values,
        splitX: xAt(nTrainAll + o.window),
        history: metrics.history,
        metrics,
      }),
    )
    const written = out.commit()
    log(`wrote ${written.map((p) => p).join(', ')}`)
  }
  return metrics
}
