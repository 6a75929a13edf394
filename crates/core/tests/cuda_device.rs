//! The CUDA kernels on a real GPU against the CPU backend (strided, broadcast and transposed
//! operands). Skipped, saying why, where no GPU is usable; `SEQTORCH_REQUIRE_GPU` (set by
//! `tools/gpu_check.sh run`) turns the skip into a failure.
#![cfg(feature = "cuda")]

mod common;

use seqtorch_core::backend::cuda::self_test;

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
