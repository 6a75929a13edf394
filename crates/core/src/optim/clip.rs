//! Gradient clipping across a set of parameters, in place.

use crate::{bail, Result, Tensor};

/// Scales all gradients so their joint `norm_type` norm is at most `max_norm`; returns the
/// norm before clipping (PyTorch's `clip_grad_norm_`).
pub fn clip_grad_norm(
    params: &[Tensor],
    max_norm: f64,
    norm_type: f64,
    error_if_nonfinite: bool,
) -> Result<f64> {
    if norm_type.is_nan() {
        bail!(
            value,
            "clip_grad_norm_: norm_type must be a number, got NaN"
        );
    }
    let grads: Vec<Tensor> = params.iter().filter_map(|p| p.grad()).collect();
    if grads.is_empty() {
        return Ok(0.0);
    }
    if norm_type.is_finite() && norm_type > 0.0 && grads.iter().all(|g| !g.device().is_cpu()) {
        return clip_on_device(&grads, max_norm, norm_type, error_if_nonfinite);
    }
    let mut per_grad = Vec::with_capacity(grads.len());
    let mut total = 0.0f64;
    for g in &grads {
        let host = g.host()?;
        let Ok(v) = host.f32("gradient") else {
            bail!(type, "clip_grad_norm_: gradients must be float32")
        };
        if norm_type == 0.0 || norm_type == f64::NEG_INFINITY {
            // PyTorch takes each gradient's norm, then the same norm over those norms; for
            // these two orders that differs from one norm over all elements.
            per_grad.push(if norm_type == 0.0 {
                v.iter().filter(|&&x| x != 0.0).count() as f64
            } else {
                v.iter().fold(f64::INFINITY, |m, &x| m.min(x.abs() as f64))
            });
        } else if norm_type == f64::INFINITY {
            total = v.iter().fold(total, |m, &x| m.max(x.abs() as f64));
        } else {
            total += v
                .iter()
                .map(|&x| (x.abs() as f64).powf(norm_type))
                .sum::<f64>();
        }
    }
    let norm = if norm_type == 0.0 {
        per_grad.iter().filter(|&&n| n != 0.0).count() as f64
    } else if norm_type == f64::NEG_INFINITY {
        per_grad.iter().fold(f64::INFINITY, |m, &n| m.min(n))
    } else if norm_type == f64::INFINITY {
        total
    } else {
        total.powf(1.0 / norm_type)
    };
    let Some(coef) = clip_coefficient(norm, max_norm, norm_type, error_if_nonfinite)? else {
        return Ok(norm);
    };
    for g in &grads {
        g.with_f32_mut("clip_grad_norm_", |v| {
            v.iter_mut().for_each(|x| *x = (*x as f64 * coef) as f32)
        })?;
    }
    Ok(norm)
}

/// The factor that scales the gradients, or None when they are within `max_norm`; PyTorch's
/// error for a non-finite norm when asked.
fn clip_coefficient(
    norm: f64,
    max_norm: f64,
    norm_type: f64,
    error_if_nonfinite: bool,
) -> Result<Option<f64>> {
    if error_if_nonfinite && !norm.is_finite() {
        bail!(
            value,
            "The total norm of order {norm_type} for gradients from `parameters` is non-finite, so it cannot be clipped. To disable this error and scale the gradients by the non-finite norm anyway, set `error_if_nonfinite=False`"
        );
    }
    let coef = max_norm / (norm + 1e-6);
    // Not `coef < 1.0`: a NaN norm scales by NaN, as PyTorch does without error_if_nonfinite.
    Ok((coef < 1.0 || coef.is_nan()).then_some(coef))
}

/// `clip_grad_norm` for gradients on a GPU, in tensor ops: the sum of |g|^p per gradient stays
/// on the device (float32 sums, where the CPU path sums in double), one number comes back (the
/// norm the caller gets), and the gradients are scaled in place on the device.
fn clip_on_device(
    grads: &[Tensor],
    max_norm: f64,
    norm_type: f64,
    error_if_nonfinite: bool,
) -> Result<f64> {
    let _no_grad = crate::autograd::NoGradGuard::new();
    let mut total: Option<Tensor> = None;
    for g in grads {
        if g.dtype() != crate::DType::F32 {
            bail!(type, "clip_grad_norm_: gradients must be float32");
        }
        let powered = if norm_type == 2.0 {
            g.mul(g)?
        } else if norm_type == 1.0 {
            g.abs()?
        } else {
            g.abs()?.pow(norm_type as f32)?
        };
        let part = powered.sum(None, false)?;
        total = Some(match total {
            Some(t) => t.add(&part)?,
            None => part,
        });
    }
    let Some(total) = total else {
        return Ok(0.0);
    };
    let norm = total.item()?.powf(1.0 / norm_type);
    if let Some(coef) = clip_coefficient(norm, max_norm, norm_type, error_if_nonfinite)? {
        for g in grads {
            g.copy_from(&g.mul_scalar(coef)?)?;
        }
    }
    Ok(norm)
}

/// Clamps every gradient element to [-clip_value, clip_value].
pub fn clip_grad_value(params: &[Tensor], clip_value: f32) -> Result<()> {
    if clip_value < 0.0 || clip_value.is_nan() {
        bail!(
            value,
            "clip_grad_value_: clip_value must be a non-negative number, got {clip_value}"
        );
    }
    let _no_grad = crate::autograd::NoGradGuard::new();
    let bound = clip_value as f64;
    for p in params {
        if let Some(g) = p.grad() {
            if g.dtype() != crate::DType::F32 {
                bail!(type, "clip_grad_value_: gradients must be float32");
            }
            // On the gradient's own device (a GPU's gradients never visit the host).
            g.copy_from(&g.clamp(Some(-bound), Some(bound))?)?;
        }
    }
    Ok(())
}
