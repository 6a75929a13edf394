// Checkpoints in safetensors, the format PyTorch users exchange. Saving is atomic; loading
// validates the file and rejects truncated or hostile ones with a clear error.

import { native } from '../native.js'
import { Tensor } from '../tensor.js'

export type TensorDict = Record<string, Tensor>

/** Writes `tensors` to `path` (header metadata defaults to `{ format: 'pt' }`, as PyTorch writes). */
export async function save(tensors: TensorDict, path: string, options: { metadata?: Record<string, string> } = {}): Promise<void> {
  if (tensors === null || typeof tensors !== 'object') throw new TypeError('save(): expected an object of Tensors, e.g. model.stateDict()')
  if (typeof path !== 'string' || path.length === 0) throw new TypeError('save(): path must be a non-empty string')
  const names = Object.keys(tensors)
  const handles = names.map((n) => {
    const t = tensors[n]
    if (!(t instanceof Tensor)) throw new TypeError(`save(): '${n}' is not a Tensor`)
    return t._h
  })
  await native.saveSafetensors(names, handles, path, options.metadata ?? { format: 'pt' })
}

/** Reads a safetensors file into tensors by name (float16/bfloat16/float64 become float32; integers int64). */
export async function load(path: string): Promise<TensorDict> {
  if (typeof path !== 'string' || path.length === 0) throw new TypeError('load(): path must be a non-empty string')
  const ck = await native.loadSafetensors(path)
  const out: TensorDict = {}
  ck.names.forEach((n, i) => (out[n] = new Tensor(ck.tensors[i]!)))
  return out
}

/** The header's string metadata. */
export async function loadMetadata(path: string): Promise<Record<string, string>> {
  return (await native.loadSafetensors(path)).metadata
}
