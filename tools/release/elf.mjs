// What a built addon needs from the machine that loads it: architecture, C library, the newest
// glibc symbol version, and whether symbols were stripped. Reads the ELF header itself and asks
// binutils' readelf (present wherever Rust links on Linux) for the dynamic section and versions.

import { execFileSync } from 'node:child_process'
import { openSync, readSync, closeSync, statSync } from 'node:fs'

const MACHINES = { 62: 'x86_64', 183: 'aarch64' }

function readelf(flags, path) {
  return execFileSync('readelf', [...flags, '-W', path], { encoding: 'utf8' })
}

function compareVersions(a, b) {
  const pa = a.split('.').map(Number)
  const pb = b.split('.').map(Number)
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0)
    if (d !== 0) return d
  }
  return 0
}

export function inspectElf(path) {
  const header = Buffer.alloc(20)
  const fd = openSync(path, 'r')
  try {
    readSync(fd, header, 0, 20, 0)
  } finally {
    closeSync(fd)
  }
  if (header.readUInt32BE(0) !== 0x7f454c46) throw new Error(`${path} is not an ELF file`)
  const machine = MACHINES[header.readUInt16LE(18)] ?? `e_machine ${header.readUInt16LE(18)}`
  const needed = [...readelf(['-d'], path).matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1])
  const glibcVersions = [...readelf(['-V'], path).matchAll(/Name: GLIBC_([0-9.]+)/g)].map((m) => m[1])
  const glibcMax = glibcVersions.sort(compareVersions).at(-1) ?? null
  const stripped = !/\s\.symtab\s/.test(readelf(['-S'], path))
  const libc = needed.includes('libc.so.6') ? 'glibc' : needed.includes('libc.so') ? 'musl' : 'unknown'
  return { path, bytes: statSync(path).size, machine, libc, glibcMax, needed, stripped }
}

/** Problems with a binary for `platform` (see platforms.mjs); empty when it is what we ship. */
export function binaryProblems(info, platform, glibcCeiling) {
  const problems = []
  const wantMachine = MACHINES[platform.elfMachine]
  if (info.machine !== wantMachine) problems.push(`architecture ${info.machine}, expected ${wantMachine}`)
  if (info.libc !== platform.libc) problems.push(`C library ${info.libc} (needs ${info.needed.join(', ')}), expected ${platform.libc}`)
  if (platform.libc === 'glibc' && (info.glibcMax === null || compareVersions(info.glibcMax, glibcCeiling) > 0)) {
    problems.push(`needs GLIBC_${info.glibcMax}, more than the promised ${glibcCeiling}`)
  }
  if (platform.libc === 'musl' && info.glibcMax !== null) problems.push(`a musl build that asks for GLIBC_${info.glibcMax}`)
  if (!info.stripped) problems.push('not stripped')
  return problems
}
