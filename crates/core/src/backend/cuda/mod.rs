//! The CUDA backend through cudarc (feature `cuda`), with every library loaded at run time: the
//! same binary runs where no CUDA is installed, and `cuda.status()` says what it found.
//!
//! What exists: library discovery (`libraries`), the driver's device count, the kernel sources
//! with their NVRTC compile check (`kernels`; their arithmetic is also checked on the host by
//! the `seqtorch-kernel-check` crate), devices (`device`: context, one stream, modules compiled
//! on first use, cuBLAS), storage with every primitive op (`storage`) and the launcher the fused
//! ops' kernels go through (`launch`, which checks each launch against the kernel's declared
//! parameters first: `kernel_signature`). GPU tensors stay behind `SEQTORCH_EXPERIMENTAL_CUDA`
//! until the GPU check has passed on real hardware.

pub mod device;
pub mod kernel_signature;
pub mod kernels;
pub mod launch;
pub mod libraries;
pub mod self_test;
pub mod storage;

use std::sync::OnceLock;

use crate::{bail, Result};

pub use super::memory_stats::MemoryStats;
pub use super::status::CudaStatus;
pub use device::{allow_tf32, set_allow_tf32, CudaDevice};
pub use storage::{CudaData, CudaStorage};

/// The environment variable that turns GPU tensors on. They are opt-in until the CUDA path has
/// passed the GPU check on real hardware: every op has a CUDA body (kernels, cuBLAS, or tensor
/// ops on the device; see `fused`), but none has yet run on a GPU.
pub const EXPERIMENTAL_ENV: &str = "SEQTORCH_EXPERIMENTAL_CUDA";

/// Whether `SEQTORCH_EXPERIMENTAL_CUDA=1` asks for GPU tensors.
pub fn tensors_enabled() -> bool {
    std::env::var_os(EXPERIMENTAL_ENV).is_some_and(|v| v == "1")
}

/// Whether CUDA tensors can be made in this process: GPU tensors switched on, every library
/// found, and the driver reporting a GPU (`status()` says which is missing).
pub fn is_available() -> bool {
    device_count() > 0
}

/// Usable CUDA devices (0 while GPU tensors are off).
pub fn device_count() -> usize {
    if !tensors_enabled() || !libraries::found().all_present() {
        return 0;
    }
    driver_devices().as_ref().copied().unwrap_or(0)
}

/// The driver's GPU count, asked once: `cuInit` and `cuDeviceGetCount`, only after the driver
/// library was found (cudarc panics on a missing library; a panic here is caught regardless).
fn driver_devices() -> &'static std::result::Result<usize, String> {
    static COUNT: OnceLock<std::result::Result<usize, String>> = OnceLock::new();
    COUNT.get_or_init(|| {
        if !libraries::found()
            .present
            .iter()
            .any(|(n, ok)| *n == "cuda" && *ok)
        {
            return Err("the NVIDIA driver library (libcuda.so) was not found".into());
        }
        std::panic::catch_unwind(|| {
            cudarc::driver::result::init().map_err(|e| format!("cuInit failed: {e:?}"))?;
            cudarc::driver::result::device::get_count()
                .map(|n| n as usize)
                .map_err(|e| format!("cuDeviceGetCount failed: {e:?}"))
        })
        .unwrap_or_else(|_| Err("the CUDA driver could not be loaded".into()))
    })
}

pub fn status() -> CudaStatus {
    let found = libraries::found();
    let count = driver_devices();
    let missing = found.missing();
    let reason = if !missing.is_empty() {
        Some(format!(
            "CUDA libraries not found: {} (install the NVIDIA driver and CUDA 12/13 libraries, or point SEQTORCH_CUDA_PATH at the directories holding them, e.g. the nvidia/*/lib folders of a PyTorch install)",
            missing.iter().map(|m| format!("lib{m}.so")).collect::<Vec<_>>().join(", ")
        ))
    } else {
        match count {
            Err(e) => Some(e.clone()),
            Ok(0) => Some("the NVIDIA driver reports no GPU".into()),
            Ok(_) if !tensors_enabled() => Some(format!(
                "GPUs found, but CUDA tensors are experimental in this build and off: set {EXPERIMENTAL_ENV}=1 to use them (the CUDA backend has not yet been validated on a GPU)"
            )),
            Ok(_) => None,
        }
    };
    CudaStatus {
        compiled: true,
        libraries: found
            .present
            .iter()
            .map(|(n, ok)| (n.to_string(), *ok))
            .collect(),
        preloaded: found.preloaded.clone(),
        driver_devices: count.as_ref().ok().copied(),
        reason,
    }
}

pub fn ensure_device(ordinal: usize) -> Result<()> {
    let count = device_count();
    if ordinal < count {
        return Ok(());
    }
    let reason = status().reason.unwrap_or_else(|| {
        format!("the driver reports {count} GPU(s), so there is no cuda:{ordinal}")
    });
    bail!(device, "cannot use device cuda:{ordinal}: {reason}")
}

/// `cuda:ordinal`'s memory pool use (`torch.cuda.memory_allocated` and friends), after its
/// queued ops have run.
pub fn memory_stats(ordinal: usize) -> Result<MemoryStats> {
    CudaDevice::new(ordinal)?.memory_stats()
}

/// Starts `cuda:ordinal`'s peak memory figures again from its current use.
pub fn reset_peak_memory_stats(ordinal: usize) -> Result<()> {
    CudaDevice::new(ordinal)?.reset_peak_memory_stats()
}

/// Returns the memory `cuda:ordinal` keeps for reuse to the driver.
pub fn empty_cache(ordinal: usize) -> Result<()> {
    CudaDevice::new(ordinal)?.empty_cache()
}

/// Waits for every op queued on `cuda:ordinal`.
pub fn synchronize(ordinal: usize) -> Result<()> {
    CudaDevice::new(ordinal)?.synchronize()
}
