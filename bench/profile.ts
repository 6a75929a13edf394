// Runs one benchmark case's training step in a loop, for profilers (perf record, callgrind).
//   npx tsx bench/profile.ts small-lstm128 50

import { buildRunner } from './model.js'
import { loadCases } from './run.js'

const [name = 'seed-sine-lstm', steps = '50', what = 'train'] = process.argv.slice(2)
const c = loadCases().find((k) => k.name === name)
if (!c) throw new Error(`no case ${name}`)
const runner = buildRunner(c)
const t = performance.now()
for (let i = 0; i < Number(steps); i++) {
  if (what === 'forward') runner.forward()
  else runner.trainStep()
}
console.log(`${name} ${what}: ${((performance.now() - t) / Number(steps)).toFixed(2)} ms/step`)
