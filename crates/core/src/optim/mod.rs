//! Optimizer updates, applied in place to every parameter of a group in one call. Each
//! algorithm follows PyTorch's single-tensor implementation step for step, so a run repeats
//! PyTorch's parameter trajectory to float32 rounding.

mod adam;
mod clip;
mod rmsprop;
mod sgd;
mod state;

pub use adam::{adam_device_update, adam_step, AdamConfig};
pub use clip::{clip_grad_norm, clip_grad_value};
pub use rmsprop::{rmsprop_device_update, rmsprop_step, RmsPropConfig};
pub use sgd::{sgd_device_update, sgd_step, SgdConfig};
pub use state::ParamState;

use crate::backend::cuda::launch::launch_in_place;
use crate::backend::fused::{self, FusedOp};
use crate::backend::kernel_args::KernelArgs;
use crate::backend::CpuStorage;
use crate::device::same_device;
use crate::storage::Storage;
use crate::{bail, Result, Tensor};
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

/// Whether a state tensor is the whole of a storage no other tensor uses, so the update may
/// write it in place. State buffers of the optimizer's own making are; a loaded view or a
/// strided one is replaced by a private copy first (on every device).
fn owns_its_buffer(buf: &Tensor) -> bool {
    buf.is_contiguous()
        && buf.layout().offset() == 0
        && std::sync::Arc::strong_count(&buf.0.storage) == 1
        && buf.storage().len() == buf.numel()
}

/// How an optimizer's update of one parameter runs on a GPU: the step count after it, the
/// kernel of optim.cu, the state buffers it updates in place after the parameter (made as zeros
/// when missing, in this order) and its scalar arguments.
pub struct DeviceUpdate {
    pub step: f64,
    pub kernel: &'static str,
    pub buffers: Vec<&'static str>,
    pub args: KernelArgs,
}

/// One parameter's in-place update, a fused op: the CPU body moves the state tensors' buffers
/// into the update loop and back; the CUDA body runs the optimizer's kernel on the device
/// tensors in place (no transfer, no synchronisation).
struct ParamUpdate<'a, F, D> {
    op: &'static str,
    param: &'a Tensor,
    grad: &'a Tensor,
    state: &'a mut ParamState,
    update: &'a mut F,
    device_update: &'a mut D,
}

impl<F, D> FusedOp for ParamUpdate<'_, F, D>
where
    F: FnMut(&mut [f32], &[f32], &mut HostState),
    D: FnMut(&ParamState) -> DeviceUpdate,
{
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
        for buf in s.buffers.values_mut() {
            if !owns_its_buffer(buf) {
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

    fn cuda(self, ordinal: usize) -> Result<()> {
        let (p, g, s) = (self.param, self.grad, self.state);
        let call = (self.device_update)(s);
        for name in &call.buffers {
            let fresh = match s.buffers.get(*name) {
                None => Some(Tensor::from_storage(
                    Storage::full(p.device(), p.shape(), 0.0, crate::DType::F32)?,
                    p.shape().to_vec(),
                )),
                Some(buf) if !owns_its_buffer(buf) => Some(buf.deep_copy()?),
                Some(_) => None,
            };
            if let Some(t) = fresh {
                s.buffers.insert((*name).to_string(), t);
            }
        }
        let mut targets = vec![p];
        for name in &call.buffers {
            targets.push(&s.buffers[*name]);
        }
        launch_in_place(
            ordinal,
            "optim",
            call.kernel,
            &targets,
            &[g],
            &call.args,
            p.numel(),
        )?;
        s.step = call.step;
        Ok(())
    }
}

/// Runs `update(param, grad, state)` for each parameter that has a gradient: one fused,
/// in-place update per parameter on the device the parameter, its gradient and its state
/// share. On the CPU the state tensors' buffers are moved into the loop and back, uncopied; on
/// a GPU `device_update` describes the kernel that does the same arithmetic.
pub(crate) fn for_each_param(
    op: &'static str,
    params: &[Tensor],
    states: &mut [ParamState],
    mut update: impl FnMut(&mut [f32], &[f32], &mut HostState),
    mut device_update: impl FnMut(&ParamState) -> DeviceUpdate,
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
            device_update: &mut device_update,
        })?;
    }
    Ok(())
}
