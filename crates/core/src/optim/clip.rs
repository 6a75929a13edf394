//! Gradient clipping across a set of parameters, in place.

use crate::storage::Storage;
use crate::{bail, Result, Tensor};

/// Scales all gradients so their joint `norm_type` norm is at most `max_norm`; returns the
/// norm before clipping (PyTorch's `clip_grad_norm_`).
pub fn clip_grad_norm(
    params: &[Tensor],
    max_norm: f64,
    norm_type: f64,
    error_if_nonfinite: bool,
) -> Result<f64> {
    let grads: Vec<Tensor> = params.iter().filter_map(|p| p.grad()).collect();
    if grads.is_empty() {
        return Ok(0.0);
    }
    let mut total = 0.0f64;
    for g in &grads {
        let s = g.storage();
        let Storage::F32(v) = &*s else {
            bail!(type, "clip_grad_norm_: gradients must be float32")
        };
        if norm_type.is_infinite() {
            total = v.iter().fold(total, |m, &x| m.max(x.abs() as f64));
        } else {
            total += v
                .iter()
                .map(|&x| (x.abs() as f64).powf(norm_type))
                .sum::<f64>();
        }
    }
    let norm = if norm_type.is_infinite() {
        total
    } else {
        total.powf(1.0 / norm_type)
    };
    if error_if_nonfinite && !norm.is_finite() {
        bail!(
            value,
            "The total norm of order {norm_type} for gradients from `parameters` is non-finite, so it cannot be clipped. To disable this error and scale the gradients by the non-finite norm anyway, set `error_if_nonfinite=False`"
        );
    }
    let coef = max_norm / (norm + 1e-6);
    if coef < 1.0 {
        for g in &grads {
            if let Storage::F32(v) = &mut *g.storage_mut() {
                v.iter_mut().for_each(|x| *x = (*x as f64 * coef) as f32);
            }
        }
    }
    Ok(norm)
}

/// Clamps every gradient element to [-clip_value, clip_value].
pub fn clip_grad_value(params: &[Tensor], clip_value: f32) -> Result<()> {
    for p in params {
        if let Some(g) = p.grad() {
            if let Storage::F32(v) = &mut *g.storage_mut() {
                v.iter_mut()
                    .for_each(|x| *x = x.clamp(-clip_value, clip_value));
            }
        }
    }
    Ok(())
}
