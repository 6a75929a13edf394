// The `plot` namespace: self-contained HTML charts.

export { forecastHtml } from './forecast_html.js'
export type { ForecastPlotData } from './forecast_html.js'
