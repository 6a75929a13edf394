// Devices: where tensors live. `cpu` always; `cuda:N` when seqtorch's CUDA backend is compiled
// in and finds a GPU. The addon carries the CUDA backend's foundation (libraries loaded at run
// time, kernels compiled by NVRTC) but no CUDA storage yet, so `cuda.isAvailable()` is false.

import { native } from './native.js'
import * as v from './validate.js'

/** A device string as PyTorch writes it: `'cpu'`, `'cuda'` (the first GPU) or `'cuda:N'`. */
export type Device = 'cpu' | 'cuda' | `cuda:${number}`

/** Validates a device string and returns its canonical form (`'cuda'` -> `'cuda:0'`); throws
 * an Error with `code: 'SEQTORCH_DEVICE'` when the device does not exist in this process. */
export function checkDevice(op: string, device: unknown): string {
  if (typeof device !== 'string') throw new TypeError(`${op}(): device must be a string such as 'cpu' or 'cuda:0', got ${v.describe(device)}`)
  return native.checkDevice(device)
}

/** Whether `value` names a device rather than a dtype. */
export function isDeviceString(value: unknown): value is string {
  return typeof value === 'string' && (value === 'cpu' || value === 'cuda' || value.startsWith('cuda:') || value.startsWith('cpu:'))
}

/**
 * Every device tensors can be made on in this process, `'cpu'` first.
 * @example
 * ```ts
 * import { availableDevices } from 'seqtorch'
 * console.log(availableDevices()) // ['cpu'], or ['cpu', 'cuda:0', ...] with usable GPUs
 * ```
 */
export function availableDevices(): string[] {
  return native.availableDevices()
}

/** What `cuda.status()` reports. */
export interface CudaStatus {
  /** Whether this addon was built with the CUDA backend. */
  compiled: boolean
  /** Each CUDA library the backend loads, and whether this process found it. */
  libraries: { name: string; found: boolean }[]
  /** Files loaded from the directories in `SEQTORCH_CUDA_PATH`. */
  preloaded: string[]
  /** GPUs the NVIDIA driver reports, or null when it could not be asked. */
  driverDevices: number | null
  /** Why no CUDA device can be used, or null once one can. */
  reason: string | null
}

/** The CUDA backend's state, like `torch.cuda`. None of these throws. */
export const cuda = {
  /** What this process found of CUDA and why it cannot use it (a diagnostic). */
  status(): CudaStatus {
    const s = native.cudaStatus()
    return { ...s, driverDevices: s.driverDevices ?? null, reason: s.reason ?? null }
  },
  /** Whether a CUDA GPU can be used. */
  isAvailable(): boolean {
    return native.cudaIsAvailable()
  },
  /** How many CUDA GPUs can be used (0 when none). */
  deviceCount(): number {
    return native.cudaDeviceCount()
  },
} as const
