// Prints tensors the way PyTorch does: `tensor([[1., 2.],\n        [3., 4.]], requires_grad=True)`.
// One number format for the whole tensor (integer-valued floats as `1.`, otherwise 4 decimals,
// scientific when magnitudes span more than 1000x), right-aligned, and long dimensions
// summarised as `first 3, ..., last 3` once the tensor has more than 1000 elements.

const SUMMARY_THRESHOLD = 1000
const EDGE_ITEMS = 3

function scientific(v: number): string {
  const [mantissa, exp] = v.toExponential(4).split('e') as [string, string]
  const sign = exp.startsWith('-') ? '-' : '+'
  const digits = exp.replace(/^[+-]/, '').padStart(2, '0')
  return `${mantissa}e${sign}${digits}`
}

function nonFinite(v: number): string {
  return Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf'
}

function floatFormatter(values: ArrayLike<number>): (v: number) => string {
  const finite: number[] = []
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number
    if (Number.isFinite(v)) finite.push(v)
  }
  if (finite.length === 0) return (v) => nonFinite(v)
  const abs = finite.map(Math.abs)
  const max = Math.max(...abs)
  const nonzero = abs.filter((a) => a > 0)
  const min = nonzero.length ? Math.min(...nonzero) : 0
  const integral = finite.every(Number.isInteger)
  if (integral) {
    if (max > 1e8) return (v) => (Number.isFinite(v) ? scientific(v) : nonFinite(v))
    return (v) => (Number.isFinite(v) ? `${v.toFixed(0)}.` : nonFinite(v))
  }
  const sci = max > 1e8 || (min > 0 && (max / min > 1000 || min < 1e-4))
  return (v) => (!Number.isFinite(v) ? nonFinite(v) : sci ? scientific(v) : v.toFixed(4))
}

/** Indices shown along a dimension of size n (with -1 marking the `...`). */
function shownIndices(n: number, summarise: boolean): number[] {
  if (!summarise || n <= 2 * EDGE_ITEMS) return Array.from({ length: n }, (_, i) => i)
  const head = Array.from({ length: EDGE_ITEMS }, (_, i) => i)
  const tail = Array.from({ length: EDGE_ITEMS }, (_, i) => n - EDGE_ITEMS + i)
  return [...head, -1, ...tail]
}

/** `values` may be a BigInt64Array for int64 data beyond 2^53 (printed exactly). */
export function formatTensor(values: ArrayLike<number | bigint>, shape: readonly number[], dtype: string, suffix: string): string {
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1))
  const summarise = values.length > SUMMARY_THRESHOLD

  // The number format and the column width come from the shown elements only, as in PyTorch.
  const shown: (number | bigint)[] = []
  const visit = (d: number, offset: number): void => {
    if (d === shape.length) {
      shown.push(values[offset] as number | bigint)
      return
    }
    for (const i of shownIndices(shape[d] as number, summarise)) if (i >= 0) visit(d + 1, offset + i * (strides[d] as number))
  }
  if (values.length > 0) visit(0, 0)
  const fmt: (v: number | bigint) => string =
    dtype === 'int64' ? (x) => String(x) : (floatFormatter(shown as number[]) as (v: number | bigint) => string)
  const width = shown.reduce<number>((w, x) => Math.max(w, fmt(x).length), 0)

  const prefix = 'tensor('
  const render = (d: number, offset: number, indent: number): string => {
    if (d === shape.length) return fmt(values[offset] as number | bigint).padStart(width)
    // PyTorch pads the ellipsis of the innermost dimension by one space.
    const ellipsis = d === shape.length - 1 ? ' ...' : '...'
    const parts = shownIndices(shape[d] as number, summarise).map((i) =>
      i < 0 ? ellipsis : render(d + 1, offset + i * (strides[d] as number), indent + 1),
    )
    if (d === shape.length - 1) return `[${parts.join(', ')}]`
    const newlines = '\n'.repeat(shape.length - d - 1)
    return `[${parts.join(`,${newlines}${' '.repeat(indent + 1)}`)}]`
  }

  let body: string
  const extras: string[] = []
  if (values.length === 0) {
    body = '[]'
    if (shape.length !== 1) extras.push(`size=(${shape.join(', ')}${shape.length === 1 ? ',' : ''})`)
  } else {
    body = render(0, 0, prefix.length)
  }
  if (suffix) extras.push(suffix)
  return `${prefix}${body}${extras.map((e) => `, ${e}`).join('')})`
}
