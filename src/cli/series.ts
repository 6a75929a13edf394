// Reading one numeric column of a CSV file (with an optional date column) for forecasting.

import { readFileSync } from 'node:fs'

import { parse } from 'csv-parse/sync'

import { CliError } from './errors.js'

export interface Series {
  values: number[]
  /** Labels of the x axis: the date column, when given. */
  dates: string[] | null
  source: string
}

export function readSeries(file: string, column: string, dateColumn?: string): Series {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    throw new CliError(`cannot read '${file}': ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`)
  }
  let rows: Record<string, string>[]
  try {
    rows = parse(text, { columns: true, skip_empty_lines: true, trim: true, bom: true }) as Record<string, string>[]
  } catch (e) {
    throw new CliError(`'${file}' is not a valid CSV file: ${(e as Error).message}`)
  }
  if (rows.length === 0) throw new CliError(`'${file}' has no data rows`)
  const columns = Object.keys(rows[0] as object)
  for (const c of [column, dateColumn]) {
    if (c !== undefined && !columns.includes(c)) {
      throw new CliError(`column '${c}' not found in '${file}'; its columns are: ${columns.join(', ')}`)
    }
  }
  const values = rows.map((row, i) => {
    const cell = row[column] ?? ''
    const v = cell === '' ? NaN : Number(cell)
    if (!Number.isFinite(v)) {
      // Line numbers count the header as line 1.
      throw new CliError(`'${file}' line ${i + 2}: '${cell}' in column '${column}' is not a number`)
    }
    return v
  })
  const dates = dateColumn ? rows.map((row) => row[dateColumn] ?? '') : null
  return { values, dates, source: file }
}

/** The seed notebook's default series: sin(x) + 0.1 noise over 500 points of [0, 20 pi]. */
export function noisySine(seedValue: number): Series {
  // A small deterministic generator keeps the default independent of the tensor RNG.
  let s = (seedValue >>> 0) || 1
  const uniform = () => {
    s ^= s << 13
    s ^= s >>> 17
    s ^= s << 5
    return ((s >>> 0) + 0.5) / 2 ** 32
  }
  const values = Array.from({ length: 500 }, (_, i) => {
    const x = (20 * Math.PI * i) / 499
    const noise = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform())
    return Math.sin(x) + 0.1 * noise
  })
  return { values, dates: null, source: 'noisy sine wave (built in)' }
}
