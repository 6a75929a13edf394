// `seqtorch predict`: reloads a forecaster written by `forecast --out` and forecasts the next
// steps after the end of a CSV column, feeding its own predictions back when asked for more
// steps than the model's horizon.

import { readFileSync } from 'node:fs'
import { join } from 'node:path'

import { load, noGrad, preprocessing, tensor } from '../../index.js'
import { CliError } from './errors.js'
import { Forecaster, type ForecasterConfig } from './forecaster.js'
import { readSeries } from './series.js'

export interface PredictOptions {
  model: string
  csv: string
  column: string
  steps?: number
}

interface SavedConfig {
  format: string
  model: ForecasterConfig
  scaler: Parameters<typeof preprocessing.MinMaxScaler.fromJSON>[0]
}

export async function predict(o: PredictOptions): Promise<number[]> {
  let cfg: SavedConfig
  try {
    cfg = JSON.parse(readFileSync(join(o.model, 'config.json'), 'utf8')) as SavedConfig
  } catch (e) {
    throw new CliError(`cannot read the model's config.json in '${o.model}': ${(e as Error).message}`)
  }
  if (cfg.format !== 'seqtorch-forecaster') throw new CliError(`'${o.model}' does not hold a model written by 'seqtorch forecast --out'`)
  const model = new Forecaster(cfg.model)
  try {
    model.loadStateDict(await load(join(o.model, 'model.safetensors')))
  } catch (e) {
    throw new CliError((e as Error).message)
  }
  model.eval()
  const scaler = preprocessing.MinMaxScaler.fromJSON(cfg.scaler)
  const series = readSeries(o.csv, o.column)
  const { window, horizon } = cfg.model
  if (series.values.length < window) {
    throw new CliError(`${o.csv} has ${series.values.length} values in '${o.column}'; the model needs the last ${window}`)
  }
  const steps = o.steps ?? horizon
  let context = Array.from(scaler.transform(tensor(series.values.slice(-window)).reshape(-1, 1)).data())
  const out: number[] = []
  while (out.length < steps) {
    const next = noGrad(() => model.forward(tensor(context).reshape(1, window, 1)))
    const values = Array.from(next.data())
    out.push(...values)
    context = [...context, ...values].slice(-window)
  }
  return Array.from(scaler.inverseTransform(tensor(out.slice(0, steps)).reshape(-1, 1)).data())
}
