// Run by install_test.mjs inside a freshly installed project: import seqtorch as an ES module
// and train a small LSTM for a few steps; prints one JSON line.
import { createRequire } from 'node:module'
import { cuda, manualSeed, nn, optim, tensor } from 'seqtorch'

manualSeed(0)
const xs = Array.from({ length: 64 }, (_, i) => Array.from({ length: 12 }, (_, t) => [Math.sin((i + t) / 4)]))
const ys = xs.map((w, i) => [Math.sin((i + 12) / 4)])
const x = tensor(xs)
const y = tensor(ys)
const lstm = new nn.LSTM(1, 16, { batchFirst: true })
const head = new nn.Linear(16, 1)
const opt = new optim.Adam([...lstm.parameters(), ...head.parameters()], { lr: 0.02 })
const lossFn = new nn.MSELoss()
const losses = []
for (let step = 0; step < 60; step++) {
  opt.zeroGrad()
  const [out] = lstm.forward(x)
  const loss = lossFn.forward(head.forward(out.select(1, -1)), y)
  loss.backward()
  opt.step()
  losses.push(loss.item())
}
if (!(losses.at(-1) < losses[0] / 4)) throw new Error(`loss did not fall: ${losses[0]} -> ${losses.at(-1)}`)
const require = createRequire(import.meta.url)
// The platform package's binary itself: a panic inside it must unwind into a thrown error.
const platformPackage = Object.keys(require('seqtorch/package.json').optionalDependencies).find((name) => {
  try {
    require.resolve(name)
    return name.includes(process.arch)
  } catch {
    return false
  }
})
let panicCaught = false
try {
  require(platformPackage).debugPanic()
} catch (error) {
  panicCaught = error.code === 'SEQTORCH_INTERNAL' && error.message.includes('deliberate panic')
}
if (!panicCaught) throw new Error(`a panic in ${platformPackage} was not turned into SEQTORCH_INTERNAL`)
console.log(
  JSON.stringify({
    arch: process.arch,
    seqtorch: require('seqtorch/package.json').version,
    firstLoss: Number(losses[0].toFixed(5)),
    lastLoss: Number(losses.at(-1).toFixed(5)),
    cudaAvailable: cuda.isAvailable(),
    binary: platformPackage,
    panicCaught,
  }),
)
