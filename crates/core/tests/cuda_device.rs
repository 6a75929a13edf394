//! The CUDA kernels on a real GPU against the CPU backend (strided, broadcast and transposed
//! operands). Skipped, saying why, where no GPU is usable; `SEQTORCH_REQUIRE_GPU` (set by
//! `tools/gpu_check.sh run`) turns the skip into a failure.
#![cfg(feature = "cuda")]

mod common;

use seqtorch_core::backend::cuda::{self_test, CudaDevice};
use seqtorch_core::backend::BackendDevice;
use seqtorch_core::DType;

#[test]
fn kernels_on_the_gpu_match_the_cpu_backend() {
    if !common::gpu_usable() {
        return;
    }
    let results = self_test::run(0).unwrap_or_else(|e| panic!("{e}"));
    for r in &results {
        eprintln!("cuda:0 {}: max |gpu - cpu| = {:e}", r.name, r.max_abs_diff);
        // The CPU's tanh/sigmoid are vectorised approximations (abs. error <= 2e-7 on [-1, 1]
        // of the result); CUDA's are libdevice's.
        assert!(r.max_abs_diff <= 1e-5, "{}: {:e}", r.name, r.max_abs_diff);
    }
    assert_eq!(results.len(), 8);
}

#[test]
fn the_memory_pool_reports_what_buffers_hold() {
    if !common::gpu_usable() {
        return;
    }
    let dev = CudaDevice::open(0).unwrap_or_else(|e| panic!("opening cuda:0: {e}"));
    dev.empty_cache().unwrap();
    dev.reset_peak_memory_stats().unwrap();
    let before = dev.memory_stats().unwrap();
    const ELEMENTS: usize = 16 << 20;
    const BYTES: u64 = 4 * ELEMENTS as u64;
    let buffer = dev.zeros(&[ELEMENTS], DType::F32).unwrap();
    let held = dev.memory_stats().unwrap();
    eprintln!("before {before:?}, holding 64 MiB {held:?}");
    assert!(held.allocated >= before.allocated + BYTES, "{held:?}");
    assert!(held.peak_allocated >= held.allocated, "{held:?}");
    assert!(held.reserved >= held.allocated, "{held:?}");
    drop(buffer);
    let freed = dev.memory_stats().unwrap();
    eprintln!("freed {freed:?}");
    assert!(freed.allocated + BYTES <= held.allocated, "{freed:?}");
    assert!(
        freed.peak_allocated >= held.allocated,
        "the peak remembers: {freed:?}"
    );
    // The pool keeps freed memory for reuse (release threshold: never) until emptied.
    assert!(freed.reserved >= BYTES, "{freed:?}");
    dev.reset_peak_memory_stats().unwrap();
    let reset = dev.memory_stats().unwrap();
    assert_eq!(reset.peak_allocated, reset.allocated, "{reset:?}");
    dev.empty_cache().unwrap();
    let emptied = dev.memory_stats().unwrap();
    eprintln!("emptied {emptied:?}");
    assert!(emptied.reserved + BYTES <= freed.reserved, "{emptied:?}");
    dev.synchronize().unwrap();
}
