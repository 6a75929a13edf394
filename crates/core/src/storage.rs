//! A tensor's buffer on its device: an enum over the backends' storages (see `backend`).
//! Every method checks that its operands share a device and forwards to that backend.

use crate::backend::cuda::{CudaDevice, CudaStorage};
use crate::backend::{
    BackendDevice, BackendStorage, BinaryOp, CpuDevice, CpuStorage, MatmulDims, UnaryOp,
};
use crate::{DType, Device, Layout, Result};

#[derive(Debug)]
pub enum Storage {
    Cpu(CpuStorage),
    Cuda(CudaStorage),
}

fn mismatch(a: Device, b: Device) -> crate::Error {
    crate::device::mismatch(b, a)
}

impl Storage {
    pub fn dtype(&self) -> DType {
        match self {
            Storage::Cpu(s) => s.dtype(),
            Storage::Cuda(s) => s.dtype(),
        }
    }

    pub fn device(&self) -> Device {
        match self {
            Storage::Cpu(_) => Device::Cpu,
            Storage::Cuda(s) => s.device(),
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Storage::Cpu(s) => s.len(),
            Storage::Cuda(s) => s.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn as_cpu(&self) -> Option<&CpuStorage> {
        match self {
            Storage::Cpu(s) => Some(s),
            Storage::Cuda(_) => None,
        }
    }

    pub fn as_cpu_mut(&mut self) -> Option<&mut CpuStorage> {
        match self {
            Storage::Cpu(s) => Some(s),
            Storage::Cuda(_) => None,
        }
    }

    pub fn to_cpu(&self, layout: &Layout) -> Result<CpuStorage> {
        match self {
            Storage::Cpu(s) => BackendStorage::to_cpu(s, layout),
            Storage::Cuda(s) => s.to_cpu(layout),
        }
    }

    pub fn contiguous(&self, layout: &Layout) -> Result<Storage> {
        Ok(match self {
            Storage::Cpu(s) => Storage::Cpu(CpuStorage::contiguous(s, layout)?),
            Storage::Cuda(s) => Storage::Cuda(s.contiguous(layout)?),
        })
    }

    pub fn to_dtype(&self, layout: &Layout, dtype: DType) -> Result<Storage> {
        Ok(match self {
            Storage::Cpu(s) => Storage::Cpu(s.to_dtype(layout, dtype)?),
            Storage::Cuda(s) => Storage::Cuda(s.to_dtype(layout, dtype)?),
        })
    }

    pub fn unary(&self, layout: &Layout, op: UnaryOp) -> Result<Storage> {
        Ok(match self {
            Storage::Cpu(s) => Storage::Cpu(s.unary(layout, op)?),
            Storage::Cuda(s) => Storage::Cuda(s.unary(layout, op)?),
        })
    }

    pub fn binary(&self, l: &Layout, rhs: &Storage, rl: &Layout, op: BinaryOp) -> Result<Storage> {
        Ok(match (self, rhs) {
            (Storage::Cpu(a), Storage::Cpu(b)) => Storage::Cpu(a.binary(l, b, rl, op)?),
            (Storage::Cuda(a), Storage::Cuda(b)) => Storage::Cuda(a.binary(l, b, rl, op)?),
            (a, b) => return Err(mismatch(a.device(), b.device())),
        })
    }

    pub fn sum_dims(&self, layout: &Layout, dims: &[usize]) -> Result<Storage> {
        Ok(match self {
            Storage::Cpu(s) => Storage::Cpu(s.sum_dims(layout, dims)?),
            Storage::Cuda(s) => Storage::Cuda(s.sum_dims(layout, dims)?),
        })
    }

    pub fn matmul(&self, l: &Layout, rhs: &Storage, rl: &Layout, d: MatmulDims) -> Result<Storage> {
        Ok(match (self, rhs) {
            (Storage::Cpu(a), Storage::Cpu(b)) => Storage::Cpu(a.matmul(l, b, rl, d)?),
            (Storage::Cuda(a), Storage::Cuda(b)) => Storage::Cuda(a.matmul(l, b, rl, d)?),
            (a, b) => return Err(mismatch(a.device(), b.device())),
        })
    }

    pub fn index_select(&self, layout: &Layout, dim: usize, index: &[usize]) -> Result<Storage> {
        Ok(match self {
            Storage::Cpu(s) => Storage::Cpu(s.index_select(layout, dim, index)?),
            Storage::Cuda(s) => Storage::Cuda(s.index_select(layout, dim, index)?),
        })
    }

    pub fn index_add_(
        &mut self,
        layout: &Layout,
        dim: usize,
        index: &[usize],
        src: &Storage,
        src_layout: &Layout,
    ) -> Result<()> {
        match (self, src) {
            (Storage::Cpu(a), Storage::Cpu(b)) => a.index_add_(layout, dim, index, b, src_layout),
            (Storage::Cuda(a), Storage::Cuda(b)) => a.index_add_(layout, dim, index, b, src_layout),
            (a, b) => Err(mismatch(a.device(), b.device())),
        }
    }

    pub fn copy_into(&mut self, layout: &Layout, src: &Storage, src_layout: &Layout) -> Result<()> {
        match (self, src) {
            (Storage::Cpu(a), Storage::Cpu(b)) => a.copy_into(layout, b, src_layout),
            (Storage::Cuda(a), Storage::Cuda(b)) => a.copy_into(layout, b, src_layout),
            (a, b) => Err(mismatch(a.device(), b.device())),
        }
    }

    pub fn add_assign(
        &mut self,
        layout: &Layout,
        src: &Storage,
        src_layout: &Layout,
    ) -> Result<()> {
        match (self, src) {
            (Storage::Cpu(a), Storage::Cpu(b)) => a.add_assign(layout, b, src_layout),
            (Storage::Cuda(a), Storage::Cuda(b)) => a.add_assign(layout, b, src_layout),
            (a, b) => Err(mismatch(a.device(), b.device())),
        }
    }

    /// `len` elements of `value` on `device`.
    pub fn full(device: Device, shape: &[usize], value: f64, dtype: DType) -> Result<Storage> {
        Ok(match device {
            Device::Cpu => Storage::Cpu(CpuDevice.full(shape, value, dtype)?),
            Device::Cuda(i) => Storage::Cuda(CudaDevice::new(i)?.full(shape, value, dtype)?),
        })
    }

    pub fn rand_uniform(device: Device, shape: &[usize], low: f32, high: f32) -> Result<Storage> {
        Ok(match device {
            Device::Cpu => Storage::Cpu(CpuDevice.rand_uniform(shape, low, high)?),
            Device::Cuda(i) => Storage::Cuda(CudaDevice::new(i)?.rand_uniform(shape, low, high)?),
        })
    }

    pub fn rand_normal(device: Device, shape: &[usize], mean: f32, std: f32) -> Result<Storage> {
        Ok(match device {
            Device::Cpu => Storage::Cpu(CpuDevice.rand_normal(shape, mean, std)?),
            Device::Cuda(i) => Storage::Cuda(CudaDevice::new(i)?.rand_normal(shape, mean, std)?),
        })
    }

    /// Host data moved onto `device` (the CPU keeps it as is).
    pub fn upload(device: Device, data: CpuStorage) -> Result<Storage> {
        Ok(match device {
            Device::Cpu => Storage::Cpu(data),
            Device::Cuda(i) => Storage::Cuda(CudaDevice::new(i)?.upload(&data)?),
        })
    }

    /// The elements of `layout` on `device`, contiguous (a copy even when the device is the same).
    pub fn transfer(&self, layout: &Layout, device: Device) -> Result<Storage> {
        if device == self.device() {
            return self.contiguous(layout);
        }
        if device != Device::Cpu && !self.device().is_cpu() {
            // GPU to another GPU goes through the host until peer copies exist.
            return Storage::upload(device, self.to_cpu(layout)?);
        }
        match self {
            Storage::Cpu(s) => Storage::upload(device, CpuStorage::contiguous(s, layout)?),
            Storage::Cuda(s) => Ok(Storage::Cpu(s.to_cpu(layout)?)),
        }
    }
}
