//! Sliding windows and shuffling orders for the data pipeline.

use napi::bindgen_prelude::*;
use napi_derive::napi;
use seqtorch_core::data;

use crate::convert::int;
use crate::error::guard;
use crate::tensor::NativeTensor;

fn positive(op: &str, what: &str, v: f64) -> seqtorch_core::Result<usize> {
    let n = int(op, what, v)?;
    if n <= 0 {
        seqtorch_core::bail!(range, "{op}(): {what} must be a positive integer, got {n}");
    }
    Ok(n as usize)
}

/// `[X, y]` windows over a (T) or (T, F) series.
#[napi]
pub fn create_sequences(
    env: Env,
    series: &NativeTensor,
    seq_length: f64,
    horizon: f64,
    stride: f64,
) -> Result<Vec<NativeTensor>> {
    let (x, y) = guard(&env, || {
        data::create_sequences(
            &series.get()?,
            positive("createSequences", "seqLength", seq_length)?,
            positive("createSequences", "horizon", horizon)?,
            positive("createSequences", "stride", stride)?,
        )
    })?;
    Ok(vec![
        NativeTensor::wrap(&env, x)?,
        NativeTensor::wrap(&env, y)?,
    ])
}

/// A permutation of 0..n: from the global generator, or a stream of its own for `seed`. In
/// memory V8 owns, like the tensors' typed arrays (`NativeTensor::to_float32_array`).
#[napi(ts_return_type = "Uint32Array")]
pub fn randperm<'env>(env: &'env Env, n: f64, seed: Option<f64>) -> Result<Unknown<'env>> {
    let perm = guard(env, || {
        let n = int("randperm", "n", n)?;
        if !(0..=u32::MAX as i64).contains(&n) {
            seqtorch_core::bail!(range, "randperm(): n must be between 0 and 2^32-1, got {n}");
        }
        let seed = seed.map(|s| int("randperm", "seed", s)).transpose()?;
        data::randperm(n as usize, seed.map(|s| s as u64))
    })?;
    Ok(Uint32ArraySlice::copy_from(env, perm)?.to_unknown())
}
