//! Backends: the code that owns a device's memory and runs kernels on it.
//!
//! How it fits together, and why this shape:
//!
//! - `Storage` (crate::storage) is an enum over backend storages, `Cpu(CpuStorage)` and
//!   `Cuda(CudaStorage)`, as in candle. An enum rather than `Box<dyn BackendStorage>`: binary
//!   ops need both operands' concrete types (a trait object cannot take "another one of me"),
//!   the set of devices is closed and small, and a mismatched pair is one `match` arm that
//!   raises PyTorch's "Expected all tensors to be on the same device" error. Burn's design (a
//!   generic `Backend` type parameter on every tensor, autodiff as a decorator backend) would
//!   make every tensor in the napi binding generic or boxed, and fix the device at compile time;
//!   JavaScript picks devices at run time, so a run-time enum is the better fit here.
//! - `BackendStorage` is what every storage implements: transfers, layout copies, unary and
//!   binary elementwise ops, reductions, matrix products, index ops. `BackendDevice` creates
//!   storage on a device (zeros, fills, random numbers, uploads). Ops in `crate::ops` validate
//!   shapes and dtypes, check devices, call these and record the autograd node; they never look
//!   inside a storage. Gradient rules are written in those same tensor ops, so autograd runs on
//!   whichever device the graph lives on, with no decorator layer.
//! - Fused work that one kernel per primitive would make slow (the RNN stack, losses, embedding,
//!   dropout, optimizer updates) implements `fused::FusedOp`, a method per device, like candle's
//!   `CustomOp`: the CPU bodies exist, CUDA's come with the CUDA backend.
//! - Without the `cuda` feature, `cuda_stub` answers "not compiled in" and `cuda_types` holds
//!   CUDA storage and device types no value can have, so every `match` compiles. With it,
//!   `cuda/` loads the libraries at run time, reports what it found (`cuda.status()`), and
//!   holds the real storage (cudarc buffers on one stream per GPU; `cuda/storage.rs`) and device
//!   (`cuda/device.rs`). Tensor creation on a GPU stays behind `SEQTORCH_EXPERIMENTAL_CUDA=1`
//!   until the CUDA path has passed the GPU check on real hardware (`CudaDevice::new`); the GPU
//!   tests open devices directly.

pub mod cpu;
pub mod fused;
pub mod kernel_args;
pub mod kernel_source;
pub mod memory_stats;
pub mod status;

#[cfg(not(feature = "cuda"))]
mod cuda_types;

#[cfg(not(feature = "cuda"))]
#[path = "cuda_stub.rs"]
pub mod cuda;
#[cfg(feature = "cuda")]
pub mod cuda;

use crate::{DType, Device, Layout, Result};
pub use cpu::{CpuDevice, CpuStorage};

/// Elementwise functions of one tensor.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum UnaryOp {
    Neg,
    Exp,
    Log,
    Sigmoid,
    Tanh,
    Relu,
    Sin,
    Cos,
    Abs,
    Sign,
    Sqrt,
    Square,
    Powf(f32),
    /// 1 where the value equals the argument (NaN matches NaN), 0 elsewhere.
    EqMask(f32),
    /// `max(x, v)` as PyTorch's clamp_min: a NaN x stays NaN, a NaN bound gives NaN, and a
    /// value equal to the bound is kept (-0.0 stays -0.0 at a bound of 0).
    ClampMin(f32),
    /// `min(x, v)`, likewise.
    ClampMax(f32),
    /// 1 where the value is greater than the argument, 0 elsewhere (and at NaN).
    GtMask(f32),
    /// 1 where the value is less than the argument, 0 elsewhere (and at NaN).
    LtMask(f32),
}

/// Elementwise functions of two tensors of the same (broadcast) shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    /// `g * s * (1 - s)` with `s = sigmoid(x)`: lhs g, rhs s.
    SigmoidBackward,
    /// `g * (1 - t^2)` with `t = tanh(x)`.
    TanhBackward,
    /// PyTorch's threshold_backward: 0 where `x <= 0`, else g (a NaN x passes g).
    ReluBackward,
}

impl BinaryOp {
    pub fn name(self) -> &'static str {
        match self {
            BinaryOp::Add => "add",
            BinaryOp::Sub => "sub",
            BinaryOp::Mul => "mul",
            BinaryOp::Div => "div",
            BinaryOp::SigmoidBackward => "sigmoid_backward",
            BinaryOp::TanhBackward => "tanh_backward",
            BinaryOp::ReluBackward => "threshold_backward",
        }
    }
}

/// Sizes of a (batched) matrix product `[b, m, k] @ [b, k, n]`.
#[derive(Clone, Copy, Debug)]
pub struct MatmulDims {
    pub batch: usize,
    pub m: usize,
    pub k: usize,
    pub n: usize,
}

pub trait BackendStorage: Sized {
    fn dtype(&self) -> DType;
    fn device(&self) -> Device;
    /// Elements in the buffer (not in any one view of it).
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The elements `layout` addresses, in its row-major order, copied to the host.
    fn to_cpu(&self, layout: &Layout) -> Result<CpuStorage>;
    /// The elements `layout` addresses as a new contiguous buffer on the same device.
    fn contiguous(&self, layout: &Layout) -> Result<Self>;
    /// Contiguous copy converted to `dtype` (float to int truncates toward zero).
    fn to_dtype(&self, layout: &Layout, dtype: DType) -> Result<Self>;
    /// float32 result (int64 inputs promoted) except `Neg`, `Abs`, `Relu`, `Sign` on int64.
    fn unary(&self, layout: &Layout, op: UnaryOp) -> Result<Self>;
    /// Both layouts already broadcast to the output shape. int64 with int64 stays int64 for
    /// add/sub/mul; everything else computes in float32.
    fn binary(
        &self,
        layout: &Layout,
        rhs: &Self,
        rhs_layout: &Layout,
        op: BinaryOp,
    ) -> Result<Self>;
    /// Sum over `dims` (sorted, unique), keeping them as size 1.
    fn sum_dims(&self, layout: &Layout, dims: &[usize]) -> Result<Self>;
    /// float32 `[b, m, k] @ [b, k, n]`; layouts are 3-D (2-D operands get a batch of 1).
    fn matmul(
        &self,
        layout: &Layout,
        rhs: &Self,
        rhs_layout: &Layout,
        dims: MatmulDims,
    ) -> Result<Self>;
    /// Rows `index` (validated) along `dim`.
    fn index_select(&self, layout: &Layout, dim: usize, index: &[usize]) -> Result<Self>;
    /// `self[.., index[i], ..] += src[.., i, ..]` along `dim`, in place (`self` contiguous).
    fn index_add_(
        &mut self,
        layout: &Layout,
        dim: usize,
        index: &[usize],
        src: &Self,
        src_layout: &Layout,
    ) -> Result<()>;
    /// Writes `src` (same shape) into the elements `layout` addresses, converting dtype.
    fn copy_into(&mut self, layout: &Layout, src: &Self, src_layout: &Layout) -> Result<()>;
    /// `self[layout] += src` in place (gradient accumulation).
    fn add_assign(&mut self, layout: &Layout, src: &Self, src_layout: &Layout) -> Result<()>;
}

pub trait BackendDevice {
    type Storage: BackendStorage;
    fn location(&self) -> Device;
    fn full(&self, shape: &[usize], value: f64, dtype: DType) -> Result<Self::Storage>;
    fn zeros(&self, shape: &[usize], dtype: DType) -> Result<Self::Storage> {
        self.full(shape, 0.0, dtype)
    }
    fn upload(&self, data: &CpuStorage) -> Result<Self::Storage>;
    /// Uniform in `[low, high)` from seqtorch's generator (`manualSeed`).
    fn rand_uniform(&self, shape: &[usize], low: f32, high: f32) -> Result<Self::Storage>;
    fn rand_normal(&self, shape: &[usize], mean: f32, std: f32) -> Result<Self::Storage>;
}
