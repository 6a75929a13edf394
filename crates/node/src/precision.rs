//! The float32 matmul precision (`torch.set_float32_matmul_precision`).

use napi::bindgen_prelude::*;
use napi_derive::napi;
use seqtorch_core::precision::{self, MatmulPrecision};

use crate::error::guard;

#[napi]
pub fn set_float32_matmul_precision(env: Env, precision: String) -> Result<()> {
    guard(&env, || {
        precision::set_float32_matmul_precision(MatmulPrecision::parse(&precision)?);
        Ok(())
    })
}

#[napi]
pub fn get_float32_matmul_precision() -> &'static str {
    precision::float32_matmul_precision().name()
}

/// Whether `medium` runs CPU products on bf16 operands here (AVX512-BF16 on AMD, AMX tiles on
/// Intel).
#[napi]
pub fn cpu_bf16_supported() -> bool {
    precision::cpu_bf16_products()
}
