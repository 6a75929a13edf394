// Devices: where tensors live. `cpu` always; `cuda:N` when seqtorch's CUDA backend is compiled
// in, finds the driver, its libraries and a GPU, and GPU tensors are switched on
// (`SEQTORCH_EXPERIMENTAL_CUDA=1` until the backend has been validated on a GPU).

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

/** A GPU as `cuda`'s memory functions take it: a device string, or its index as in
 * `torch.cuda.memory_allocated(0)`; the first GPU when omitted. */
function gpu(op: string, device: Device | number | undefined): string {
  if (device === undefined) return 'cuda:0'
  if (typeof device === 'number') {
    if (!Number.isInteger(device) || device < 0) throw new RangeError(`cuda.${op}(): a GPU index must be a non-negative integer, got ${device}`)
    return `cuda:${device}`
  }
  if (typeof device !== 'string') throw new TypeError(`cuda.${op}(): device must be a string such as 'cuda:0' or a GPU index, got ${v.describe(device)}`)
  if (device === 'cpu' || device.startsWith('cpu:')) throw new Error(`cuda.${op}(): expects a CUDA device such as 'cuda:0', got '${device}'`)
  return device
}

/** What `cuda.memoryStats()` reports, in bytes. */
export interface CudaMemoryStats {
  /** Held by tensors now (`torch.cuda.memory_allocated`). */
  allocated: number
  /** The most held by tensors since the process started or `resetPeakMemoryStats()`. */
  peakAllocated: number
  /** Held from the driver: tensors' memory plus freed memory kept for reuse
   * (`torch.cuda.memory_reserved`). */
  reserved: number
  /** The most held from the driver since the process started or `resetPeakMemoryStats()`. */
  peakReserved: number
}

/** The CUDA backend's state, like `torch.cuda`. `status`, `isAvailable` and `deviceCount` never
 * throw; the memory functions and `synchronize` throw a device error (`code:
 * 'SEQTORCH_DEVICE'`) for a GPU this process cannot use. */
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
  /**
   * The GPU's memory use in bytes. GPU memory comes from the driver's stream-ordered pool,
   * which keeps freed memory for reuse as PyTorch's caching allocator does; these figures are
   * the pool's, read after the GPU has finished its queued work.
   * @example
   * ```ts
   * cuda.resetPeakMemoryStats()
   * trainOneEpoch()
   * console.log(`peak ${(cuda.memoryStats().peakAllocated / 2 ** 20).toFixed(0)} MiB`)
   * ```
   */
  memoryStats(device?: Device | number): CudaMemoryStats {
    return native.cudaMemoryStats(gpu('memoryStats', device))
  },
  /** Bytes held by tensors on the GPU now (`torch.cuda.memory_allocated`). */
  memoryAllocated(device?: Device | number): number {
    return native.cudaMemoryStats(gpu('memoryAllocated', device)).allocated
  },
  /** The most bytes held by tensors since the start or the last `resetPeakMemoryStats()`. */
  maxMemoryAllocated(device?: Device | number): number {
    return native.cudaMemoryStats(gpu('maxMemoryAllocated', device)).peakAllocated
  },
  /** Bytes held from the driver: tensors' plus freed memory kept for reuse. */
  memoryReserved(device?: Device | number): number {
    return native.cudaMemoryStats(gpu('memoryReserved', device)).reserved
  },
  /** The most bytes held from the driver since the start or the last `resetPeakMemoryStats()`. */
  maxMemoryReserved(device?: Device | number): number {
    return native.cudaMemoryStats(gpu('maxMemoryReserved', device)).peakReserved
  },
  /** Starts the peak figures again from the current use. */
  resetPeakMemoryStats(device?: Device | number): void {
    native.cudaResetPeakMemoryStats(gpu('resetPeakMemoryStats', device))
  },
  /** Returns the freed memory kept for reuse to the driver (for other processes); tensors'
   * memory stays (`torch.cuda.empty_cache`). */
  emptyCache(device?: Device | number): void {
    native.cudaEmptyCache(gpu('emptyCache', device))
  },
  /** Waits until the GPU has run everything queued on it (`torch.cuda.synchronize`): GPU work
   * runs asynchronously, so time GPU code between two calls of this (reading a value such as
   * `loss.item()` waits too). */
  synchronize(device?: Device | number): void {
    native.cudaSynchronize(gpu('synchronize', device))
  },
} as const
