// What every peer process prints as its last stdout line: one JSON object.

export interface PeerResult {
  peer: string
  case: string
  threads: number
  /** ms per training step, one entry per timed step (after warm-up). */
  train: number[]
  /** ms per forward pass (no gradients). */
  forward: number[]
  peakRssMb: number
  /** Set when the peer was too slow to time more than its warm-up step. */
  partial?: boolean
  error?: string
}

/** Times `fn` after one warm-up call until `seconds` pass (at least `minRuns`, at most 200). */
export async function timeRuns(fn: () => unknown | Promise<unknown>, seconds: number, minRuns: number, maxWarmupSeconds: number): Promise<{ runs: number[]; partial: boolean }> {
  const w = performance.now()
  await fn()
  const warm = performance.now() - w
  if (warm > maxWarmupSeconds * 1000) return { runs: [warm], partial: true }
  const runs: number[] = []
  const deadline = performance.now() + seconds * 1000
  while ((runs.length < minRuns || performance.now() < deadline) && runs.length < 200) {
    const t = performance.now()
    await fn()
    runs.push(performance.now() - t)
  }
  return { runs, partial: false }
}
