//! Functions that make tensors: from JavaScript data, from sizes, random, and by joining.

use napi::bindgen_prelude::*;
use napi_derive::napi;
use seqtorch_core::ops::{creation, random};
use seqtorch_core::{bail, DType, Tensor};

use crate::convert::{dtype, int, sizes};
use crate::error::guard;
use crate::tensor::NativeTensor;

fn made(env: &Env, f: impl FnOnce() -> seqtorch_core::Result<Tensor>) -> Result<NativeTensor> {
    let t = guard(env, f)?;
    NativeTensor::wrap(env, t)
}

#[napi]
pub fn tensor_from_float32(env: Env, data: &[f32], shape: Vec<f64>) -> Result<NativeTensor> {
    made(&env, || {
        Tensor::from_f32(data.to_vec(), sizes("tensor", &shape)?)
    })
}

/// int64 data arrives as doubles; each must be a whole number in the safe-integer range.
#[napi]
pub fn tensor_from_int64(env: Env, data: &[f64], shape: Vec<f64>) -> Result<NativeTensor> {
    made(&env, || {
        let mut v = Vec::with_capacity(data.len());
        for &x in data {
            if !x.is_finite() || x.fract() != 0.0 || x.abs() > 9_007_199_254_740_991.0 {
                bail!(
                    type,
                    "tensor(): int64 values must be safe integers, got {x}"
                );
            }
            v.push(x as i64);
        }
        Tensor::from_i64(v, sizes("tensor", &shape)?)
    })
}

/// int64 data from a BigInt64Array: every value exactly.
#[napi]
pub fn tensor_from_big_int64(
    env: Env,
    data: BigInt64Array,
    shape: Vec<f64>,
) -> Result<NativeTensor> {
    made(&env, || {
        Tensor::from_i64(data.to_vec(), sizes("tensor", &shape)?)
    })
}

#[napi]
pub fn full(
    env: Env,
    shape: Vec<f64>,
    value: f64,
    dtype_name: Option<String>,
) -> Result<NativeTensor> {
    made(&env, || {
        let dt = dtype(dtype_name)?;
        if dt == DType::I64 && value.is_finite() && value.fract() != 0.0 {
            bail!(
                type,
                "full(): value {value} is not an integer, but dtype is int64"
            );
        }
        creation::full(&sizes("full", &shape)?, value, dt)
    })
}

#[napi]
pub fn arange(
    env: Env,
    start: f64,
    end: f64,
    step: f64,
    dtype_name: Option<String>,
) -> Result<NativeTensor> {
    made(&env, || {
        creation::arange(start, end, step, dtype(dtype_name)?)
    })
}

#[napi]
pub fn linspace(env: Env, start: f64, end: f64, steps: f64) -> Result<NativeTensor> {
    made(&env, || creation::linspace(start, end, steps))
}

#[napi]
pub fn rand(env: Env, shape: Vec<f64>) -> Result<NativeTensor> {
    made(&env, || random::rand(&sizes("rand", &shape)?))
}

#[napi]
pub fn randn(env: Env, shape: Vec<f64>) -> Result<NativeTensor> {
    made(&env, || random::randn(&sizes("randn", &shape)?))
}

#[napi]
pub fn randint(env: Env, low: f64, high: f64, shape: Vec<f64>) -> Result<NativeTensor> {
    made(&env, || {
        random::randint(
            int("randint", "low", low)?,
            int("randint", "high", high)?,
            &sizes("randint", &shape)?,
        )
    })
}

/// The per-allocation memory ceiling in bytes (see `seqtorch_core::memory`).
#[napi]
pub fn get_memory_limit() -> f64 {
    seqtorch_core::memory::memory_limit() as f64
}

/// Sets the per-allocation memory ceiling in bytes; 0 restores the default.
#[napi]
pub fn set_memory_limit(env: Env, bytes: f64) -> Result<()> {
    guard(&env, || {
        let n = int("setMemoryLimit", "bytes", bytes)?;
        if n < 0 {
            bail!(
                range,
                "setMemoryLimit(): bytes must be non-negative, got {n}"
            );
        }
        seqtorch_core::memory::set_memory_limit(n as usize);
        Ok(())
    })
}

#[napi]
pub fn manual_seed(env: Env, seed: f64) -> Result<()> {
    guard(&env, || {
        random::manual_seed(int("manualSeed", "seed", seed)? as u64);
        Ok(())
    })
}

#[napi]
pub fn cat(env: Env, tensors: Vec<&NativeTensor>, dim: f64) -> Result<NativeTensor> {
    made(&env, || {
        let ts = tensors
            .iter()
            .map(|t| t.get())
            .collect::<seqtorch_core::Result<Vec<_>>>()?;
        Tensor::cat(&ts, int("cat", "dim", dim)?)
    })
}

#[napi]
pub fn stack(env: Env, tensors: Vec<&NativeTensor>, dim: f64) -> Result<NativeTensor> {
    made(&env, || {
        let ts = tensors
            .iter()
            .map(|t| t.get())
            .collect::<seqtorch_core::Result<Vec<_>>>()?;
        Tensor::stack(&ts, int("stack", "dim", dim)?)
    })
}
