// The platforms seqtorch ships a binary for. package.json's `napi.targets` is the list; this adds
// what the release tooling needs to know about each: the npm package suffix (napi-rs's naming),
// whether it is built on this Linux machine (with cargo-zigbuild, linked against an old glibc),
// and what its ELF file must look like.

import { readFileSync } from 'node:fs'
import { join } from 'node:path'

/** glibc the gnu builds are linked against: Rust's own minimum, so CentOS 7 / RHEL 7 and later load them. */
export const GLIBC = '2.17'

const KNOWN = {
  'x86_64-unknown-linux-gnu': { platform: 'linux-x64-gnu', os: 'linux', cpu: 'x64', libc: 'glibc', elfMachine: 62 },
  'x86_64-unknown-linux-musl': { platform: 'linux-x64-musl', os: 'linux', cpu: 'x64', libc: 'musl', elfMachine: 62 },
  'aarch64-unknown-linux-gnu': { platform: 'linux-arm64-gnu', os: 'linux', cpu: 'arm64', libc: 'glibc', elfMachine: 183 },
  'x86_64-apple-darwin': { platform: 'darwin-x64', os: 'darwin', cpu: 'x64' },
  'aarch64-apple-darwin': { platform: 'darwin-arm64', os: 'darwin', cpu: 'arm64' },
  'x86_64-pc-windows-msvc': { platform: 'win32-x64-msvc', os: 'win32', cpu: 'x64' },
}

/** Every target of package.json, with its release facts; `builtHere` for the Linux ones. */
export function platforms(root) {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
  return pkg.napi.targets.map((triple) => {
    const known = KNOWN[triple]
    if (!known) throw new Error(`tools/release/platforms.mjs knows nothing about napi target ${triple}: add it`)
    const builtHere = known.os === 'linux'
    return {
      triple,
      ...known,
      builtHere,
      // cargo-zigbuild reads a glibc version suffix on the triple.
      zigTarget: known.libc === 'glibc' ? `${triple}.${GLIBC}` : triple,
      packageName: `${pkg.napi.binaryName}-${known.platform}`,
      binaryName: `${pkg.napi.binaryName}.${known.platform}.node`,
      dir: join(root, 'npm', known.platform),
    }
  })
}

/** The platform this process runs on, as napi-rs names it (null where none is shipped). */
export function hostPlatform(root) {
  const libc = process.platform === 'linux' ? (process.report.getReport().header.glibcVersionRuntime ? 'glibc' : 'musl') : undefined
  return (
    platforms(root).find((p) => p.os === process.platform && p.cpu === process.arch && (p.libc === undefined || p.libc === libc)) ?? null
  )
}
