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

use crate::backend::fused::{self, FusedOp};
use crate::backend::CpuStorage;
use crate::device::same_device;
use crate::storage::Storage;
use crate::{bail, Device, Result, Tensor};
use state::HostState;

/// Moves a state buffer's host vector out of its tensor (leaving it empty until `put_back`).
fn take_buffer(t: &Tensor) -> Vec<f32> {
    match t.storage_mut().as_cpu_mut() {
        Some(CpuStorage::F32(v)) => std::mem::take(v),
        _ => unreachable!("checked: float32 state on the cpu"),
    }
}

fn put_back(t: &Tensor, v: Vec<f32>) {
    if let Some(CpuStorage::F32(slot)) = t.storage_mut().as_cpu_mut() {
        *slot = v;
    }
}

/// One parameter's in-place update, a fused op: the CPU body moves the state tensors' buffers
/// into the update loop and back; the CUDA body runs the same loop on host copies for now.
struct ParamUpdate<'a, F> {
    op: &'static str,
    param: &'a Tensor,
    grad: &'a Tensor,
    state: &'a mut ParamState,
    update: &'a mut F,
}

impl<F: FnMut(&mut [f32], &[f32], &mut HostState)> FusedOp for ParamUpdate<'_, F> {
    type Output = ();

    fn name(&self) -> &'static str {
        self.op
    }

    fn operands(&self) -> Vec<&Tensor> {
        let mut v = vec![self.param, self.grad];
        v.extend(self.state.buffers.values());
        v
    }

    fn cpu(self) -> Result<()> {
        let (p, g, s) = (self.param, self.grad, self.state);
        // State buffers of our own making are contiguous and private; a loaded or shared one
        // is replaced by a private copy first.
        for buf in s.buffers.values_mut() {
            let shared = std::sync::Arc::strong_count(&buf.0.storage) > 1;
            if !buf.is_contiguous()
                || buf.layout().offset() != 0
                || shared
                || buf.storage().len() != buf.numel()
            {
                *buf = buf.deep_copy()?;
            }
        }
        let mut host = HostState {
            step: s.step,
            buffers: s
                .buffers
                .iter()
                .map(|(k, t)| (k.clone(), take_buffer(t)))
                .collect(),
        };
        {
            let grad = g.host()?;
            let gv = grad.f32("gradient")?;
            let range = p.layout().contiguous_range().expect("checked contiguous");
            let mut data = p.storage_mut();
            let Some(CpuStorage::F32(d)) = data.as_cpu_mut() else {
                unreachable!("checked float32 on the cpu")
            };
            (self.update)(&mut d[range], gv, &mut host);
        }
        s.step = host.step;
        for (name, v) in host.buffers {
            match s.buffers.get(&name) {
                Some(t) => put_back(t, v),
                None => {
                    let shape = p.shape().to_vec();
                    let t = Tensor::from_storage(Storage::Cpu(CpuStorage::F32(v)), shape);
                    s.buffers.insert(name, t);
                }
            }
        }
        Ok(())
    }

    /// Until the CUDA update kernels exist: the parameter, its gradient and its state come to
    /// the host, the CPU update runs on them (the same arithmetic, so the same trajectory), and
    /// the results are written back into the device tensors in place. Slow (transfers and a
    /// synchronisation per parameter) but exact.
    fn cuda(self, ordinal: usize) -> Result<()> {
        let device = Device::Cuda(ordinal);
        let (p, g, s) = (self.param, self.grad, self.state);
        let to_host =
            |t: &Tensor, what: &str| -> Result<Vec<f32>> { Ok(t.host()?.f32(what)?.to_vec()) };
        let mut param = to_host(p, "parameter")?;
        let grad = to_host(g, "gradient")?;
        let mut host = HostState {
            step: s.step,
            buffers: s
                .buffers
                .iter()
                .map(|(k, t)| Ok((k.clone(), to_host(t, "optimizer state")?)))
                .collect::<Result<_>>()?,
        };
        (self.update)(&mut param, &grad, &mut host);
        let write_back = |t: &Tensor, v: Vec<f32>| -> Result<()> {
            let shape = t.shape().to_vec();
            let src = Storage::upload(device, CpuStorage::F32(v))?;
            let layout = t.layout().clone();
            t.storage_mut()
                .copy_into(&layout, &src, &crate::Layout::contiguous(shape))
        };
        write_back(p, param)?;
        s.step = host.step;
        for (name, v) in host.buffers {
            match s.buffers.get(&name) {
                Some(t) => write_back(t, v)?,
                None => {
                    let shape = p.shape().to_vec();
                    let t =
                        Tensor::from_storage(Storage::upload(device, CpuStorage::F32(v))?, shape);
                    s.buffers.insert(name, t);
                }
            }
        }
        Ok(())
    }
}

/// Runs `update(param, grad, state)` for each parameter that has a gradient: one fused,
/// in-place update per parameter on the device the parameter, its gradient and its state
/// share. On the CPU the state tensors' buffers are moved into the loop and back, uncopied.
pub(crate) fn for_each_param(
    op: &'static str,
    params: &[Tensor],
    states: &mut [ParamState],
    mut update: impl FnMut(&mut [f32], &[f32], &mut HostState),
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
            if buf.numel() != p.numel() || buf.dtype() != crate::DType::F32 {
                bail!(
                    value,
                    "{op}: state '{name}' of parameter {i} has {} values, but the parameter has {}",
                    buf.numel(),
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
        if let Some(g) = p.grad() {
            let mut operands = vec![p, &g];
            operands.extend(s.buffers.values());
            same_device(&operands)?;
            if p.dtype() != crate::DType::F32
                || g.dtype() != crate::DType::F32
                || g.numel() != p.numel()
            {
                bail!(
                    type,
                    "{op}: parameters and gradients must be float32 of equal size"
                );
            }
            if !p.is_contiguous() {
                bail!(
                    value,
                    "{op}: parameter {i} is a strided view; optimize a contiguous tensor"
                );
            }
            if p.same_storage(&g) {
                bail!(
                    value,
                    "{op}: a parameter shares storage with its own gradient"
                );
            }
        }
    }
    for (p, s) in params.iter().zip(states.iter_mut()) {
        let Some(g) = p.grad() else { continue };
        fused::run(ParamUpdate {
            op,
            param: p,
            grad: &g,
            state: s,
            update: &mut update,
        })?;
    }
    Ok(())
}
