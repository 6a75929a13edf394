// Reduces a long line for a chart: each bucket keeps its minimum and maximum, in order, so
// peaks survive while the point count stays bounded (a browser cannot draw millions).

export interface Decimated {
  /** Positions of the kept points in the original series. */
  index: number[]
  values: number[]
}

export function decimate(length: number, at: (i: number) => number, maxPoints: number): Decimated {
  if (length <= maxPoints) {
    const index = Array.from({ length }, (_, i) => i)
    return { index, values: index.map(at) }
  }
  const buckets = Math.max(1, Math.floor(maxPoints / 2))
  const index: number[] = []
  for (let b = 0; b < buckets; b++) {
    const start = Math.floor((b * length) / buckets)
    const end = Math.floor(((b + 1) * length) / buckets)
    let lo = start
    let hi = start
    for (let i = start + 1; i < end; i++) {
      if (at(i) < at(lo)) lo = i
      if (at(i) > at(hi)) hi = i
    }
    if (lo === hi) index.push(lo)
    else index.push(Math.min(lo, hi), Math.max(lo, hi))
  }
  return { index, values: index.map(at) }
}
