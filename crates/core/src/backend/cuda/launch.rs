//! Launching a fused op's kernel over float32 tensors: the inputs are read in place (made
//! contiguous first when they are views); the outputs are new device buffers (`launch_f32`) or
//! the targets are updated in place (`launch_in_place`, the optimizers). Each fused op describes
//! its kernel call with these functions instead of handling cudarc buffers itself.

use cudarc::driver::{DeviceRepr, PushKernelArg};

use super::device::{driver, grid, CudaDevice};
use super::kernel_signature::{self, IN, OUT, U64};
use super::storage::{alloc, CudaData, CudaStorage};
use crate::backend::kernel_args::{AdamArgs, KernelArgs, RmsPropArgs, SgdArgs};
use crate::storage::Storage;
use crate::{bail, DType, Device, Result, Tensor};

// SAFETY: plain old data with the C layout optim.cu declares (checked by the host tests).
unsafe impl DeviceRepr for SgdArgs {}
unsafe impl DeviceRepr for AdamArgs {}
unsafe impl DeviceRepr for RmsPropArgs {}

/// The index of the first input sharing `t`'s storage: its read guard (see `read_guards`).
fn guard_of(inputs: &[Tensor], t: &Tensor) -> usize {
    let first = inputs.iter().position(|u| u.same_storage(t)).unwrap_or(0);
    inputs[..first]
        .iter()
        .enumerate()
        .filter(|(i, u)| inputs[..*i].iter().all(|v| !v.same_storage(u)))
        .count()
}

/// Read guards of the inputs' distinct storages, in order of first appearance.
fn read_guards(inputs: &[Tensor]) -> Vec<std::sync::RwLockReadGuard<'_, Storage>> {
    inputs
        .iter()
        .enumerate()
        .filter(|(i, t)| inputs[..*i].iter().all(|u| !u.same_storage(t)))
        .map(|(_, t)| t.storage())
        .collect()
}

/// The inputs, checked (float32 on `cuda:ordinal`) and made contiguous.
fn contiguous_inputs(kernel: &str, ordinal: usize, inputs: &[&Tensor]) -> Result<Vec<Tensor>> {
    inputs
        .iter()
        .map(|t| {
            check_operand(kernel, ordinal, t)?;
            t.contiguous()
        })
        .collect()
}

/// Each input's device memory, read through `guards` (from `read_guards(inputs)`).
fn input_views<'g>(
    kernel: &str,
    inputs: &[Tensor],
    guards: &'g [std::sync::RwLockReadGuard<'_, Storage>],
) -> Result<Vec<cudarc::driver::CudaView<'g, f32>>> {
    let mut views = Vec::with_capacity(inputs.len());
    for t in inputs {
        let guard = &guards[guard_of(inputs, t)];
        let (Storage::Cuda(s), Some(range)) = (&**guard, t.layout().contiguous_range()) else {
            bail!(internal, "{kernel}: an input is not contiguous GPU memory");
        };
        views.push(s.f32_slice()?.slice(range));
    }
    Ok(views)
}

/// Checks a kernel operand: float32 on `cuda:ordinal`.
fn check_operand(kernel: &str, ordinal: usize, t: &Tensor) -> Result<()> {
    if t.dtype() != DType::F32 {
        bail!(
            type,
            "{kernel}: expected float32 operands, got {}",
            t.dtype()
        );
    }
    if t.device() != Device::Cuda(ordinal) {
        return Err(crate::device::mismatch(Device::Cuda(ordinal), t.device()));
    }
    Ok(())
}

/// Runs `module::kernel(outputs..., inputs..., params...)` on `cuda:ordinal` as a grid-stride
/// loop over `n` elements. Each output is a new contiguous float32 tensor of the given shape
/// (zero-filled, so a kernel that skips an element leaves a zero, never garbage); each input
/// must be a float32 tensor on that device. Queued on the device's stream: no synchronisation.
pub fn launch_f32(
    ordinal: usize,
    module: &'static str,
    kernel: &str,
    outputs: &[&[usize]],
    inputs: &[&Tensor],
    params: &[u64],
    n: usize,
) -> Result<Vec<Tensor>> {
    let config = (n > 0).then(|| grid(n));
    launch_f32_with(ordinal, module, kernel, outputs, inputs, params, config)
}

/// `launch_f32` for a kernel with its own launch shape: `blocks` blocks of `threads` threads
/// and `shared_bytes` of dynamic shared memory (the whole-sequence recurrence).
#[allow(clippy::too_many_arguments)]
pub fn launch_f32_blocks(
    ordinal: usize,
    module: &'static str,
    kernel: &str,
    outputs: &[&[usize]],
    inputs: &[&Tensor],
    params: &[u64],
    (blocks, threads, shared_bytes): (u32, u32, u32),
) -> Result<Vec<Tensor>> {
    let config = (blocks > 0).then_some(cudarc::driver::LaunchConfig {
        grid_dim: (blocks, 1, 1),
        block_dim: (threads, 1, 1),
        shared_mem_bytes: shared_bytes,
    });
    launch_f32_with(ordinal, module, kernel, outputs, inputs, params, config)
}

/// The launch itself; no launch when `config` is None (nothing to compute).
fn launch_f32_with(
    ordinal: usize,
    module: &'static str,
    kernel: &str,
    outputs: &[&[usize]],
    inputs: &[&Tensor],
    params: &[u64],
    config: Option<cudarc::driver::LaunchConfig>,
) -> Result<Vec<Tensor>> {
    let counts = (outputs.len(), inputs.len(), params.len());
    kernel_signature::check_outputs_inputs_params(module, kernel, counts)?;
    let device = CudaDevice::new(ordinal)?;
    let inputs = contiguous_inputs(kernel, ordinal, inputs)?;
    // One read guard per storage: an operand given twice (a stand-in for an absent optional
    // one) must not take the same lock twice on this thread.
    let guards = read_guards(&inputs);
    let views = input_views(kernel, &inputs, &guards)?;
    let mut outs = outputs
        .iter()
        .map(|shape| alloc::<f32>(&device, shape.iter().product()))
        .collect::<Result<Vec<_>>>()?;
    if let Some(config) = config {
        let f = device.function(module, kernel)?;
        let stream = device.stream();
        let mut b = stream.launch_builder(&f);
        for o in outs.iter_mut() {
            b.arg(o);
        }
        for v in &views {
            b.arg(v);
        }
        for p in params {
            b.arg(p);
        }
        // SAFETY: the caller names a kernel whose parameters are, in order, one float pointer
        // per output, one const float pointer per input and one 64-bit integer per param, and
        // which touches only the elements its params describe, within the shapes given here.
        driver(kernel, unsafe { b.launch(config) })?;
    }
    drop(views);
    drop(guards);
    Ok(outs
        .into_iter()
        .zip(outputs)
        .map(|(s, shape)| {
            let len = shape.iter().product();
            let storage = CudaStorage::new(CudaData::F32(s), len, device.clone());
            Tensor::from_storage(Storage::Cuda(storage), shape.to_vec())
        })
        .collect())
}

/// Runs `module::kernel(targets..., inputs..., args, n)` on `cuda:ordinal`, updating the
/// targets in place (their versions go up). Targets must be contiguous float32 tensors with
/// storages of their own: none may share a buffer with another operand.
pub fn launch_in_place(
    ordinal: usize,
    module: &'static str,
    kernel: &str,
    targets: &[&Tensor],
    inputs: &[&Tensor],
    args: &KernelArgs,
    n: usize,
) -> Result<()> {
    let mut launched = vec![OUT; targets.len()];
    launched.extend(std::iter::repeat_n(IN, inputs.len()));
    launched.extend([args.c_type(), U64]);
    kernel_signature::check(module, kernel, &launched)?;
    let device = CudaDevice::new(ordinal)?;
    for (i, t) in targets.iter().enumerate() {
        check_operand(kernel, ordinal, t)?;
        if !t.is_contiguous() {
            bail!(internal, "{kernel}: an in-place target is a strided view");
        }
        let others = targets[i + 1..].iter().chain(inputs);
        if others.into_iter().any(|o| o.same_storage(t)) {
            bail!(
                internal,
                "{kernel}: an in-place target shares its buffer with another operand"
            );
        }
    }
    let inputs = contiguous_inputs(kernel, ordinal, inputs)?;
    let mut write = targets.iter().map(|t| t.storage_mut()).collect::<Vec<_>>();
    let read = read_guards(&inputs);
    let mut target_views = Vec::with_capacity(targets.len());
    for (t, guard) in targets.iter().zip(write.iter_mut()) {
        let (Storage::Cuda(s), Some(range)) = (&mut **guard, t.layout().contiguous_range()) else {
            bail!(internal, "{kernel}: a target is not contiguous GPU memory");
        };
        target_views.push(s.f32_slice_mut()?.slice_mut(range));
    }
    let input_views = input_views(kernel, &inputs, &read)?;
    if n == 0 {
        return Ok(());
    }
    let f = device.function(module, kernel)?;
    let stream = device.stream();
    let mut b = stream.launch_builder(&f);
    for v in target_views.iter_mut() {
        b.arg(v);
    }
    for v in &input_views {
        b.arg(v);
    }
    match args {
        KernelArgs::Sgd(a) => b.arg(a),
        KernelArgs::Adam(a) => b.arg(a),
        KernelArgs::RmsProp(a) => b.arg(a),
    };
    let n64 = n as u64;
    b.arg(&n64);
    // SAFETY: the caller names a kernel whose parameters are one float pointer per target, one
    // const float pointer per input, the argument struct `args` holds, and the element count;
    // every operand holds at least n elements, and no two share memory (checked above).
    driver(kernel, unsafe { b.launch(grid(n)) })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_operands_share_one_read_guard() {
        let t = |v: f32| Tensor::from_f32(vec![v; 4], vec![4]).unwrap();
        let (a, b) = (t(1.0), t(2.0));
        let view = a.narrow(0, 1, 2).unwrap();
        // a, b, a again, a view of a's storage, b again.
        let inputs = vec![a.clone(), b.clone(), a.clone(), view, b];
        let guards = read_guards(&inputs);
        assert_eq!(guards.len(), 2, "two distinct storages");
        let slots: Vec<usize> = inputs.iter().map(|t| guard_of(&inputs, t)).collect();
        assert_eq!(slots, vec![0, 1, 0, 0, 1]);
    }
}
