//! What the benchmark records about the processor: its description and its measured FMA peak.

use napi::bindgen_prelude::*;
use napi_derive::napi;
use seqtorch_core::cpu_info;
use seqtorch_core::kernels::fma_peak;

use crate::convert::int;
use crate::error::guard;

#[napi(object)]
pub struct CpuDescription {
    pub vendor: String,
    pub brand: String,
    pub family: u32,
    pub model: u32,
    /// The microarchitecture family the kernels distinguish (`zen4`, `intel-amx`, ...).
    pub microarchitecture: String,
    pub features: Vec<String>,
    /// The float32 kernels' plan in use (tile, cache blocks, threading threshold, layout
    /// choices), e.g. `zen4: tile 8x32, blocks 128x256, threads from 2^23` or `intel-amx: tile
    /// 12x32, blocks 192x256 in bands of 256, threads from 2^23, W_hh in panels, A^T in panels`.
    pub kernel_plan: String,
    /// Logical CPUs sharing a core (2 with hyperthreading), where the OS says.
    pub threads_per_core: Option<u32>,
}

#[napi]
pub fn cpu_description() -> CpuDescription {
    let d = cpu_info::describe();
    CpuDescription {
        vendor: d.vendor,
        brand: d.brand,
        family: d.family,
        model: d.model,
        microarchitecture: d.class.name().into(),
        features: d.features.iter().map(|f| f.to_string()).collect(),
        kernel_plan: seqtorch_core::kernels::plan::plan().summary(),
        threads_per_core: cpu_info::threads_per_core().map(|n| n as u32),
    }
}

#[napi(object)]
pub struct FmaPeak {
    /// The widest instruction set that reached the peak (`avx512`, `avx2`, `scalar`).
    pub isa: String,
    pub threads: u32,
    pub gflops: f64,
}

/// Single-precision peak of `threads` threads running a register-only FMA loop (about a
/// second per instruction set; blocks the calling thread).
#[napi]
pub fn fma_peak_gflops(env: Env, threads: f64) -> Result<FmaPeak> {
    guard(&env, || {
        let n = int("fmaPeakGflops", "threads", threads)?;
        if !(1..=1024).contains(&n) {
            seqtorch_core::bail!(range, "fmaPeakGflops expects 1 to 1024 threads, got {n}");
        }
        let p = fma_peak::peak_gflops(n as usize);
        Ok(FmaPeak {
            isa: p.isa.name().into(),
            threads: p.threads as u32,
            gflops: p.gflops,
        })
    })
}
