// A self-contained, interactive forecast report: plotly.js (from npm) is inlined, so the file
// opens with no network. Two charts: actual values with test predictions and the train/test
// split, and the training and validation loss curves.

import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'

import * as v from '../validate.js'

export interface ForecastPlotData {
  title: string
  /** x of every actual value (dates or step indices). */
  x: (string | number)[]
  actual: number[]
  /** x and value of each test prediction (first step of the horizon). */
  predictionX: (string | number)[]
  prediction: number[]
  /** x where the test period starts. */
  splitX: string | number
  history: { epoch: number; loss: number; valLoss?: number }[]
  metrics: { test: { rmse: number; mae: number }; naive: { rmse: number; mae: number } }
}

let plotlySource: string | null = null

function plotly(): string {
  if (plotlySource === null) {
    const require = createRequire(import.meta.url)
    plotlySource = readFileSync(require.resolve('plotly.js-dist-min'), 'utf8')
  }
  return plotlySource
}

/** Embeds JSON in a <script> safely (no closing tags or comment openers). */
function json(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026')
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string)
}

/** Any number: NaN is a gap in a line, or a metric that was not computed. */
const anyNumber: v.Check<number> = (x, where) => {
  if (typeof x !== 'number') throw new TypeError(`${where} must be a number, got ${v.describe(x)}`)
  return x
}
const xValues = v.array(v.either(v.string(), anyNumber))
const yValues = v.array(anyNumber)
const errors = (where: string, x: unknown) => {
  if (!v.isPlainObject(x)) throw new TypeError(`${where} must be { rmse, mae }, got ${v.describe(x)}`)
  return { rmse: anyNumber(x.rmse, `${where}.rmse`), mae: anyNumber(x.mae, `${where}.mae`) }
}

/** Checks the chart data (a public function: it may be handed anything). */
function checkData(d: unknown): ForecastPlotData {
  const op = 'forecastHtml()'
  if (!v.isPlainObject(d)) throw new TypeError(`${op}: expected the chart data object, got ${v.describe(d)}`)
  const metrics = d.metrics
  if (!v.isPlainObject(metrics)) throw new TypeError(`${op}: metrics must be { test, naive }, got ${v.describe(metrics)}`)
  const history = v.array((h: unknown, where: string) => {
    if (!v.isPlainObject(h)) throw new TypeError(`${where} must be { epoch, loss, valLoss? }, got ${v.describe(h)}`)
    return {
      epoch: anyNumber(h.epoch, `${where}.epoch`),
      loss: anyNumber(h.loss, `${where}.loss`),
      ...(h.valLoss === undefined ? {} : { valLoss: anyNumber(h.valLoss, `${where}.valLoss`) }),
    }
  })(d.history, `${op} history`)
  const x = xValues(d.x, `${op} x`)
  const actual = yValues(d.actual, `${op} actual`)
  const predictionX = xValues(d.predictionX, `${op} predictionX`)
  const prediction = yValues(d.prediction, `${op} prediction`)
  if (x.length !== actual.length || predictionX.length !== prediction.length) {
    throw new RangeError(`${op}: x and actual, and predictionX and prediction, must have equal lengths`)
  }
  return {
    title: v.string()(d.title, `${op} title`),
    x,
    actual,
    predictionX,
    prediction,
    splitX: v.either(v.string(), anyNumber)(d.splitX, `${op} splitX`),
    history,
    metrics: { test: errors(`${op} metrics.test`, metrics.test), naive: errors(`${op} metrics.naive`, metrics.naive) },
  }
}

/**
 * A self-contained HTML page (plotly.js inlined, opens offline) that draws a series, a forecast
 * over it, the train/test split and the loss curves: what `seqtorch forecast` writes as
 * `forecast.html`.
 * @example
 * ```ts
 * import { writeFileSync } from 'node:fs'
 * import { plot } from 'seqtorch'
 * const series = Array.from({ length: 100 }, (_, i) => Math.sin(i / 8))
 * const html = plot.forecastHtml({
 *   title: 'sine',
 *   x: series.map((_, i) => i),
 *   actual: series,
 *   predictionX: [80, 81, 82],
 *   prediction: [0.9, 0.8, 0.6],
 *   splitX: 80,
 *   history: [{ epoch: 1, loss: 0.2 }, { epoch: 2, loss: 0.1 }],
 *   metrics: { test: { rmse: 0.1, mae: 0.08 }, naive: { rmse: 0.2, mae: 0.15 } },
 * })
 * writeFileSync('forecast.html', html)
 * ```
 */
export function forecastHtml(data: ForecastPlotData): string {
  const d = checkData(data)
  const m = d.metrics
  const summary = `Test RMSE ${m.test.rmse.toPrecision(4)}, MAE ${m.test.mae.toPrecision(4)} (last-value baseline: RMSE ${m.naive.rmse.toPrecision(4)}, MAE ${m.naive.mae.toPrecision(4)})`
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(d.title)}</title>
<style>body{font-family:system-ui,sans-serif;margin:1.5rem;color:#222}h1{font-size:1.3rem}.chart{width:100%;height:460px}</style>
<script>${plotly()}</script>
</head>
<body>
<h1>${escapeHtml(d.title)}</h1>
<p>${escapeHtml(summary)}</p>
<div id="forecast" class="chart"></div>
<div id="loss" class="chart"></div>
<script>
const data = ${json(d)};
Plotly.newPlot('forecast', [
  { x: data.x, y: data.actual, mode: 'lines', name: 'actual', line: { color: '#1f77b4' } },
  { x: data.predictionX, y: data.prediction, mode: 'lines', name: 'forecast (test)', line: { color: '#d62728', dash: 'dash' } },
], {
  title: { text: 'Forecast on the test period' },
  xaxis: { title: { text: 'time' } }, yaxis: { title: { text: 'value' } }, template: 'plotly_white',
  shapes: [{ type: 'line', x0: data.splitX, x1: data.splitX, yref: 'paper', y0: 0, y1: 1, line: { color: 'green', dash: 'dot' } }],
  annotations: [{ x: data.splitX, yref: 'paper', y: 1, text: 'train | test', showarrow: false, yanchor: 'bottom' }],
}, { responsive: true });
const epochs = data.history.map((h) => h.epoch);
const lossTraces = [{ x: epochs, y: data.history.map((h) => h.loss), mode: 'lines+markers', name: 'training loss' }];
if (data.history.some((h) => h.valLoss !== undefined)) {
  lossTraces.push({ x: epochs, y: data.history.map((h) => h.valLoss ?? null), mode: 'lines+markers', name: 'validation loss' });
}
Plotly.newPlot('loss', lossTraces, {
  title: { text: 'Loss (scaled data)' }, xaxis: { title: { text: 'epoch' } }, yaxis: { title: { text: 'MSE' }, type: 'log' },
}, { responsive: true });
</script>
</body>
</html>
`
}
