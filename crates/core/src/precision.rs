//! The precision of float32 matrix products, PyTorch's `torch.set_float32_matmul_precision`:
//! `Highest` (the default) multiplies in float32 everywhere; `High` lets a GPU use TF32;
//! `Medium` also lets the CPU round the operands of large products to bfloat16 and sum in
//! float32, where that is faster: AVX512-BF16 on AMD (about twice the multiply-adds per cycle;
//! see `kernels::gemm_bf16`), AMX tiles on Intel (`kernels::amx`). Weights, gradients and optimizer state stay float32 in every mode;
//! only the products' inputs are rounded. Elsewhere `Medium` behaves as `High`.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::OnceLock;

use crate::{bail, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatmulPrecision {
    Highest = 0,
    High = 1,
    Medium = 2,
}

impl MatmulPrecision {
    pub fn parse(s: &str) -> Result<MatmulPrecision> {
        match s {
            "highest" => Ok(MatmulPrecision::Highest),
            "high" => Ok(MatmulPrecision::High),
            "medium" => Ok(MatmulPrecision::Medium),
            other => bail!(
                value,
                "setFloat32MatmulPrecision(): expected 'highest', 'high' or 'medium', got '{other}'"
            ),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            MatmulPrecision::Highest => "highest",
            MatmulPrecision::High => "high",
            MatmulPrecision::Medium => "medium",
        }
    }
}

static PRECISION: AtomicU8 = AtomicU8::new(MatmulPrecision::Highest as u8);

/// Sets the precision for every later product (TF32 on GPUs follows: off only at `Highest`).
pub fn set_float32_matmul_precision(p: MatmulPrecision) {
    PRECISION.store(p as u8, Ordering::Relaxed);
    crate::backend::cuda::set_allow_tf32(p != MatmulPrecision::Highest);
}

pub fn float32_matmul_precision() -> MatmulPrecision {
    match PRECISION.load(Ordering::Relaxed) {
        0 => MatmulPrecision::Highest,
        1 => MatmulPrecision::High,
        _ => MatmulPrecision::Medium,
    }
}

/// Whether CPU products run on bf16 operands now: `Medium` where `cpu_bf16_products`.
pub fn cpu_bf16() -> bool {
    float32_matmul_precision() == MatmulPrecision::Medium && cpu_bf16_products()
}

/// Whether `Medium` runs CPU products on bf16 operands on this processor: it has AVX512-BF16
/// and, on Intel, AMX tiles are usable (`kernels::amx`). On a Sapphire Rapids-class Xeon
/// `vdpbf16ps` alone ran slower than the float32 kernel (a training step 1.6-2.1x slower than
/// at `Highest`; bench/NOTES.md), so an Intel processor without usable tiles keeps float32
/// products at `Medium`: the setting allows bf16, it never asks for a slower product.
pub fn cpu_bf16_products() -> bool {
    static PRODUCTS: OnceLock<bool> = OnceLock::new();
    *PRODUCTS.get_or_init(|| {
        let intel = crate::cpu_info::describe().vendor == "GenuineIntel";
        crate::kernels::gemm_bf16::has_bf16_kernel() && (!intel || crate::kernels::amx::available())
    })
}
