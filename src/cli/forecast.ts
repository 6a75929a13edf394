// `seqtorch forecast`: trains a forecaster on one column of a CSV (or the built-in noisy sine
// wave), reports test RMSE and MAE beside the last-value baseline, and with --out writes the
// model, its config and scaler, the metrics and an interactive chart.

import { writeFileSync } from 'node:fs'

import { data, fit, manualSeed, nn, noGrad, optim, preprocessing, save, tensor, type Tensor } from '../../index.js'
import { forecastHtml } from '../plot/forecast_html.js'
import { CliError } from './errors.js'
import { Forecaster, type ForecasterConfig, type ModelKind } from './forecaster.js'
import { OutputDir } from './output_dir.js'
import { progress } from './progress.js'
import { noisySine, readSeries, type Series } from './series.js'

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

export function loadSeries(o: Pick<ForecastOptions, 'csv' | 'column' | 'dateColumn' | 'seed'>): Series {
  if (o.csv === undefined) {
    if (o.column !== undefined || o.dateColumn !== undefined) throw new CliError('--column and --date-column need --csv')
    return noisySine(o.seed)
  }
  if (o.column === undefined) throw new CliError('--csv needs --column NAME (the series to forecast)')
  return readSeries(o.csv, o.column, o.dateColumn)
}

export async function forecast(o: ForecastOptions, log: (line: string) => void = (l) => console.log(l)): Promise<Metrics> {
  const series = loadSeries(o)
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
  const scaler = new preprocessing.MinMaxScaler().fit(tensor(series.values.slice(0, trainEnd)).reshape(-1, 1))
  const scaled = scaler.transform(tensor(series.values).reshape(-1, 1)).reshape(-1)
  const [Xall, yall] = data.createSequences(scaled, o.window, { horizon: o.horizon })
  const X = Xall.unsqueeze(-1)
  const y = yall.reshape(windows, o.horizon)
  const part = (t: Tensor, start: number, n: number) => t.narrow(0, start, n)
  const train = new data.DataLoader(new data.TensorDataset(part(X, 0, nTrain), part(y, 0, nTrain)), {
    batchSize: o.batchSize,
    shuffle: true,
    generator: o.seed,
  })
  const validation = nVal ? new data.DataLoader(new data.TensorDataset(part(X, nTrain, nVal), part(y, nTrain, nVal)), { batchSize: 256 }) : undefined

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
      signal: controller.signal,
      onEpochEnd: (l) => bar.epoch(l),
    })
  } finally {
    bar.stop()
    process.off('SIGINT', onSigint)
  }
  if (result.stoppedBy === 'abort') throw new CliError('interrupted; nothing was written')

  // Test period: model forecasts and the last-value baseline, in the data's units.
  model.eval()
  const Xte = part(X, nTrainAll, nTest)
  const pred = unscale(scaler, noGrad(() => model.forward(Xte)))
  const truth = unscale(scaler, part(y, nTrainAll, nTest))
  const lastValues = Xte.select(1, -1).reshape(nTest, 1).expand(nTest, o.horizon)
  const naivePred = unscale(scaler, lastValues)
  const metrics: Metrics = {
    test: errors(pred, truth),
    naive: errors(naivePred, truth),
    history: result.history.map(({ epoch, loss, valLoss }) => (valLoss === undefined ? { epoch, loss } : { epoch, loss, valLoss })),
  }
  log(`data: ${series.source}${o.column ? ` (column '${o.column}')` : ''}, ${T} values, ${nTrain} training / ${nVal} validation / ${nTest} test windows`)
  log(`model: ${o.model.toUpperCase()}(1, ${o.hidden}, layers=${o.layers}) + Linear(${o.hidden}, ${o.horizon}), ${result.history.length} epochs`)
  log(`test   RMSE ${metrics.test.rmse.toPrecision(5)}  MAE ${metrics.test.mae.toPrecision(5)}`)
  log(`naive  RMSE ${metrics.naive.rmse.toPrecision(5)}  MAE ${metrics.naive.mae.toPrecision(5)}  (last value of each window)`)

  if (o.out !== undefined) {
    const out = new OutputDir(o.out)
    try {
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
      const xs = series.dates ?? series.values.map((_, i) => i)
      // Prediction k targets the first step after window k.
      const predX = Array.from({ length: nTest }, (_, k) => xs[nTrainAll + k + o.window] as string | number)
      const firstStep = pred.filter((_, i) => i % o.horizon === 0)
      writeFileSync(
        out.path('forecast.html'),
        forecastHtml({
          title: `seqtorch forecast: ${o.column ?? 'noisy sine wave'}`,
          x: xs,
          actual: series.values,
          predictionX: predX,
          prediction: firstStep,
          splitX: predX[0] as string | number,
          history: metrics.history,
          metrics,
        }),
      )
      const written = out.commit()
      log(`wrote ${written.map((p) => p).join(', ')}`)
    } catch (e) {
      out.discard()
      throw e
    }
  }
  return metrics
}
