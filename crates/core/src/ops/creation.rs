//! Tensors made from sizes: zeros, ones, full, arange, linspace.

use crate::backend::CpuStorage;
use crate::memory;
use crate::{bail, DType, Result, Tensor};

pub fn full(shape: &[usize], value: f64, dtype: DType) -> Result<Tensor> {
    let storage = match dtype {
        DType::F32 => CpuStorage::F32(memory::filled("full", shape, value as f32)?),
        DType::I64 => {
            // PyTorch refuses values an int64 cannot hold instead of saturating.
            if !value.is_finite() || value < -(2f64.powi(63)) || value >= 2f64.powi(63) {
                bail!(
                    range,
                    "full(): value {value} cannot be converted to type int64 without overflow"
                );
            }
            CpuStorage::I64(memory::filled("full", shape, value as i64)?)
        }
    };
    Ok(Tensor::from_cpu(storage, shape.to_vec()))
}

pub fn zeros(shape: &[usize], dtype: DType) -> Result<Tensor> {
    full(shape, 0.0, dtype)
}

pub fn ones(shape: &[usize], dtype: DType) -> Result<Tensor> {
    full(shape, 1.0, dtype)
}

pub fn ones_like(t: &Tensor) -> Result<Tensor> {
    full(t.shape(), 1.0, t.dtype())
}

pub fn zeros_like(t: &Tensor) -> Result<Tensor> {
    full(t.shape(), 0.0, t.dtype())
}

/// Values from `start` towards `end` (exclusive) by `step`, with PyTorch's checks.
pub fn arange(start: f64, end: f64, step: f64, dtype: DType) -> Result<Tensor> {
    if !(start.is_finite() && end.is_finite() && step.is_finite()) {
        bail!(
            value,
            "arange(): unsupported range: {start} -> {end} with step {step}"
        );
    }
    if step == 0.0 {
        bail!(value, "arange(): step must be nonzero");
    }
    if (end - start) * step < 0.0 {
        bail!(
            value,
            "arange(): upper bound and larger bound inconsistent with step sign"
        );
    }
    let count = ((end - start) / step).ceil().max(0.0);
    if count > crate::shape::MAX_DIM as f64 {
        bail!(
            range,
            "arange(): the range {start} -> {end} with step {step} is too large"
        );
    }
    let n = count as usize;
    let storage = match dtype {
        DType::F32 => {
            let mut v = memory::with_capacity::<f32>("arange", &[n])?;
            v.extend((0..n).map(|i| (start + i as f64 * step) as f32));
            CpuStorage::F32(v)
        }
        DType::I64 => {
            let mut v = memory::with_capacity::<i64>("arange", &[n])?;
            v.extend((0..n).map(|i| (start + i as f64 * step) as i64));
            CpuStorage::I64(v)
        }
    };
    Ok(Tensor::from_cpu(storage, vec![n]))
}

/// `steps` evenly spaced float32 values from `start` to `end` inclusive.
pub fn linspace(start: f64, end: f64, steps: f64) -> Result<Tensor> {
    if !steps.is_finite() || steps < 0.0 || steps.fract() != 0.0 {
        bail!(
            range,
            "linspace(): number of steps must be a non-negative integer, got {steps}"
        );
    }
    if steps > crate::shape::MAX_DIM as f64 {
        bail!(range, "linspace(): number of steps {steps} is too large");
    }
    let n = steps as usize;
    let mut data = memory::with_capacity::<f32>("linspace", &[n])?;
    match n {
        0 => {}
        1 => data.push(start as f32),
        _ => {
            let step = (end - start) / (n - 1) as f64;
            // Fill from both ends like PyTorch, so the last value is exactly `end`.
            data.extend((0..n).map(|i| {
                if i < n / 2 {
                    (start + step * i as f64) as f32
                } else {
                    (end - step * (n - 1 - i) as f64) as f32
                }
            }));
        }
    }
    Tensor::from_f32(data, vec![n])
}
