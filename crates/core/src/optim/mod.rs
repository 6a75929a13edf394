//! Optimizer updates, applied in place to every parameter of a group in one call. Each
//! algorithm follows PyTorch's single-tensor implementation step for step, so a run repeats
//! PyTorch's parameter trajectory to float32 rounding.

mod adam;
mod clip;
mod rmsprop;
mod sgd;
mod state;

pub use adam::{adam_step, AdamConfig};
pub use clip::{clip_grad_norm, clip_grad_value};
pub use rmsprop::{rmsprop_step, RmsPropConfig};
pub use sgd::{sgd_step, SgdConfig};
pub use state::ParamState;

use crate::storage::Storage;
use crate::{bail, Result, Tensor};

/// Runs `update(param, grad, state)` for each parameter that has a gradient.
pub(crate) fn for_each_param(
    op: &str,
    params: &[Tensor],
    states: &mut [ParamState],
    mut update: impl FnMut(&mut [f32], &[f32], &mut ParamState),
) -> Result<()> {
    if params.len() != states.len() {
        bail!(
            value,
            "{op}: {} parameters but {} states",
            params.len(),
            states.len()
        );
    }
    // Check everything first, so a bad state leaves every parameter untouched.
    for (i, (p, s)) in params.iter().zip(states.iter()).enumerate() {
        for (name, buf) in &s.buffers {
            if buf.len() != p.numel() {
                bail!(
                    value,
                    "{op}: state '{name}' of parameter {i} has {} values, but the parameter has {}",
                    buf.len(),
                    p.numel()
                );
            }
        }
        if !(s.step.is_finite() && s.step >= 0.0) {
            bail!(
                value,
                "{op}: step of parameter {i} must be a non-negative number, got {}",
                s.step
            );
        }
    }
    for (p, s) in params.iter().zip(states.iter_mut()) {
        let Some(g) = p.grad() else { continue };
        if p.same_storage(&g) {
            bail!(
                value,
                "{op}: a parameter shares storage with its own gradient"
            );
        }
        let grad = g.storage();
        let mut data = p.storage_mut();
        match (&mut *data, &*grad) {
            (Storage::F32(d), Storage::F32(gv)) if d.len() == gv.len() => update(d, gv, s),
            _ => bail!(
                type,
                "{op}: parameters and gradients must be float32 of equal size"
            ),
        }
    }
    Ok(())
}
