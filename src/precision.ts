// The precision of float32 matrix products, PyTorch's torch.set_float32_matmul_precision.

import { native } from './native.js'
import * as v from './validate.js'

/** `'highest'`: float32 products; `'high'`: TF32 allowed on GPUs; `'medium'`: also bfloat16 operands on CPUs where that is faster ({@link cpuBf16Supported}). */
export type MatmulPrecision = 'highest' | 'high' | 'medium'

const PRECISIONS: readonly MatmulPrecision[] = ['highest', 'high', 'medium']

/**
 * Like `torch.set_float32_matmul_precision`: how float32 matrix products may be computed.
 * `'highest'` (the default) multiplies in float32. `'high'` lets a GPU use TF32. `'medium'`
 * also lets the CPU round the operands of the recurrent step products and of large GEMMs to
 * bfloat16 and sum in float32, where that is faster (see {@link cpuBf16Supported}): with
 * AVX512-BF16 on AMD Zen 4 about 1.6-1.9x the float32 kernel's speed on those products; on AMX
 * tiles on Intel Xeons (Linux) 2-6x (`SEQTORCH_AMX=0` in the environment turns the tiles off).
 * Weights, gradients and optimizer state stay float32; results move by bfloat16 rounding
 * (about 3 significant digits per operand). Process-wide, like PyTorch's.
 * @example
 * ```ts
 * import { getFloat32MatmulPrecision, setFloat32MatmulPrecision } from 'seqtorch'
 * setFloat32MatmulPrecision('medium')
 * console.log(getFloat32MatmulPrecision()) // 'medium'
 * setFloat32MatmulPrecision('highest')
 * ```
 */
export function setFloat32MatmulPrecision(precision: MatmulPrecision): void {
  if (typeof precision !== 'string' || !PRECISIONS.includes(precision)) {
    throw new TypeError(`setFloat32MatmulPrecision(): expected 'highest', 'high' or 'medium', got ${v.describe(precision)}`)
  }
  native.setFloat32MatmulPrecision(precision)
}

/**
 * The current float32 matmul precision (`torch.get_float32_matmul_precision`).
 * @example
 * ```ts
 * import { getFloat32MatmulPrecision } from 'seqtorch'
 * console.log(getFloat32MatmulPrecision()) // 'highest'
 * ```
 */
export function getFloat32MatmulPrecision(): MatmulPrecision {
  return native.getFloat32MatmulPrecision() as MatmulPrecision
}

/**
 * Whether `'medium'` precision runs CPU products on bfloat16 operands here, where that is
 * faster than float32: AVX512-BF16 on AMD (Zen 4 and later), AMX tiles on Intel (Sapphire Rapids
 * and later, under Linux; `SEQTORCH_AMX=0` turns them off). Elsewhere, Intel processors with
 * AVX512-BF16 alone included (it was slower than float32 there), `'medium'` computes in
 * float32.
 * @example
 * ```ts
 * import { cpuBf16Supported } from 'seqtorch'
 * console.log(typeof cpuBf16Supported()) // 'boolean'
 * ```
 */
export function cpuBf16Supported(): boolean {
  return native.cpuBf16Supported()
}
