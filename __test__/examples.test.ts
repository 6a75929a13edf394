// Every example runs as a script and prints what the notebook prints.

import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { fileURLToPath, pathToFileURL } from 'node:url'

import { expect, test } from 'vitest'

const dir = fileURLToPath(new URL('../examples/', import.meta.url))
// tsx's loader by absolute URL, since the scripts run from a scratch folder.
const tsx = pathToFileURL(fileURLToPath(new URL('../node_modules/tsx/dist/loader.mjs', import.meta.url))).href
const expected: Record<string, string> = {
  'q01_rnn_shapes.ts': 'h_n shape: [2, 16, 100]',
  'q02_hidden_state.ts': 'outputs[:, -1, :] == h_n.squeeze(0): true',
  'q03_sequence_data.ts': "students' heights and weights",
  'q04_lstm_gates.ts': 'c_t = f_t * c_(t-1) + i_t * g_t',
  'q05_parameter_counts.ts': 'ratio: GRU/LSTM = 75.00%',
  'q06_bidirectional.ts': 'outputs shape: [8, 15, 128]',
  'q07_windows.ts': 'input: [100 102 105 103 108] -> target: 110',
  'q08_embedding.ts': 'parameters: 64,000',
  'q09_sine_lstm.ts': 'Epoch 30/30',
  'q10_sentiment_gru.ts': "'awful boring film'\n  -> negative",
}

test('every example script runs and prints its result', () => {
  const scripts = readdirSync(dir).filter((f) => /^q\d\d_.*\.ts$/.test(f))
  expect(scripts.sort()).toEqual(Object.keys(expected).sort())
  const cwd = mkdtempSync(`${tmpdir()}/seqtorch-examples-`)
  for (const s of scripts) {
    const r = spawnSync(process.execPath, ['--import', tsx, `${dir}${s}`], { cwd, encoding: 'utf8', timeout: 120_000 })
    expect(r.status, `${s}: ${r.stderr}`).toBe(0)
    expect(r.stdout, s).toContain(expected[s])
  }
  expect(readdirSync(cwd)).toEqual(['q09_forecast.html'])
}, 300_000)
