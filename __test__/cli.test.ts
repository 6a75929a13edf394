import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { describe, expect, test } from 'vitest'

import { cuda } from '../index.js'
import { runCli, vega } from './helpers/cli.js'

const tmp = () => mkdtempSync(join(tmpdir(), 'seqtorch-cli-'))

interface Metrics {
  test: { rmse: number; mae: number }
  naive: { rmse: number; mae: number }
  history: { epoch: number; loss: number; valLoss?: number }[]
}

describe('seqtorch forecast', () => {
  test('the built-in noisy sine wave: beats the last-value forecast and writes a reloadable run', () => {
    const out = join(tmp(), 'run')
    const r = runCli(['forecast', '--out', out, '--epochs', '30'])
    expect(r.status, r.stderr).toBe(0)
    expect(r.stderr).toContain('epoch 1/30')
    expect(r.stdout).toMatch(/test +RMSE [0-9.]+ +MAE [0-9.]+/)
    expect(readdirSync(out).sort()).toEqual(['config.json', 'forecast.html', 'metrics.json', 'model.safetensors'])
    const m = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as Metrics
    expect(Object.keys(m)).toEqual(['test', 'naive', 'history'])
    expect(m.history).toHaveLength(30)
    expect(m.test.rmse).toBeLessThan(m.naive.rmse)
    expect(m.test.rmse ** 2).toBeLessThan(0.02)
    const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as { model: { type: string; window: number }; scaler: { type: string } }
    expect(cfg.model).toMatchObject({ type: 'lstm', window: 20 })
    expect(cfg.scaler.type).toBe('MinMaxScaler')
    const html = readFileSync(join(out, 'forecast.html'), 'utf8')
    expect(html).toContain('Plotly.newPlot')
    expect(html).not.toMatch(/<script[^>]+src=/)
  })

  test('a real series (monthly CO2, vega-datasets): beats the last-value forecast; predict continues it', () => {
    const out = join(tmp(), 'co2')
    const csv = vega('co2-concentration.csv')
    const r = runCli(['forecast', '--csv', csv, '--column', 'CO2', '--date-column', 'Date', '--window', '24', '--out', out])
    expect(r.status, r.stderr).toBe(0)
    const m = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as Metrics
    expect(m.test.rmse).toBeLessThan(m.naive.rmse)
    expect(m.test.mae).toBeLessThan(m.naive.mae)
    const p = runCli(['predict', '--model', out, '--csv', csv, '--column', 'CO2', '--steps', '6', '--json'])
    expect(p.status, p.stderr).toBe(0)
    const values = JSON.parse(p.stdout) as number[]
    expect(values).toHaveLength(6)
    // The last observation is about 410 ppm; the next months stay near it.
    for (const v of values) expect(Math.abs(v - 410)).toBeLessThan(8)
  })

  test('multi-step horizon, GRU, daily Seattle temperatures', () => {
    const r = runCli(['forecast', '--csv', vega('seattle-weather.csv'), '--column', 'temp_max', '--model', 'gru', '--horizon', '3', '--epochs', '8'])
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toContain('Linear(32, 3)')
  })

  test('bad input: one clear line, exit status 1, nothing half-written', () => {
    const dir = tmp()
    const out = join(dir, 'never')
    const csv = vega('seattle-weather.csv')
    const cases: [string[], string][] = [
      [['forecast', '--csv', join(dir, 'missing.csv'), '--column', 'x', '--out', out], "cannot read '"],
      [['forecast', '--csv', csv, '--column', 'nope', '--out', out], "column 'nope' not found"],
      [['forecast', '--csv', csv, '--column', 'weather', '--out', out], "'drizzle' in column 'weather' is not a number"],
      [['forecast', '--window', '2000', '--out', out], 'need at least'],
      [['forecast', '--window', 'abc'], '--window must be a positive integer'],
      [['forecast', '--epochs', '0'], '--epochs must be a positive integer'],
      [['forecast', '--lr', 'fast'], '--lr must be a positive number'],
      [['forecast', '--model', 'transformer'], 'Allowed choices are lstm, gru, rnn'],
      [['forecast', '--csv', csv], '--csv needs --column'],
      [['predict', '--model', dir, '--csv', csv, '--column', 'temp_max'], "cannot read the model's config.json"],
      [['forecast', '--bogus'], "unknown option '--bogus'"],
      [['forecast', '--device', 'tpu', '--out', out], "--device must be cpu, cuda, cuda:N or auto, got 'tpu'"],
      ...(cuda.isAvailable() ? [] : [[['forecast', '--device', 'cuda', '--out', out], '--device cuda: '] as [string[], string]]),
    ]
    for (const [args, message] of cases) {
      const r = runCli(args)
      expect(r.status, args.join(' ')).toBe(1)
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1)
      expect(r.stderr).toContain(message)
      expect(r.stderr.startsWith('seqtorch: ')).toBe(true)
    }
    expect(existsSync(out)).toBe(false)
    expect(readdirSync(dir)).toEqual([])
  })
})
