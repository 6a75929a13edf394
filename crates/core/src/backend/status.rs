//! What a process knows about CUDA, for `cuda.status()`: whether the backend is compiled in,
//! which libraries were found, how many GPUs the driver reports, and why CUDA cannot be used.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CudaStatus {
    /// Built with the `cuda` feature.
    pub compiled: bool,
    /// Each library the backend loads, and whether this process can load it.
    pub libraries: Vec<(String, bool)>,
    /// Files loaded from `SEQTORCH_CUDA_PATH`.
    pub preloaded: Vec<String>,
    /// GPUs the driver reports (None when the driver could not be asked).
    pub driver_devices: Option<usize>,
    /// Why no CUDA device can be used, when none can.
    pub reason: Option<String>,
}

impl CudaStatus {
    pub fn not_compiled() -> CudaStatus {
        CudaStatus {
            compiled: false,
            libraries: Vec::new(),
            preloaded: Vec::new(),
            driver_devices: None,
            reason: Some(
                "this seqtorch build has no CUDA backend (it was compiled without the `cuda` feature)"
                    .into(),
            ),
        }
    }
}
