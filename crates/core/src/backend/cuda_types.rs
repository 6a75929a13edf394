//! The CUDA storage and device types of a build without the `cuda` feature. No value of them
//! can exist (they hold `Infallible`): every device `match` compiles, and `CudaDevice::new`
//! reports that no CUDA backend is compiled in. With the feature, `cuda/` defines them over
//! cudarc buffers and streams.

use std::convert::Infallible;

use super::{BackendDevice, BackendStorage, BinaryOp, CpuStorage, MatmulDims, UnaryOp};
use crate::{DType, Device, Layout, Result};

/// GPU memory (never constructed yet).
#[derive(Debug)]
pub struct CudaStorage {
    never: Infallible,
}

/// A GPU (never constructed yet).
#[derive(Debug, Clone)]
pub struct CudaDevice {
    never: Infallible,
}

impl CudaDevice {
    /// Fails with the reason this process cannot use `cuda:ordinal`.
    pub fn new(ordinal: usize) -> Result<CudaDevice> {
        super::cuda::ensure_device(ordinal)?;
        crate::bail!(
            internal,
            "cuda:{ordinal} passed its checks in a build without the CUDA backend"
        )
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
