import { buildRunner } from './model.js'
import { loadCases } from './cases.js'
const c = loadCases().find((k) => k.name === process.argv[2])!
const r = buildRunner(c)
const mode = process.argv[3] ?? 'forward'
for (let i = 0; i < 2; i++) mode === 'forward' ? r.forward() : r.trainStep()
const t = performance.now(); const n = Number(process.argv[4] ?? 10)
for (let i = 0; i < n; i++) mode === 'forward' ? r.forward() : r.trainStep()
console.log(mode, ((performance.now() - t) / n).toFixed(2), 'ms')
