// `seqtorch predict`: reloads a forecaster written by `forecast --out` and forecasts the next
// steps after the end of a CSV column, feeding its own predictions back when asked for more
// steps than the model's horizon. The model folder is validated before it is used: a config
// or scaler that does not describe a working model is refused with a clear message.

import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'

import { load, noGrad, preprocessing, tensor } from '../../index.js'
import * as v from '../validate.js'
import { CliError } from './errors.js'
import { Forecaster, type ForecasterConfig } from './forecaster.js'
import { readSeries } from './series.js'

/** The most steps `predict --steps` forecasts (each step past the horizon feeds on the last). */
export const MAX_STEPS = 100_000

/** Sizes a saved config may give (the largest layers `forecast` lets one train are far below). */
const MAX_SIZE = 1 << 20

export interface PredictOptions {
  model: string
  csv: string
  column: string
  steps?: number
}

interface SavedConfig {
  model: ForecasterConfig
  scaler: preprocessing.MinMaxScaler
}

/** config.json as `forecast --out` writes it, checked field by field. */
function readConfig(dir: string): SavedConfig {
  const path = join(dir, 'config.json')
  let raw: unknown
  try {
    if (!statSync(path).isFile()) throw new Error('not a regular file')
    raw = JSON.parse(readFileSync(path, 'utf8'))
  } catch (e) {
    throw new CliError(`cannot read the model's config.json in '${dir}': ${(e as Error).message.slice(0, 200)}`)
  }
  if (!v.isPlainObject(raw) || raw.format !== 'seqtorch-forecaster') {
    throw new CliError(`'${dir}' does not hold a model written by 'seqtorch forecast --out'`)
  }
  try {
    if (raw.version !== 1) throw new Error(`version ${v.describe(raw.version)} is not supported (this seqtorch writes version 1)`)
    if (!v.isPlainObject(raw.model)) throw new TypeError(`model must be an object, got ${v.describe(raw.model)}`)
    const size = v.int({ min: 1, max: MAX_SIZE })
    const m = raw.model
    const model: ForecasterConfig = {
      type: v.oneOf(['lstm', 'gru', 'rnn'] as const)(m.type, 'model.type'),
      hidden: size(m.hidden, 'model.hidden'),
      layers: v.int({ min: 1, max: 64 })(m.layers, 'model.layers'),
      window: size(m.window, 'model.window'),
      horizon: size(m.horizon, 'model.horizon'),
    }
    const scaler = preprocessing.MinMaxScaler.fromJSON(raw.scaler as preprocessing.MinMaxScalerJSON)
    if (!scaler.scale || scaler.scale.length !== 1) throw new Error('scaler must be a fitted MinMaxScaler of one column')
    return { model, scaler }
  } catch (e) {
    throw new CliError(`'${path}' is not a valid forecaster config: ${(e as Error).message}`)
  }
}

export async function predict(o: PredictOptions): Promise<number[]> {
  const steps = o.steps ?? null
  if (steps !== null && steps > MAX_STEPS) throw new CliError(`--steps must be at most ${MAX_STEPS}, got ${steps}`)
  const cfg = readConfig(o.model)
  const model = new Forecaster(cfg.model)
  try {
    model.loadStateDict(await load(join(o.model, 'model.safetensors')))
  } catch (e) {
    throw new CliError((e as Error).message)
  }
  model.eval()
  const { window, horizon } = cfg.model
  const series = await readSeries(o.csv, o.column, { tail: window })
  if (series.values.length < window) {
    throw new CliError(`${o.csv} has ${series.values.length} values in '${o.column}'; the model needs the last ${window}`)
  }
  const wanted = steps ?? horizon
  let context = Array.from(cfg.scaler.transform(tensor(series.values).reshape(-1, 1)).data())
  const out: number[] = []
  // Each pass adds `horizon` (>= 1) values, so this ends after ceil(wanted / horizon) passes.
  while (out.length < wanted) {
    const next = noGrad(() => model.forward(tensor(context).reshape(1, window, 1)))
    const values = Array.from(next.data())
    out.push(...values)
    context = [...context, ...values].slice(-window)
  }
  const result = Array.from(cfg.scaler.inverseTransform(tensor(out.slice(0, wanted)).reshape(-1, 1)).data())
  if (!result.every(Number.isFinite)) {
    throw new CliError(`the model in '${o.model}' forecasts non-finite values (NaN or Infinity): its weights are not usable`)
  }
  return result
}
