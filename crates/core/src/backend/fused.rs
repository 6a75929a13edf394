//! Fused operations: work that runs as a few kernels per device instead of a chain of
//! primitives (the RNN stack forward and backward, losses, embedding, dropout, optimizer
//! updates). Each implements one method per device, like candle's `CustomOp`; `run` checks
//! that the operands share a device and calls the matching method. The CPU bodies read host
//! memory directly; a device without an implementation reports which op is missing.

use crate::device::same_device;
use crate::{bail, Device, Result, Tensor};

pub trait FusedOp: Sized {
    type Output;
    /// PyTorch's name for the op, used in messages.
    fn name(&self) -> &'static str;
    /// Every tensor the op reads: they must share a device.
    fn operands(&self) -> Vec<&Tensor>;
    fn cpu(self) -> Result<Self::Output>;
    fn cuda(self, ordinal: usize) -> Result<Self::Output> {
        bail!(
            device,
            "{}: no CUDA implementation in this build (tensors are on cuda:{ordinal}); move them to the cpu",
            self.name()
        )
    }
}

/// Runs `op` on the device its operands share.
pub fn run<F: FusedOp>(op: F) -> Result<F::Output> {
    match same_device(&op.operands())? {
        Device::Cpu => op.cpu(),
        Device::Cuda(i) => op.cuda(i),
    }
}

/// A fused op whose kernels exist for the CPU only so far, given as its CPU body: the losses,
/// embedding and dropout. The CUDA backend replaces each with a type that has a `cuda` body.
pub struct CpuFused<'a, F> {
    pub name: &'static str,
    pub operands: Vec<&'a Tensor>,
    pub body: F,
}

impl<R, F: FnOnce() -> Result<R>> FusedOp for CpuFused<'_, F> {
    type Output = R;

    fn name(&self) -> &'static str {
        self.name
    }

    fn operands(&self) -> Vec<&Tensor> {
        self.operands.clone()
    }

    fn cpu(self) -> Result<R> {
        (self.body)()
    }
}
