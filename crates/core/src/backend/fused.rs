//! Fused operations: work that runs as a few kernels per device instead of a chain of
//! primitives (the RNN stack and its gate cells, losses, optimizer updates). Each implements
//! one method per device, like candle's `CustomOp`; `run` checks that the operands share a
//! device and calls the matching method. The CPU bodies read host memory directly; the CUDA
//! bodies launch kernels (`backend/cuda/launch.rs`) or run tensor ops on the device.

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

/// A fused op with a CPU kernel and a body in tensor ops for every other device: correct
/// wherever the primitives are, with no trip through the host (several kernels instead of
/// one until the device gets a fused kernel). The tensor-op body is also the reference the tests
/// check against the CPU kernel on the CPU.
pub struct WithTensorOps<'a, C, T> {
    pub name: &'static str,
    pub operands: Vec<&'a Tensor>,
    pub cpu: C,
    pub tensor_ops: T,
}

impl<R, C: FnOnce() -> Result<R>, T: FnOnce() -> Result<R>> FusedOp for WithTensorOps<'_, C, T> {
    type Output = R;

    fn name(&self) -> &'static str {
        self.name
    }

    fn operands(&self) -> Vec<&Tensor> {
        self.operands.clone()
    }

    fn cpu(self) -> Result<R> {
        (self.cpu)()
    }

    fn cuda(self, _ordinal: usize) -> Result<R> {
        (self.tensor_ops)()
    }
}

/// A fused op with a CPU body and CUDA kernels, each given as a closure (the CUDA one receives
/// the GPU's ordinal).
pub struct PerDevice<'a, C, G> {
    pub name: &'static str,
    pub operands: Vec<&'a Tensor>,
    pub cpu: C,
    pub cuda: G,
}

impl<R, C: FnOnce() -> Result<R>, G: FnOnce(usize) -> Result<R>> FusedOp for PerDevice<'_, C, G> {
    type Output = R;

    fn name(&self) -> &'static str {
        self.name
    }

    fn operands(&self) -> Vec<&Tensor> {
        self.operands.clone()
    }

    fn cpu(self) -> Result<R> {
        (self.cpu)()
    }

    fn cuda(self, ordinal: usize) -> Result<R> {
        (self.cuda)(ordinal)
    }
}
