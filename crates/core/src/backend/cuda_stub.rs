//! Stand-in for the CUDA backend in builds without it: the same types and methods, so every
//! device `match` compiles, but no value of them can exist. Asking for a CUDA device says the
//! backend is not compiled in.

use std::convert::Infallible;

use super::{BackendDevice, BackendStorage, BinaryOp, CpuStorage, MatmulDims, UnaryOp};
use crate::{bail, DType, Device, Layout, Result};

/// GPU memory (never constructed in this build).
#[derive(Debug)]
pub struct CudaStorage {
    never: Infallible,
}

/// A GPU (never constructed in this build).
#[derive(Debug, Clone)]
pub struct CudaDevice {
    never: Infallible,
}

const NOT_COMPILED: &str = "this seqtorch build has no CUDA backend (it was compiled without the `cuda` feature), so only the cpu device is available";

pub fn is_available() -> bool {
    false
}

pub fn device_count() -> usize {
    0
}

pub fn ensure_device(ordinal: usize) -> Result<()> {
    bail!(device, "cannot use device cuda:{ordinal}: {NOT_COMPILED}")
}

impl CudaDevice {
    pub fn new(ordinal: usize) -> Result<CudaDevice> {
        ensure_device(ordinal)?;
        unreachable!()
    }
}

impl BackendStorage for CudaStorage {
    fn dtype(&self) -> DType {
        match self.never {}
    }
    fn device(&self) -> Device {
        match self.never {}
    }
    fn len(&self) -> usize {
        match self.never {}
    }
    fn to_cpu(&self, _: &Layout) -> Result<CpuStorage> {
        match self.never {}
    }
    fn contiguous(&self, _: &Layout) -> Result<Self> {
        match self.never {}
    }
    fn to_dtype(&self, _: &Layout, _: DType) -> Result<Self> {
        match self.never {}
    }
    fn unary(&self, _: &Layout, _: UnaryOp) -> Result<Self> {
        match self.never {}
    }
    fn binary(&self, _: &Layout, _: &Self, _: &Layout, _: BinaryOp) -> Result<Self> {
        match self.never {}
    }
    fn sum_dims(&self, _: &Layout, _: &[usize]) -> Result<Self> {
        match self.never {}
    }
    fn matmul(&self, _: &Layout, _: &Self, _: &Layout, _: MatmulDims) -> Result<Self> {
        match self.never {}
    }
    fn index_select(&self, _: &Layout, _: usize, _: &[usize]) -> Result<Self> {
        match self.never {}
    }
    fn index_add_(
        &mut self,
        _: &Layout,
        _: usize,
        _: &[usize],
        _: &Self,
        _: &Layout,
    ) -> Result<()> {
        match self.never {}
    }
    fn copy_into(&mut self, _: &Layout, _: &Self, _: &Layout) -> Result<()> {
        match self.never {}
    }
    fn add_assign(&mut self, _: &Layout, _: &Self, _: &Layout) -> Result<()> {
        match self.never {}
    }
}

impl BackendDevice for CudaDevice {
    type Storage = CudaStorage;
    fn location(&self) -> Device {
        match self.never {}
    }
    fn full(&self, _: &[usize], _: f64, _: DType) -> Result<CudaStorage> {
        match self.never {}
    }
    fn upload(&self, _: &CpuStorage) -> Result<CudaStorage> {
        match self.never {}
    }
    fn rand_uniform(&self, _: &[usize], _: f32, _: f32) -> Result<CudaStorage> {
        match self.never {}
    }
    fn rand_normal(&self, _: &[usize], _: f32, _: f32) -> Result<CudaStorage> {
        match self.never {}
    }
}
