// Checkpoints in safetensors, the format PyTorch users exchange. Saving is atomic; loading
// validates the file and rejects truncated or hostile ones with a clear error. Loaded tensors
// come back in a null-prototype object, so any name (even `__proto__`) is just a key.

import { native } from '../native.js'
import { Tensor } from '../tensor.js'
import * as v from '../validate.js'

export type TensorDict = Record<string, Tensor>

const SAVE_OPTIONS = { metadata: v.record(v.string()) }

function checkPath(op: string, path: unknown): string {
  if (typeof path !== 'string' || path.length === 0) throw new TypeError(`${op}(): path must be a non-empty string, got ${v.describe(path)}`)
  if (path.includes('\0')) throw new TypeError(`${op}(): path must not contain NUL characters`)
  return path
}

/**
 * Writes `tensors` to `path` (header metadata defaults to `{ format: 'pt' }`, as PyTorch writes).
 * The write is atomic (a temporary file renamed into place), so a crash never leaves half a
 * checkpoint; PyTorch's `safetensors.torch.load_file` reads the result.
 * @example
 * ```ts
 * import { nn, save } from 'seqtorch'
 * const lstm = new nn.LSTM(1, 32)
 * await save(lstm.stateDict(), 'lstm.safetensors', { metadata: { format: 'pt', epochs: '30' } })
 * ```
 */
export async function save(tensors: TensorDict, path: string, options?: { metadata?: Record<string, string> }): Promise<void> {
  if (tensors === null || typeof tensors !== 'object' || Array.isArray(tensors) || tensors instanceof Tensor) {
    throw new TypeError(`save(): expected an object of Tensors, e.g. model.stateDict(), got ${v.describe(tensors)}`)
  }
  checkPath('save', path)
  const o = v.options('save', options, SAVE_OPTIONS)
  const names = Object.keys(tensors)
  const handles = names.map((n) => {
    const t = tensors[n]
    if (n === '__metadata__') throw new RangeError("save(): '__metadata__' is reserved by the safetensors format and cannot name a tensor")
    if (!(t instanceof Tensor)) throw new TypeError(`save(): '${n}' is not a Tensor, got ${v.describe(t)}`)
    if (t.disposed) throw new Error(`save(): '${n}' was disposed`)
    return t._h
  })
  const metadata = o.metadata ?? { format: 'pt' }
  const keys = Object.keys(metadata)
  await native.saveSafetensors(names, handles, path, keys, keys.map((k) => metadata[k] as string))
}

/**
 * Reads a safetensors file into tensors by name (float16/bfloat16/float64 become float32; integers int64).
 * Files written by PyTorch's `safetensors.torch.save_file` load here; the result is a
 * null-prototype object, ready for `loadStateDict`.
 * @example
 * ```ts
 * import { load, nn } from 'seqtorch'
 * const lstm = new nn.LSTM(1, 32)
 * lstm.loadStateDict(await load('lstm.safetensors'))
 * ```
 */
export async function load(path: string): Promise<TensorDict> {
  checkPath('load', path)
  const ck = await native.loadSafetensors(path)
  const out: TensorDict = Object.create(null) as TensorDict
  ck.names.forEach((n, i) => (out[n] = new Tensor(ck.tensors[i]!)))
  return out
}

/**
 * The header's string metadata.
 * @example
 * ```ts
 * import { loadMetadata } from 'seqtorch'
 * console.log(await loadMetadata('lstm.safetensors')) // { format: 'pt', epochs: '30' }
 * ```
 */
export async function loadMetadata(path: string): Promise<Record<string, string>> {
  checkPath('loadMetadata', path)
  const ck = await native.loadSafetensors(path)
  const out = Object.create(null) as Record<string, string>
  ck.metadataKeys.forEach((k, i) => (out[k] = ck.metadataValues[i] as string))
  return out
}
