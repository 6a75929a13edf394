// The precision of float32 matrix products, PyTorch's torch.set_float32_matmul_precision.

import { native } from './native.js'
import * as v from './validate.js'

/** `'highest'`: float32 products; `'high'`: TF32 allowed on GPUs; `'medium'`: also bfloat16 operands on CPUs with AVX512-BF16. */
export type MatmulPrecision = 'highest' | 'high' | 'medium'

const PRECISIONS: readonly MatmulPrecision[] = ['highest', 'high', 'medium']

/**
 * Like `torch.set_float32_matmul_precision`: how float32 matrix products may be computed.
 * `'highest'` (the default) multiplies in float32. `'high'` lets a GPU use TF32. `'medium'`
 * also lets the CPU round the operands of the recurrent step products and of large GEMMs to
 * bfloat16 and sum in float32, where the processor has AVX512-BF16 (see
 * {@link cpuBf16Supported}): about 1.6-1.9x the float32 kernel's speed on those products on
 * AMD Zen 4; on Intel Xeons with AMX (Linux) they run on AMX tiles, 3-10x the float32 kernel's
 * speed (`SEQTORCH_AMX=0` in the environment turns the tiles off).
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
 * Whether this processor multiplies bfloat16 pairs in hardware (AVX512-BF16: AMD Zen 4 and
 * later, Intel Cooper Lake and Sapphire Rapids and later), so that `'medium'` precision speeds
 * up CPU products; elsewhere `'medium'` computes in float32.
 * @example
 * ```ts
 * import { cpuBf16Supported } from 'seqtorch'
 * console.log(typeof cpuBf16Supported()) // 'boolean'
 * ```
 */
export function cpuBf16Supported(): boolean {
  return native.cpuBf16Supported()
}
