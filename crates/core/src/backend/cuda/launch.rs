//! Launching a fused op's kernel over float32 tensors: the inputs are read in place (made
//! contiguous first when they are views), the outputs are new device buffers. Each fused op
//! describes its kernel call with this one function instead of handling cudarc buffers itself.

use cudarc::driver::PushKernelArg;

use super::device::{driver, grid, CudaDevice};
use super::storage::{alloc, CudaData, CudaStorage};
use crate::storage::Storage;
use crate::{bail, DType, Device, Result, Tensor};

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
    let device = CudaDevice::new(ordinal)?;
    let inputs = inputs
        .iter()
        .map(|t| {
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
            t.contiguous()
        })
        .collect::<Result<Vec<Tensor>>>()?;
    let guards: Vec<_> = inputs.iter().map(|t| t.storage()).collect();
    let mut views = Vec::with_capacity(inputs.len());
    for (t, guard) in inputs.iter().zip(&guards) {
        let Storage::Cuda(s) = &**guard else {
            bail!(internal, "{kernel}: an operand is not in GPU memory");
        };
        let Some(range) = t.layout().contiguous_range() else {
            bail!(internal, "{kernel}: an operand is not contiguous");
        };
        views.push(s.f32_slice()?.slice(range));
    }
    let mut outs = outputs
        .iter()
        .map(|shape| alloc::<f32>(&device, shape.iter().product()))
        .collect::<Result<Vec<_>>>()?;
    if n > 0 {
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
        driver(kernel, unsafe { b.launch(grid(n)) })?;
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
