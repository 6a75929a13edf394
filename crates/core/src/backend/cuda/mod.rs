//! The CUDA backend through cudarc (feature `cuda`), with every library loaded at run time: the
//! same binary runs where no CUDA is installed, and `cuda.status()` says what it found.
//!
//! What exists: library discovery (`libraries`), the driver's device count, the kernel sources
//! with their NVRTC compile check (`kernels`), devices (`device`: context, one stream, modules
//! compiled on first use, cuBLAS) and storage with every primitive op (`storage`). The fused
//! ops come next; until they exist no CUDA tensor can be made, so `is_available()` stays false
//! and asking for a GPU explains what is missing.

pub mod device;
pub mod kernels;
pub mod libraries;
pub mod self_test;
pub mod storage;

use std::sync::OnceLock;

use crate::{bail, Result};

pub use super::status::CudaStatus;
pub use device::{allow_tf32, set_allow_tf32, CudaDevice};
pub use storage::{CudaData, CudaStorage};

/// Whether CUDA tensors can be made in this process. False until the storage lands, whatever
/// the machine has (see `status()` for what was found).
pub fn is_available() -> bool {
    false
}

/// Usable CUDA devices (0 until the storage lands).
pub fn device_count() -> usize {
    0
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
            Ok(_) => Some(
                "GPUs found, but this build cannot make CUDA tensors yet: its CUDA storage and primitive ops exist, the fused ops (recurrent layers, losses, optimizers) do not"
                    .into(),
            ),
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
    let reason = status().reason.unwrap_or_else(|| "no such device".into());
    bail!(device, "cannot use device cuda:{ordinal}: {reason}")
}
