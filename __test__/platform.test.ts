// The platform packages and the error for a machine without a usable addon.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

import { describe, expect, it } from 'vitest'

import { hostPlatform, missingAddonMessage, platformOfTriple } from '../src/platform.js'

const root = join(import.meta.dirname, '..')
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  version: string
  napi: { binaryName: string; targets: string[] }
}
const supported = pkg.napi.targets.map(platformOfTriple)

describe('platform names', () => {
  it("follow napi-rs's naming for every shipped target", () => {
    expect(supported).toEqual(['linux-x64-gnu', 'linux-x64-musl', 'linux-arm64-gnu', 'darwin-x64', 'darwin-arm64', 'win32-x64-msvc'])
  })

  it('name this machine as one of them', () => {
    expect(supported).toContain(hostPlatform())
  })

  it('match a committed npm/<platform> package with os, cpu, libc and the root version', () => {
    for (const platform of supported) {
      const file = join(root, 'npm', platform, 'package.json')
      expect(existsSync(file), file).toBe(true)
      const meta = JSON.parse(readFileSync(file, 'utf8')) as { name: string; version: string; os: string[]; cpu: string[]; libc?: string[]; main: string }
      const [os, cpu, abi] = platform.split('-')
      expect(meta.name).toBe(`${pkg.napi.binaryName}-${platform}`)
      expect(meta.version).toBe(pkg.version)
      expect(meta.os).toEqual([os])
      expect(meta.cpu).toEqual([cpu])
      expect(meta.libc).toEqual(abi === 'gnu' ? ['glibc'] : abi === 'musl' ? ['musl'] : undefined)
      expect(meta.main).toBe(`${pkg.napi.binaryName}.${platform}.node`)
    }
  })
})

describe('the error when no addon loads', () => {
  it('names an unsupported platform, the prebuilt list and how to build from source', () => {
    const message = missingAddonMessage('freebsd-x64', supported, 'seqtorch', new Error('Cannot find native binding.'))
    expect(message).toContain('no prebuilt native addon for this platform (freebsd-x64')
    expect(message).toContain(`Prebuilt platforms: ${supported.join(', ')}`)
    expect(message).toContain('install Rust (stable) and run `npm install && npm run build`')
  })

  it('says a missing optional package is not installed, without the loader noise', () => {
    const attempts = [new Error("Cannot find module './seqtorch.linux-x64-gnu.node'\nRequire stack:\n- x"), new Error("Cannot find module 'seqtorch-linux-x64-gnu'")]
    const cause = Object.assign(new Error('Cannot find native binding. npm has a bug related to optional dependencies'), { cause: attempts })
    const message = missingAddonMessage('linux-x64-gnu', supported, 'seqtorch', cause)
    expect(message).toContain('the package seqtorch-linux-x64-gnu, which holds the native addon for linux-x64-gnu, is not installed')
    expect(message).toContain('--omit=optional')
    expect(message).not.toContain('npm has a bug')
    expect(message).not.toContain('Require stack')
  })

  it('passes on why an installed addon failed to load (an old glibc, say)', () => {
    const glibc = new Error('/lib/x86_64-linux-gnu/libc.so.6: version `GLIBC_2.17\' not found (required by seqtorch.linux-x64-gnu.node)')
    const cause = Object.assign(new Error('Cannot find native binding.'), { cause: [glibc] })
    const message = missingAddonMessage('linux-x64-gnu', supported, 'seqtorch', cause)
    expect(message).toContain("failed to load: /lib/x86_64-linux-gnu/libc.so.6: version `GLIBC_2.17' not found")
    expect(message).toContain('glibc 2.17 or newer')
  })
})
