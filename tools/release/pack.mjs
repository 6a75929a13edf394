#!/usr/bin/env node
// Builds what `npm publish` would send: every Linux binary (cross-compiled here with
// cargo-zigbuild, glibc builds linked against glibc 2.17, symbols stripped) copied into its
// npm/<platform>/ package, the TypeScript and the loader, and one tarball per package in
// release/ (the root package gets `optionalDependencies` on every platform package, as napi-rs's
// pre-publish step adds them). macOS and Windows binaries come from the release workflow
// (.github/workflows/release.yml); their packages are packed only when a binary is present.
//
//   node tools/release/pack.mjs                     all Linux targets, tarballs in release/
//   node tools/release/pack.mjs --targets host      only this machine's platform
//   node tools/release/pack.mjs --dry-run           build and check, list contents and sizes, write no tarball
//   node tools/release/pack.mjs --no-build          pack binaries already in npm/<platform>/
//
// Needs cargo-zigbuild and zig on PATH (`pip install ziglang cargo-zigbuild`), the Rust targets
// (`rustup target add aarch64-unknown-linux-gnu x86_64-unknown-linux-musl`) and binutils' readelf.

import { execFileSync } from 'node:child_process'
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

import { binaryProblems, inspectElf } from './elf.mjs'
import { GLIBC, hostPlatform, platforms } from './platforms.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const { values: args } = parseArgs({
  options: {
    targets: { type: 'string', default: 'linux' },
    'dry-run': { type: 'boolean', default: false },
    'no-build': { type: 'boolean', default: false },
    out: { type: 'string', default: join(root, 'release') },
  },
})
const dryRun = args['dry-run']
const build = !args['no-build']
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))

function run(cmd, argv, options = {}) {
  console.error(`$ ${cmd} ${argv.join(' ')}`)
  return execFileSync(cmd, argv, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', ...options })
}

function chosenPlatforms() {
  const all = platforms(root)
  if (args.targets === 'linux') return all.filter((p) => p.builtHere)
  const chosen = args.targets.split(',').map((name) => {
    if (name === 'host') {
      const host = hostPlatform(root)
      if (!host) throw new Error(`no binary is shipped for this machine (${process.platform}-${process.arch})`)
      return host
    }
    const p = all.find((q) => q.platform === name || q.triple === name)
    if (!p) throw new Error(`unknown target ${name}; known: host, linux, ${all.map((q) => q.platform).join(', ')}`)
    return p
  })
  for (const p of chosen) if (!p.builtHere) throw new Error(`${p.platform} is built by the release workflow, not here`)
  return [...new Set(chosen)]
}

function buildBinary(p) {
  const env = {
    ...process.env,
    CARGO_PROFILE_RELEASE_STRIP: 'symbols',
    // A musl cdylib must link the C library dynamically (Node itself does).
    CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_RUSTFLAGS: '-C target-feature=-crt-static',
  }
  run('cargo', ['zigbuild', '--release', '--locked', '-p', 'seqtorch-node', '--target', p.zigTarget], { env, stdio: ['ignore', 'inherit', 'inherit'] })
  copyFileSync(join(root, 'target', p.triple, 'release', 'libseqtorch_node.so'), join(p.dir, p.binaryName))
}

function checkPlatformPackage(p) {
  const meta = JSON.parse(readFileSync(join(p.dir, 'package.json'), 'utf8'))
  const problems = []
  if (meta.name !== p.packageName) problems.push(`name ${meta.name}, expected ${p.packageName}`)
  if (meta.version !== pkg.version) problems.push(`version ${meta.version}, root is ${pkg.version} (run \`npx napi version\`)`)
  if (meta.main !== p.binaryName) problems.push(`main ${meta.main}, expected ${p.binaryName}`)
  if (problems.length) throw new Error(`npm/${p.platform}/package.json: ${problems.join('; ')}`)
}

/** The root package as published: no build scripts, no dev dependencies, the platform packages optional. */
function stageRoot(stage) {
  rmSync(stage, { recursive: true, force: true })
  const files = pkg.files.filter((f) => !f.endsWith('.node'))
  for (const f of [...files, 'README.md', 'LICENSE']) {
    if (!existsSync(join(root, f))) throw new Error(`${f} is missing: run \`npm run build\` first`)
    cpSync(join(root, f), join(stage, f), { recursive: true })
  }
  const published = { ...pkg }
  delete published.devDependencies
  published.scripts = {}
  published.files = files
  published.optionalDependencies = Object.fromEntries(platforms(root).map((p) => [p.packageName, pkg.version]))
  writeFileSync(join(stage, 'package.json'), JSON.stringify(published, null, 2) + '\n')
}

function npmPack(dir) {
  const argv = ['pack', '--json', '--ignore-scripts', '--pack-destination', args.out]
  if (dryRun) argv.push('--dry-run')
  const [result] = JSON.parse(run('npm', argv, { cwd: dir }))
  return result
}

const mib = (n) => `${(n / 2 ** 20).toFixed(2)} MiB`

const chosen = chosenPlatforms()
mkdirSync(args.out, { recursive: true })
if (build) {
  // tsc never deletes outputs of removed sources: start from an empty dist/.
  rmSync(join(root, 'dist'), { recursive: true, force: true })
  run('npm', ['run', 'build'], { stdio: ['ignore', 'inherit', 'inherit'] })
  for (const p of chosen) buildBinary(p)
}

const binaries = []
for (const p of chosen) {
  checkPlatformPackage(p)
  const file = join(p.dir, p.binaryName)
  if (!existsSync(file)) throw new Error(`${relative(root, file)} is missing (run without --no-build)`)
  const info = inspectElf(file)
  const problems = binaryProblems(info, p, GLIBC)
  if (problems.length) throw new Error(`${relative(root, file)}: ${problems.join('; ')}`)
  binaries.push({ platform: p.platform, target: p.triple, file: relative(root, file), ...info, path: undefined })
}

stageRoot(join(args.out, 'stage', 'seqtorch'))
const tarballs = [npmPack(join(args.out, 'stage', 'seqtorch'))]
for (const p of platforms(root)) {
  if (existsSync(join(p.dir, p.binaryName))) tarballs.push(npmPack(p.dir))
  else if (!p.builtHere) console.error(`${p.packageName}: no binary here (built by the release workflow); not packed`)
}
for (const t of tarballs) {
  if (t.name === pkg.name && t.files.some((f) => f.path.endsWith('.node'))) throw new Error('the root tarball must not carry a binary')
}

console.log(dryRun ? '\nWould publish (npm pack --dry-run):' : `\nTarballs in ${relative(root, args.out) || '.'}:`)
for (const t of tarballs) {
  console.log(`\n${t.filename}  packed ${mib(t.size)}, unpacked ${mib(t.unpackedSize)}, ${t.entryCount} files`)
  for (const f of t.files.filter((f) => !f.path.startsWith('dist/') || f.path.split('/').length <= 2)) {
    console.log(`  ${String(f.size).padStart(10)}  ${f.path}`)
  }
  const dist = t.files.filter((f) => f.path.startsWith('dist/') && f.path.split('/').length > 2)
  if (dist.length) console.log(`  ${String(dist.reduce((s, f) => s + f.size, 0)).padStart(10)}  dist/src/** (${dist.length} files)`)
}
console.log('\nBinaries:')
for (const b of binaries) {
  const libc = b.libc === 'glibc' ? `glibc >= ${b.glibcMax}` : b.libc
  console.log(`  ${b.platform.padEnd(16)} ${b.target.padEnd(28)} ${mib(b.bytes).padStart(10)}  ${b.machine}, ${libc}, needs ${b.needed.join(' ')}`)
}
const manifest = { version: pkg.version, dryRun, tarballs: tarballs.map((t) => ({ name: t.name, filename: t.filename, size: t.size })), binaries }
writeFileSync(join(args.out, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n')
