// A smoke test of the benchmark harness: it runs, the peers report, the table is complete.
// Timing is never asserted here.

import { expect, test } from 'vitest'

import { loadCases, neededRecurrentFlops, recurrentFlops } from '../bench/cases.js'
import { failureReason, parseArgs, resultFileName, runBench, table } from '../bench/run.js'

test('the harness runs a case through seqtorch and TensorFlow.js and reports every column', () => {
  const args = parseArgs(['--case', 'seed-sine-lstm', '--peers', 'seqtorch,tfjs-wasm', '--seconds', '0.2', '--rounds', '1', '--threads', '1', '--no-write'])
  const report = runBench(args)
  expect(report.gemmPeakGflops).toBeGreaterThan(0)
  expect(report.fmaPeak.gflops).toBeGreaterThan(0)
  expect(['avx512', 'avx2', 'scalar']).toContain(report.fmaPeak.isa)
  expect(report.cpu.microarchitecture).toMatch(/^(zen4|zen5|intel-amx|intel-avx512|x86-avx2|x86|arm64|other)$/)
  if (process.platform === 'linux') expect(report.cpu.threadsPerCore).toBeGreaterThanOrEqual(1)
  // The plan is this processor's family's unless SEQTORCH_KERNEL_PLAN names another.
  const family = process.env.SEQTORCH_KERNEL_PLAN ?? report.cpu.microarchitecture
  expect(report.cpu.kernelPlan).toMatch(
    new RegExp(`^${family}: tile (6x16|8x32|12x32), blocks \\d+x\\d+( in bands of \\d+)?, threads from 2\\^\\d+(, W_hh in panels)?(, A\\^T (in place|in panels|packed))?$`),
  )
  expect(report.cases).toHaveLength(1)
  const c = report.cases[0]!
  expect(c.name).toBe('seed-sine-lstm')
  expect(c.recurrentGflopPerStep).toBeCloseTo((3 * 2 * 4 * 32 * 33 * 32 * 20) / 1e9, 12)
  // The floor leaves out the first layer's input gradient (2 x 4 x 32 x 1 x 32 x 20 flops).
  const floorMs = (((3 * 2 * 4 * 32 * 33 - 2 * 4 * 32 * 1) * 32 * 20) / (report.fmaPeak.gflops * 1e9)) * 1000
  expect(c.seqtorchFloorRatio).toBeCloseTo(c.peers[0]!.trainMedianMs / floorMs, 9)
  expect(c.peers.map((p) => p.peer)).toEqual(['seqtorch', 'tfjs-wasm'])
  for (const p of c.peers) {
    expect(p.error, p.error).toBeUndefined()
    expect(p.steps).toBeGreaterThanOrEqual(2)
    expect(p.trainMedianMs).toBeGreaterThan(0)
    expect(p.forwardMedianMs).toBeGreaterThan(0)
    expect(p.peakRssMb).toBeGreaterThan(0)
    expect(p.ratio).toBeGreaterThan(0)
  }
  const t = table(report.cases, report.gemmPeakGflops)
  expect(t.split('\n')).toHaveLength(4)
  expect(t).toContain('| seed-sine-lstm | tfjs-wasm |')
}, 120_000)

test("the arithmetic floor leaves out the first layer's input gradient only where the input is data", () => {
  const byName = new Map(loadCases().map((c) => [c.name, c]))
  const m = byName.get('m-lstm512')!
  expect(recurrentFlops(m) - neededRecurrentFlops(m)).toBe(2 * 4 * 512 * 512 * 64 * 100)
  // The sentiment model's GRU reads an embedding, whose weight needs that gradient.
  const s = byName.get('seed-sentiment-gru')!
  expect(neededRecurrentFlops(s)).toBe(recurrentFlops(s))
})

test('bad options are refused', () => {
  expect(() => parseArgs(['--peers', 'jax'])).toThrow('unknown peer jax')
  expect(() => parseArgs(['--threads', '0'])).toThrow('--threads must be a positive integer')
  expect(() => parseArgs(['--frobnicate'])).toThrow('unknown option --frobnicate')
  expect(() => parseArgs(['--tag', '../x'])).toThrow('--tag takes letters, digits and dashes')
  expect(() => parseArgs(['--tag'])).toThrow('--tag needs a value')
})

test("a tagged run is written beside the day's result, not over it", () => {
  const date = '2026-11-28T17:56:29.000Z'
  expect(resultFileName(date, 'AMD-EPYC-2c', parseArgs([]))).toBe('2026-11-28-AMD-EPYC-2c.json')
  expect(resultFileName(date, 'AMD-EPYC-2c', parseArgs(['--tag', 'plan-zen4']))).toBe('2026-11-28-AMD-EPYC-2c-plan-zen4.json')
  expect(resultFileName(date, 'AMD-EPYC-2c', parseArgs(['--precision', 'medium', '--tag', 'x1']))).toBe('2026-11-28-AMD-EPYC-2c-medium-x1.json')
})

test("a failed peer is reported by its error's own line", () => {
  const stderr = ['/x/tfjs-backend-wasm.js:9', 'var Module = minified source', '   ^', '', "Error: Kernel 'UnsortedSegmentSum' not registered for backend 'wasm'", '    at f (x.js:1:1)', '', 'Node.js v20.20.2'].join('\n')
  expect(failureReason(stderr)).toBe("Error: Kernel 'UnsortedSegmentSum' not registered for backend 'wasm'")
  expect(failureReason('Traceback (most recent call last):\n  File "x.py"\nModuleNotFoundError: No module named torch')).toBe('ModuleNotFoundError: No module named torch')
  expect(failureReason('killed\nexit 9')).toBe('killed | exit 9')
})
