// Reading one numeric column of a CSV file (with an optional date column) for forecasting.
// The file is streamed: rows are parsed as they arrive and only the wanted column is kept, in
// a growing Float64Array (8 bytes a value), so memory follows the series, not the file.

import { createReadStream, statSync } from 'node:fs'

import { parse } from 'csv-parse'

import { CliError } from './errors.js'

export interface Series {
  values: Float64Array
  /** Labels of the x axis: the date column, when given. */
  dates: Labels | null
  source: string
}

/** Read-only access to a column of strings. */
export interface Labels {
  readonly length: number
  at(i: number): string
}

/**
 * A column of short strings packed as UTF-8 bytes plus offsets: about 1 byte a character
 * instead of a JS string object each (5 million dates took 500 MB as strings, 120 MB here).
 */
class PackedStrings implements Labels {
  private bytes = Buffer.alloc(1 << 16)
  private used = 0
  private ends = new Float64Array(1024)
  length = 0

  push(s: string): void {
    const need = Buffer.byteLength(s)
    if (this.used + need > this.bytes.length) {
      const next = Buffer.alloc(Math.max(this.bytes.length * 2, this.used + need))
      this.bytes.copy(next, 0, 0, this.used)
      this.bytes = next
    }
    this.used += this.bytes.write(s, this.used)
    if (this.length === this.ends.length) {
      const next = new Float64Array(this.ends.length * 2)
      next.set(this.ends)
      this.ends = next
    }
    this.ends[this.length++] = this.used
  }

  at(i: number): string {
    const start = i === 0 ? 0 : (this.ends[i - 1] as number)
    return this.bytes.toString('utf8', start, this.ends[i] as number)
  }
}

export interface ReadOptions {
  dateColumn?: string
  /** Keep only the last `tail` values (what `predict` needs), in a ring of that size. */
  tail?: number
}

/** A cell for an error message: long ones are cut, so a hostile file is not echoed whole. */
function quote(cell: string): string {
  const shown = cell.length > 40 ? `${cell.slice(0, 40)}... (${cell.length} characters)` : cell
  return `'${shown}'`
}

/** Appends numbers to a Float64Array that doubles when full. */
class Growing {
  private buf = new Float64Array(1024)
  length = 0
  push(v: number): void {
    if (this.length === this.buf.length) {
      const next = new Float64Array(this.buf.length * 2)
      next.set(this.buf)
      this.buf = next
    }
    this.buf[this.length++] = v
  }
  take(): Float64Array {
    return this.buf.slice(0, this.length)
  }
}

/** Keeps the last `size` values pushed. */
class Ring {
  private buf: Float64Array
  private count = 0
  constructor(private readonly size: number) {
    this.buf = new Float64Array(size)
  }
  push(v: number): void {
    this.buf[this.count++ % this.size] = v
  }
  get length(): number {
    return this.count
  }
  take(): Float64Array {
    const n = Math.min(this.count, this.size)
    const out = new Float64Array(n)
    for (let i = 0; i < n; i++) out[i] = this.buf[(this.count - n + i) % this.size] as number
    return out
  }
}

export async function readSeries(file: string, column: string, options: ReadOptions = {}): Promise<Series> {
  const { dateColumn, tail } = options
  try {
    if (!statSync(file).isFile()) throw new CliError(`cannot read '${file}': not a regular file`)
  } catch (e) {
    if (e instanceof CliError) throw e
    const code = (e as NodeJS.ErrnoException).code
    throw new CliError(`cannot read '${file}': ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`)
  }
  const values = tail === undefined ? new Growing() : new Ring(tail)
  const dates = dateColumn !== undefined && tail === undefined ? new PackedStrings() : null
  let valueAt = -1
  let dateAt = -1
  let line = 1
  // `bom`, `trim` and `skip_empty_lines` as before; records are arrays, the header row first.
  const parser = createReadStream(file).pipe(parse({ bom: true, trim: true, skip_empty_lines: true }))
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      if (valueAt < 0) {
        valueAt = record.indexOf(column)
        dateAt = dateColumn === undefined ? -1 : record.indexOf(dateColumn)
        for (const [c, at] of [[column, valueAt], [dateColumn, dateAt]] as const) {
          if (c !== undefined && at < 0) {
            const names = record.map((n) => (n.length > 40 ? `${n.slice(0, 40)}...` : n))
            throw new CliError(`column ${quote(c)} not found in '${file}'; its columns are: ${names.slice(0, 50).join(', ')}`)
          }
        }
        continue
      }
      line++
      const cell = record[valueAt] ?? ''
      const v = cell === '' ? NaN : Number(cell)
      if (!Number.isFinite(v)) {
        // Line numbers count the header as line 1.
        throw new CliError(`'${file}' line ${line}: ${quote(cell)} in column '${column}' is not a number`)
      }
      values.push(v)
      dates?.push(record[dateAt] ?? '')
    }
  } catch (e) {
    parser.destroy()
    if (e instanceof CliError) throw e
    throw new CliError(`'${file}' is not a valid CSV file: ${(e as Error).message.slice(0, 200)}`)
  }
  if (valueAt < 0 || values.length === 0) throw new CliError(`'${file}' has no data rows`)
  return { values: values.take(), dates, source: file }
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
  const values = Float64Array.from({ length: 500 }, (_, i) => {
    const x = (20 * Math.PI * i) / 499
    const noise = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform())
    return Math.sin(x) + 0.1 * noise
  })
  return { values, dates: null, source: 'noisy sine wave (built in)' }
}
