//! The CPU backend: host buffers, SIMD loops and rayon (the GEMM and recurrent kernels live in
//! `crate::kernels` and `crate::rnn`).

pub mod elementwise;
pub mod index;
pub mod matmul;
pub mod reduce;
pub mod strided;

use super::{BackendDevice, BackendStorage, BinaryOp, MatmulDims, UnaryOp};
use crate::{bail, DType, Device, Layout, Result};

/// Contiguous, row-major element buffers in host memory.
#[derive(Debug, Clone)]
pub enum CpuStorage {
    F32(Vec<f32>),
    I64(Vec<i64>),
}

impl CpuStorage {
    pub fn dtype(&self) -> DType {
        match self {
            CpuStorage::F32(_) => DType::F32,
            CpuStorage::I64(_) => DType::I64,
        }
    }

    pub fn len(&self) -> usize {
        match self {
            CpuStorage::F32(v) => v.len(),
            CpuStorage::I64(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Values as float32 (int64 converted), for promotion to floating point.
    pub fn to_f32_vec(&self) -> Vec<f32> {
        match self {
            CpuStorage::F32(v) => v.clone(),
            CpuStorage::I64(v) => v.iter().map(|&x| x as f32).collect(),
        }
    }

    pub fn to_i64_vec(&self) -> Vec<i64> {
        match self {
            CpuStorage::F32(v) => v.iter().map(|&x| x as i64).collect(),
            CpuStorage::I64(v) => v.clone(),
        }
    }

    /// The elements `layout` addresses, as a new contiguous buffer.
    pub fn contiguous(&self, layout: &Layout) -> Result<CpuStorage> {
        Ok(match self {
            CpuStorage::F32(v) => CpuStorage::F32(strided::gather("contiguous", v, layout)?),
            CpuStorage::I64(v) => CpuStorage::I64(strided::gather("contiguous", v, layout)?),
        })
    }
}

impl BackendStorage for CpuStorage {
    fn dtype(&self) -> DType {
        CpuStorage::dtype(self)
    }

    fn device(&self) -> Device {
        Device::Cpu
    }

    fn len(&self) -> usize {
        CpuStorage::len(self)
    }

    fn to_cpu(&self, layout: &Layout) -> Result<CpuStorage> {
        CpuStorage::contiguous(self, layout)
    }

    fn contiguous(&self, layout: &Layout) -> Result<Self> {
        CpuStorage::contiguous(self, layout)
    }

    fn to_dtype(&self, layout: &Layout, dtype: DType) -> Result<Self> {
        Ok(match (self, dtype) {
            (CpuStorage::F32(v), DType::F32) => CpuStorage::F32(strided::gather("to", v, layout)?),
            (CpuStorage::I64(v), DType::I64) => CpuStorage::I64(strided::gather("to", v, layout)?),
            (CpuStorage::F32(v), DType::I64) => CpuStorage::I64(
                strided::view("to", v, layout)?
                    .iter()
                    .map(|&x| x as i64)
                    .collect(),
            ),
            (CpuStorage::I64(v), DType::F32) => CpuStorage::F32(
                strided::view("to", v, layout)?
                    .iter()
                    .map(|&x| x as f32)
                    .collect(),
            ),
        })
    }

    fn unary(&self, layout: &Layout, op: UnaryOp) -> Result<Self> {
        elementwise::unary(self, layout, op)
    }

    fn binary(
        &self,
        layout: &Layout,
        rhs: &Self,
        rhs_layout: &Layout,
        op: BinaryOp,
    ) -> Result<Self> {
        elementwise::binary(self, layout, rhs, rhs_layout, op)
    }

    fn sum_dims(&self, layout: &Layout, dims: &[usize]) -> Result<Self> {
        reduce::sum_dims(self, layout, dims)
    }

    fn matmul(
        &self,
        layout: &Layout,
        rhs: &Self,
        rhs_layout: &Layout,
        dims: MatmulDims,
    ) -> Result<Self> {
        matmul::matmul(self, layout, rhs, rhs_layout, dims)
    }

    fn index_select(&self, layout: &Layout, dim: usize, index: &[usize]) -> Result<Self> {
        index::index_select(self, layout, dim, index)
    }

    fn index_add_(
        &mut self,
        layout: &Layout,
        dim: usize,
        index: &[usize],
        src: &Self,
        src_layout: &Layout,
    ) -> Result<()> {
        index::index_add_(self, layout, dim, index, src, src_layout)
    }

    fn copy_into(&mut self, layout: &Layout, src: &Self, src_layout: &Layout) -> Result<()> {
        match self {
            CpuStorage::F32(d) => {
                let s = BackendStorage::to_dtype(src, src_layout, DType::F32)?;
                let CpuStorage::F32(s) = s else {
                    unreachable!()
                };
                strided::update(d, layout, &s, |_, new| new);
            }
            CpuStorage::I64(d) => {
                let s = BackendStorage::to_dtype(src, src_layout, DType::I64)?;
                let CpuStorage::I64(s) = s else {
                    unreachable!()
                };
                strided::update(d, layout, &s, |_, new| new);
            }
        }
        Ok(())
    }

    fn add_assign(&mut self, layout: &Layout, src: &Self, src_layout: &Layout) -> Result<()> {
        match (self, src) {
            (CpuStorage::F32(d), CpuStorage::F32(s)) => {
                let s = strided::view("add_", s, src_layout)?;
                strided::update(d, layout, &s, |a, b| a + b);
                Ok(())
            }
            _ => bail!(type, "add_(): expected float32 tensors"),
        }
    }
}

/// The host as a device.
#[derive(Clone, Copy, Debug, Default)]
pub struct CpuDevice;

impl BackendDevice for CpuDevice {
    type Storage = CpuStorage;

    fn location(&self) -> Device {
        Device::Cpu
    }

    fn full(&self, shape: &[usize], value: f64, dtype: DType) -> Result<CpuStorage> {
        Ok(match dtype {
            DType::F32 => CpuStorage::F32(crate::memory::filled("full", shape, value as f32)?),
            DType::I64 => CpuStorage::I64(crate::memory::filled("full", shape, value as i64)?),
        })
    }

    fn upload(&self, data: &CpuStorage) -> Result<CpuStorage> {
        Ok(data.clone())
    }

    fn rand_uniform(&self, shape: &[usize], low: f32, high: f32) -> Result<CpuStorage> {
        let mut data = crate::memory::zeroed::<f32>("rand", shape)?;
        crate::ops::random::fill_uniform(&mut data, low, high);
        Ok(CpuStorage::F32(data))
    }

    fn rand_normal(&self, shape: &[usize], mean: f32, std: f32) -> Result<CpuStorage> {
        let mut data = crate::memory::zeroed::<f32>("randn", shape)?;
        crate::ops::random::fill_normal(&mut data, mean, std);
        Ok(CpuStorage::F32(data))
    }
}
