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

/// A fused op whose kernels exist for the CPU only so far (the losses, embedding, dropout), given
/// as its CPU body over its operands. On another device the operands go to the CPU and the
/// result comes back, both through `to_device`, which autograd records, so gradients reach the
/// device tensors: PyTorch's "CPU fallback". Correct everywhere, slow on a GPU (two transfers
/// and a synchronisation); each op gets its own CUDA kernels in time.
pub struct CpuFused<'a, F> {
    pub name: &'static str,
    pub operands: Vec<&'a Tensor>,
    pub body: F,
}

impl<F: FnOnce(&[Tensor]) -> Result<Tensor>> FusedOp for CpuFused<'_, F> {
    type Output = Tensor;

    fn name(&self) -> &'static str {
        self.name
    }

    fn operands(&self) -> Vec<&Tensor> {
        self.operands.clone()
    }

    fn cpu(self) -> Result<Tensor> {
        let operands: Vec<Tensor> = self.operands.into_iter().cloned().collect();
        (self.body)(&operands)
    }

    fn cuda(self, ordinal: usize) -> Result<Tensor> {
        let on_cpu = self
            .operands
            .iter()
            .map(|t| t.to_device(Device::Cpu))
            .collect::<Result<Vec<_>>>()?;
        (self.body)(&on_cpu)?.to_device(Device::Cuda(ordinal))
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
