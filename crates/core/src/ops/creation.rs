//! Tensors made from sizes: zeros, ones, full, arange, linspace.

use crate::storage::Storage;
use crate::{bail, DType, Result, Tensor};

pub fn full(shape: &[usize], value: f64, dtype: DType) -> Result<Tensor> {
    let n = crate::shape::checked_numel("full", shape)?;
    let storage = match dtype {
        DType::F32 => Storage::F32(vec![value as f32; n]),
        DType::I64 => {
            if !value.is_finite() {
                bail!(
                    value,
                    "full(): value {value} cannot be converted to int64 without overflow"
                );
            }
            Storage::I64(vec![value as i64; n])
        }
    };
    Ok(Tensor::from_storage(storage, shape.to_vec()))
}

pub fn zeros(shape: &[usize], dtype: DType) -> Result<Tensor> {
    full(shape, 0.0, dtype)
}

pub fn ones(shape: &[usize], dtype: DType) -> Result<Tensor> {
    full(shape, 1.0, dtype)
}

pub fn ones_like(t: &Tensor) -> Tensor {
    Tensor::from_storage(
        match t.dtype() {
            DType::F32 => Storage::F32(vec![1.0; t.numel()]),
            DType::I64 => Storage::I64(vec![1; t.numel()]),
        },
        t.shape().to_vec(),
    )
}

pub fn zeros_like(t: &Tensor) -> Tensor {
    Tensor::from_storage(Storage::zeros(t.dtype(), t.numel()), t.shape().to_vec())
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
    if count > (1u64 << 34) as f64 {
        bail!(
            range,
            "arange(): the range {start} -> {end} with step {step} is too large"
        );
    }
    let n = count as usize;
    let storage = match dtype {
        DType::F32 => Storage::F32((0..n).map(|i| (start + i as f64 * step) as f32).collect()),
        DType::I64 => Storage::I64((0..n).map(|i| (start + i as f64 * step) as i64).collect()),
    };
    Ok(Tensor::from_storage(storage, vec![n]))
}

/// `steps` evenly spaced float32 values from `start` to `end` inclusive.
pub fn linspace(start: f64, end: f64, steps: f64) -> Result<Tensor> {
    if !steps.is_finite() || steps < 0.0 || steps.fract() != 0.0 {
        bail!(
            range,
            "linspace(): number of steps must be a non-negative integer, got {steps}"
        );
    }
    let n = steps as usize;
    crate::shape::checked_numel("linspace", &[n])?;
    let data: Vec<f32> = match n {
        0 => vec![],
        1 => vec![start as f32],
        _ => {
            let step = (end - start) / (n - 1) as f64;
            // Fill from both ends like PyTorch, so the last value is exactly `end`.
            (0..n)
                .map(|i| {
                    if i < n / 2 {
                        (start + step * i as f64) as f32
                    } else {
                        (end - step * (n - 1 - i) as f64) as f32
                    }
                })
                .collect()
        }
    };
    Tensor::from_f32(data, vec![n])
}
