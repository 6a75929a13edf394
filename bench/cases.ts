// The benchmark suite (bench/cases.json is a copy of the project's bench-cases.json).

import { readFileSync } from 'node:fs'

import type { BenchCase } from './model.js'

export function loadCases(): BenchCase[] {
  return (JSON.parse(readFileSync(new URL('./cases.json', import.meta.url), 'utf8')) as { cases: BenchCase[] }).cases
}

/** FLOPs of the recurrent GEMMs per training step (forward + backward), as BENCHMARKS.md defines. */
export function recurrentFlops(c: BenchCase): number {
  const gates = c.cell === 'LSTM' ? 4 : c.cell === 'GRU' ? 3 : 1
  const dirs = c.bidirectional ? 2 : 1
  let total = 0
  for (let l = 0; l < c.layers; l++) {
    const inSize = l === 0 ? c.input : c.hidden * dirs
    total += dirs * 3 * 2 * gates * c.hidden * (inSize + c.hidden) * c.batch * c.seq
  }
  return total
}

/**
 * FLOPs of the recurrent products a training step needs: `recurrentFlops` less the first
 * layer's input gradient where the input is data, which requires no grad (seqtorch skips that
 * product); an embedding's output needs it. The arithmetic floor of a step is this over the
 * machine's FMA peak.
 */
export function neededRecurrentFlops(c: BenchCase): number {
  const gates = c.cell === 'LSTM' ? 4 : c.cell === 'GRU' ? 3 : 1
  const dirs = c.bidirectional ? 2 : 1
  if (c.embedding) return recurrentFlops(c)
  return recurrentFlops(c) - dirs * 2 * gates * c.hidden * c.input * c.batch * c.seq
}
