//! Fused layer primitives: linear maps, embedding lookups, dropout.

use napi::bindgen_prelude::*;
use napi_derive::napi;
use seqtorch_core::nn;

use crate::convert::int;
use crate::error::guard;
use crate::tensor::NativeTensor;

#[napi]
pub fn linear(
    env: Env,
    input: &NativeTensor,
    weight: &NativeTensor,
    bias: Option<&NativeTensor>,
) -> Result<NativeTensor> {
    let t = guard(&env, || {
        nn::linear(
            &input.get()?,
            &weight.get()?,
            bias.map(|b| b.get()).transpose()?.as_ref(),
        )
    })?;
    NativeTensor::wrap(&env, t)
}

#[napi]
pub fn embedding(
    env: Env,
    weight: &NativeTensor,
    indices: &NativeTensor,
    padding_idx: Option<f64>,
) -> Result<NativeTensor> {
    let t = guard(&env, || {
        let pad = padding_idx
            .map(|p| int("embedding", "padding_idx", p))
            .transpose()?;
        nn::embedding(&weight.get()?, &indices.get()?, pad.map(|p| p as usize))
    })?;
    NativeTensor::wrap(&env, t)
}

#[napi]
pub fn dropout(env: Env, input: &NativeTensor, p: f64, training: bool) -> Result<NativeTensor> {
    let t = guard(&env, || nn::dropout(&input.get()?, p, training))?;
    NativeTensor::wrap(&env, t)
}

#[napi]
pub fn orthogonal(env: Env, rows: f64, cols: f64, gain: f64) -> Result<NativeTensor> {
    let t = guard(&env, || {
        let r = int("orthogonal_", "rows", rows)?;
        let c = int("orthogonal_", "cols", cols)?;
        if r <= 0 || c <= 0 {
            seqtorch_core::bail!(
                value,
                "Only tensors with 2 or more dimensions are supported"
            );
        }
        nn::init::orthogonal(r as usize, c as usize, gain)
    })?;
    NativeTensor::wrap(&env, t)
}
