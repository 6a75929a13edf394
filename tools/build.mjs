#!/usr/bin/env node
// `npm install`'s prepare step in a clone: builds the native addon and dist/ only when a source
// is newer than what was built. npm runs prepare again whenever the clone is installed as a
// package, which `npx seqtorch ...` does in a clone (it links the folder into npx's cache), so
// without this check the README's first command sat through a silent rebuild.
// `npm run build` always rebuilds.

import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))

/** Newest modification time under `paths` (files, or folders walked without target/ and node_modules/). */
function newest(paths) {
  let latest = 0
  const walk = (path) => {
    if (!existsSync(path)) return
    const st = statSync(path)
    if (st.isDirectory()) {
      for (const entry of readdirSync(path)) if (entry !== 'target' && entry !== 'node_modules') walk(join(path, entry))
    } else latest = Math.max(latest, st.mtimeMs)
  }
  paths.forEach((p) => walk(join(root, p)))
  return latest
}

/** Oldest modification time of `paths`, or -1 when one is missing. */
function oldest(paths) {
  let earliest = Infinity
  for (const p of paths) {
    const file = join(root, p)
    if (!existsSync(file)) return -1
    earliest = Math.min(earliest, statSync(file).mtimeMs)
  }
  return earliest
}

function npmRun(script) {
  execFileSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', script], { cwd: root, stdio: 'inherit' })
}

const addons = existsSync(join(root, 'native')) ? readdirSync(join(root, 'native')).filter((f) => f.endsWith('.node')) : []

const steps = [
  { script: 'build:native', inputs: ['crates', 'Cargo.toml', 'Cargo.lock', 'package.json'], outputs: [...(addons.length ? addons.map((f) => `native/${f}`) : ['native/missing.node']), 'native/index.cjs', 'native/index.d.cts'] },
  { script: 'build:ts', inputs: ['index.ts', 'src', 'tsconfig.json', 'tsconfig.build.json', 'native/index.d.cts'], outputs: ['dist/index.js', 'dist/index.d.ts'] },
]
for (const step of steps) {
  const built = oldest(step.outputs)
  if (built > newest(step.inputs)) console.log(`seqtorch: ${step.script} is up to date (npm run build rebuilds everything)`)
  else npmRun(step.script)
}
