// Which prebuilt addon a machine needs, in napi-rs's names (`linux-x64-gnu`, `darwin-arm64`, ...),
// and the error for a machine that has none, naming what to do instead of napi-rs's generic
// "npm has a bug related to optional dependencies".

const ARCH: Record<string, string> = { x86_64: 'x64', aarch64: 'arm64', i686: 'ia32', armv7: 'arm' }
const OS: Record<string, string> = { linux: 'linux', darwin: 'darwin', windows: 'win32' }

/**
 * napi-rs's platform name of a Rust target triple: `x86_64-unknown-linux-gnu` is
 * `linux-x64-gnu`, `aarch64-apple-darwin` is `darwin-arm64`.
 * @internal
 */
export function platformOfTriple(triple: string): string {
  const parts = triple.split('-')
  const arch = ARCH[parts[0] ?? ''] ?? parts[0]
  const os = parts.find((p) => p in OS)
  const abi = parts[parts.indexOf(os ?? '') + 1]
  const name = `${os ? OS[os] : triple}-${arch}`
  return os === 'darwin' || abi === undefined ? name : `${name}-${abi}`
}

/** @internal This process's platform in the same naming (`linux-x64-musl` on Alpine). */
export function hostPlatform(): string {
  const base = `${process.platform}-${process.arch}`
  if (process.platform === 'linux') {
    const header = (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header
    return `${base}-${header?.glibcVersionRuntime ? 'gnu' : 'musl'}`
  }
  return process.platform === 'win32' ? `${base}-msvc` : base
}

/** The first line of each error in a cause chain (napi-rs's loader puts its attempts there). */
function causeLines(error: unknown): string[] {
  const lines: string[] = []
  const walk = (e: unknown, depth: number): void => {
    if (depth > 8) return
    if (Array.isArray(e)) e.forEach((x) => walk(x, depth + 1))
    else if (e instanceof Error) {
      lines.push(e.message.split('\n')[0]!)
      walk(e.cause, depth + 1)
    }
  }
  walk(error, 0)
  return lines
}

/**
 * The message for an addon that did not load: names this platform, the prebuilt ones, and the
 * way forward (reinstall with optional dependencies, or build from source).
 * @internal
 */
export function missingAddonMessage(host: string, supported: readonly string[], binaryName: string, cause: unknown): string {
  const list = supported.join(', ')
  if (!supported.includes(host)) {
    return (
      `seqtorch: no prebuilt native addon for this platform (${host}, Node ${process.version}). ` +
      `Prebuilt platforms: ${list}. To build from source, install Rust (stable) and run ` +
      '`npm install && npm run build` in a clone of seqtorch, then install that folder ' +
      '(`npm install /path/to/seqtorch`).'
    )
  }
  const pkg = `${binaryName}-${host}`
  // Drop the loader's summary and its attempts at files and WebAssembly builds we never ship.
  const reasons = causeLines(cause).filter((m) => !/Cannot find native binding|wasi|Cannot find module '\.\//.test(m))
  const notInstalled = reasons.every((m) => m.startsWith('Cannot find module'))
  const what = notInstalled
    ? `the package ${pkg}, which holds the native addon for ${host}, is not installed`
    : `the native addon for ${host} (package ${pkg}) failed to load: ${reasons.join('; ')}`
  return (
    `seqtorch: ${what}. npm installs it as an optional dependency of seqtorch, so it is missing ` +
    'after `--omit=optional` or with a package-lock.json written on another platform: run ' +
    '`npm install` again without `--omit=optional` (delete package-lock.json and node_modules ' +
    `first if it persists). Prebuilt platforms: ${list}; the Linux gnu binaries need glibc 2.17 or newer.`
  )
}
