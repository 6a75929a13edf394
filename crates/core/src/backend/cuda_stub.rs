//! Builds without the `cuda` feature: no CUDA code at all. Asking for a CUDA device says the
//! backend is not compiled in.

use crate::{bail, Result};

pub use super::cuda_types::{CudaDevice, CudaStorage};
pub use super::memory_stats::MemoryStats;
pub use super::status::CudaStatus;

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

/// TF32 has no meaning without a GPU backend: accepted and ignored.
pub fn set_allow_tf32(_allow: bool) {}

/// What this build knows about CUDA: not compiled in.
pub fn status() -> CudaStatus {
    CudaStatus::not_compiled()
}

/// No GPU memory to report: the same error as using the device.
pub fn memory_stats(ordinal: usize) -> Result<MemoryStats> {
    ensure_device(ordinal).map(|()| MemoryStats::default())
}

pub fn reset_peak_memory_stats(ordinal: usize) -> Result<()> {
    ensure_device(ordinal)
}

pub fn empty_cache(ordinal: usize) -> Result<()> {
    ensure_device(ordinal)
}

pub fn synchronize(ordinal: usize) -> Result<()> {
    ensure_device(ordinal)
}

/// The fused ops' kernel launchers (`cuda/launch.rs`); never reached, since no CUDA tensor exists.
pub mod launch {
    use crate::{bail, Result, Tensor};

    pub fn launch_f32(
        ordinal: usize,
        _module: &'static str,
        _kernel: &str,
        _outputs: &[&[usize]],
        _inputs: &[&Tensor],
        _params: &[u64],
        _n: usize,
    ) -> Result<Vec<Tensor>> {
        bail!(
            device,
            "cannot use device cuda:{ordinal}: {}",
            super::NOT_COMPILED
        )
    }

    #[allow(clippy::too_many_arguments)]
    pub fn launch_f32_blocks(
        ordinal: usize,
        _module: &'static str,
        _kernel: &str,
        _outputs: &[&[usize]],
        _inputs: &[&Tensor],
        _params: &[u64],
        _shape: (u32, u32, u32),
    ) -> Result<Vec<Tensor>> {
        bail!(
            device,
            "cannot use device cuda:{ordinal}: {}",
            super::NOT_COMPILED
        )
    }

    pub fn launch_in_place(
        ordinal: usize,
        _module: &'static str,
        _kernel: &str,
        _targets: &[&Tensor],
        _inputs: &[&Tensor],
        _args: &crate::backend::kernel_args::KernelArgs,
        _n: usize,
    ) -> Result<()> {
        bail!(
            device,
            "cannot use device cuda:{ordinal}: {}",
            super::NOT_COMPILED
        )
    }
}
