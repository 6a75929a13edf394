import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

import { chromium } from 'playwright-core'
import { expect, test } from 'vitest'

import { runCli } from './helpers/cli.js'

// Debian's chromium; .ci/run installs it when missing.
const executablePath = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium'

test('forecast.html draws its charts in headless Chromium, with no network', async () => {
  expect(existsSync(executablePath), `${executablePath} is missing: apt-get install chromium`).toBe(true)
  const out = join(mkdtempSync(join(tmpdir(), 'seqtorch-html-')), 'run')
  const r = runCli(['forecast', '--epochs', '5', '--out', out])
  expect(r.status, r.stderr).toBe(0)

  const browser = await chromium.launch({
    executablePath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
  try {
    const page = await browser.newPage()
    const requests: string[] = []
    page.on('request', (req) => {
      if (!req.url().startsWith('file:')) requests.push(req.url())
    })
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(e.message))
    await page.goto(pathToFileURL(join(out, 'forecast.html')).href)
    await page.waitForSelector('#forecast .scatterlayer .trace', { timeout: 30_000 })
    const traces = await page.evaluate(() => ({
      forecast: document.querySelectorAll('#forecast .scatterlayer .trace').length,
      loss: document.querySelectorAll('#loss .scatterlayer .trace').length,
      legend: [...document.querySelectorAll('#forecast .legendtext')].map((n) => n.textContent),
      points: (document.querySelector('#forecast .scatterlayer .trace path.js-line')?.getAttribute('d') ?? '').length,
    }))
    expect(errors).toEqual([])
    expect(requests).toEqual([])
    expect(traces.forecast).toBe(2)
    expect(traces.loss).toBe(2)
    expect(traces.legend).toEqual(['actual', 'forecast (test)'])
    expect(traces.points).toBeGreaterThan(1000)
  } finally {
    await browser.close()
  }
}, 90_000)
