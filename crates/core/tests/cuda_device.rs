//! The CUDA kernels on a real GPU against the CPU backend (strided, broadcast and transposed
//! operands). Skipped, saying why, where no GPU is usable; `SEQTORCH_REQUIRE_GPU` (set by
//! `tools/gpu_check.sh run`) turns the skip into a failure.
#![cfg(feature = "cuda")]

use seqtorch_core::backend::cuda::{self_test, status};

#[test]
fn kernels_on_the_gpu_match_the_cpu_backend() {
    let s = status();
    if s.driver_devices.unwrap_or(0) == 0 || !s.libraries.iter().all(|(_, ok)| *ok) {
        let why = s.reason.unwrap_or_default();
        assert!(
            std::env::var_os("SEQTORCH_REQUIRE_GPU").is_none(),
            "SEQTORCH_REQUIRE_GPU is set but no GPU is usable: {why}"
        );
        eprintln!("skipped: {why}");
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
