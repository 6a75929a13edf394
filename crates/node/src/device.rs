//! Devices: which exist, parsing device strings, and moving tensors between them.

use napi::bindgen_prelude::*;
use napi_derive::napi;
use seqtorch_core::Device;

use crate::error::guard;
use crate::tensor::NativeTensor;

/// Whether a CUDA GPU can be used. Never throws: false when the backend is not compiled in, no
/// driver is found or no GPU is present.
#[napi]
pub fn cuda_is_available() -> bool {
    seqtorch_core::backend::cuda::is_available()
}

/// How many CUDA GPUs can be used (0 when none, never throws).
#[napi]
pub fn cuda_device_count() -> u32 {
    seqtorch_core::backend::cuda::device_count() as u32
}

#[napi(object)]
pub struct CudaLibrary {
    pub name: String,
    pub found: bool,
}

#[napi(object)]
pub struct CudaStatus {
    /// Whether this addon was built with the CUDA backend.
    pub compiled: bool,
    pub libraries: Vec<CudaLibrary>,
    /// Files loaded from SEQTORCH_CUDA_PATH.
    pub preloaded: Vec<String>,
    /// GPUs the driver reports (null when the driver could not be asked).
    pub driver_devices: Option<u32>,
    /// Why no CUDA device can be used (null once one can).
    pub reason: Option<String>,
}

/// What this process found of CUDA: libraries, the driver's GPU count, and why CUDA cannot be
/// used when it cannot. Never throws.
#[napi]
pub fn cuda_status() -> CudaStatus {
    let s = std::panic::catch_unwind(seqtorch_core::backend::cuda::status).unwrap_or_else(|_| {
        seqtorch_core::backend::status::CudaStatus {
            compiled: true,
            libraries: Vec::new(),
            preloaded: Vec::new(),
            driver_devices: None,
            reason: Some("the CUDA libraries could not be inspected".into()),
        }
    });
    CudaStatus {
        compiled: s.compiled,
        libraries: s
            .libraries
            .into_iter()
            .map(|(name, found)| CudaLibrary { name, found })
            .collect(),
        preloaded: s.preloaded,
        driver_devices: s.driver_devices.map(|n| n as u32),
        reason: s.reason,
    }
}

/// Bytes of one GPU's memory pool (see `seqtorch_core::backend::memory_stats`).
#[napi(object)]
pub struct CudaMemoryStats {
    pub allocated: f64,
    pub peak_allocated: f64,
    pub reserved: f64,
    pub peak_reserved: f64,
}

/// The GPU ordinal of a device string; `op` names the caller in the error for a CPU device.
fn gpu_ordinal(op: &str, device: &str) -> seqtorch_core::Result<usize> {
    match Device::parse(device)? {
        Device::Cuda(i) => Ok(i),
        Device::Cpu => seqtorch_core::bail!(
            value,
            "cuda.{op}(): expects a CUDA device such as 'cuda:0', got '{device}'"
        ),
    }
}

/// The memory pool of `device` ('cuda:N'), after its queued work has run.
#[napi]
pub fn cuda_memory_stats(env: Env, device: String) -> Result<CudaMemoryStats> {
    guard(&env, || {
        let s = seqtorch_core::backend::cuda::memory_stats(gpu_ordinal("memoryStats", &device)?)?;
        Ok(CudaMemoryStats {
            allocated: s.allocated as f64,
            peak_allocated: s.peak_allocated as f64,
            reserved: s.reserved as f64,
            peak_reserved: s.peak_reserved as f64,
        })
    })
}

#[napi]
pub fn cuda_reset_peak_memory_stats(env: Env, device: String) -> Result<()> {
    guard(&env, || {
        seqtorch_core::backend::cuda::reset_peak_memory_stats(gpu_ordinal(
            "resetPeakMemoryStats",
            &device,
        )?)
    })
}

#[napi]
pub fn cuda_empty_cache(env: Env, device: String) -> Result<()> {
    guard(&env, || {
        seqtorch_core::backend::cuda::empty_cache(gpu_ordinal("emptyCache", &device)?)
    })
}

#[napi]
pub fn cuda_synchronize(env: Env, device: String) -> Result<()> {
    guard(&env, || {
        seqtorch_core::backend::cuda::synchronize(gpu_ordinal("synchronize", &device)?)
    })
}

/// Every usable device, `cpu` first: the list the per-device tests run over.
#[napi]
pub fn available_devices() -> Vec<String> {
    Device::available().iter().map(|d| d.to_string()).collect()
}

/// A device string in canonical form (`cuda` -> `cuda:0`), checked to exist.
#[napi]
pub fn check_device(env: Env, device: String) -> Result<String> {
    guard(&env, || {
        let d = Device::parse(&device)?;
        d.ensure_available()?;
        Ok(d.to_string())
    })
}

#[napi]
impl NativeTensor {
    /// 'cpu' or 'cuda:N'.
    #[napi(getter)]
    pub fn device(&self, env: Env) -> Result<String> {
        guard(&env, || Ok(self.get()?.device().to_string()))
    }

    /// This tensor on `device`: the same tensor when it is already there, else a copy that
    /// gradients flow back through.
    #[napi]
    pub fn to_device(&self, env: Env, device: String) -> Result<NativeTensor> {
        let t = guard(&env, || {
            let d = Device::parse(&device)?;
            self.get()?.to_device(d)
        })?;
        NativeTensor::wrap(&env, t)
    }

    #[napi]
    pub fn is_contiguous(&self, env: Env) -> Result<bool> {
        guard(&env, || Ok(self.get()?.is_contiguous()))
    }

    /// A contiguous tensor with the same values (`self` when it already is).
    #[napi]
    pub fn contiguous(&self, env: Env) -> Result<NativeTensor> {
        let t = guard(&env, || self.get()?.contiguous())?;
        NativeTensor::wrap(&env, t)
    }

    /// Moves this leaf to `device` in place, keeping the handle (what `Module.to` does to each
    /// parameter, like PyTorch's `param.data = param.data.to(device)`): the flag
    /// `requiresGrad` stays and an accumulated gradient moves along.
    #[napi]
    pub fn move_to_device(&self, env: Env, device: String) -> Result<()> {
        let moved = guard(&env, || {
            let d = Device::parse(&device)?;
            let old = self.get()?;
            if old.device() == d {
                return Ok(None);
            }
            if !old.is_leaf() {
                seqtorch_core::bail!(
                    value,
                    "to(): only leaf tensors (parameters and buffers) can be moved in place"
                );
            }
            let new = {
                let _no_grad = seqtorch_core::autograd::NoGradGuard::new();
                old.to_device(d)?.detach()
            };
            new.set_requires_grad(old.requires_grad())?;
            if let Some(g) = old.grad() {
                new.set_grad(Some(g.to_device(d)?))?;
            }
            Ok(Some(new))
        })?;
        match moved {
            Some(t) => self.replace_tensor(&env, t),
            None => Ok(()),
        }
    }

    /// Whether two handles share one buffer (views of each other).
    #[napi]
    pub fn shares_storage_with(&self, env: Env, other: &NativeTensor) -> Result<bool> {
        guard(&env, || Ok(self.get()?.same_storage(&other.get()?)))
    }
}
