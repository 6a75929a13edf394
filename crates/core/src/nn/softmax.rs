//! Softmax and log-softmax along one dimension, in tensor ops: the same code on every device,
//! with autograd from the ops it is made of.
//!
//! Each slice along `dim` is shifted by its maximum first, so large inputs do not overflow
//! (the shift cancels in the result and in the gradient, so it is taken without history).
//! A slice whose maximum is infinite gives NaN, as in PyTorch.

use crate::{bail, DType, Result, Tensor};

/// `x - max(x)` along `dim`, for float32 `x`; `op` names the caller in errors.
fn shifted(op: &str, x: &Tensor, dim: i64) -> Result<Tensor> {
    if x.dtype() != DType::F32 {
        bail!(
            type,
            "{op}(): expected a float32 tensor, got {} (convert it with .float())",
            x.dtype()
        );
    }
    if x.numel() == 0 {
        // No slice to shift (and a maximum over none is refused).
        crate::shape::wrap_dim(dim, x.ndim())?;
        return x.mul_scalar(1.0);
    }
    let (max, _) = x.detach().max_dim(dim, true)?;
    x.sub(&max)
}

/// `exp(x) / sum(exp(x))` along `dim` (`torch.softmax`).
pub fn softmax(x: &Tensor, dim: i64) -> Result<Tensor> {
    let e = shifted("softmax", x, dim)?.exp()?;
    e.div(&e.sum(Some(&[dim]), true)?)
}

/// `x - log(sum(exp(x)))` along `dim` (`torch.log_softmax`), without forming the softmax
/// (exact where the softmax would underflow to 0).
pub fn log_softmax(x: &Tensor, dim: i64) -> Result<Tensor> {
    let s = shifted("log_softmax", x, dim)?;
    s.sub(&s.exp()?.sum(Some(&[dim]), true)?.log()?)
}
