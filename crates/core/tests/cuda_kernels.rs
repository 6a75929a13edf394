//! Every CUDA kernel module compiles with NVRTC for the architectures seqtorch supports. Needs
//! no GPU: only libnvrtc (CI loads it from the PyPI wheel through SEQTORCH_CUDA_PATH). Without
//! it the test says it was skipped and why, unless SEQTORCH_REQUIRE_NVRTC is set (as in CI).
#![cfg(feature = "cuda")]

use seqtorch_core::backend::cuda::{kernels, libraries};

#[test]
fn every_kernel_module_compiles_for_every_supported_architecture() {
    let nvrtc = libraries::found()
        .present
        .iter()
        .any(|(name, ok)| *name == "nvrtc" && *ok);
    if !nvrtc {
        assert!(
            std::env::var_os("SEQTORCH_REQUIRE_NVRTC").is_none(),
            "SEQTORCH_REQUIRE_NVRTC is set but libnvrtc was not found (SEQTORCH_CUDA_PATH = {:?})",
            std::env::var_os("SEQTORCH_CUDA_PATH")
        );
        eprintln!(
            "skipped: libnvrtc.so not found; set SEQTORCH_CUDA_PATH to compile the CUDA kernels"
        );
        return;
    }
    for (module, _) in kernels::MODULES {
        for arch in ["compute_75", "compute_90", "compute_100"] {
            let ptx = kernels::compile(module, arch).unwrap_or_else(|e| panic!("{e}"));
            assert!(
                ptx.contains(".entry"),
                "{module} for {arch}: no kernel entry in the PTX"
            );
            assert!(
                ptx.contains(&format!(".target sm_{}", &arch[8..])),
                "{module}: wrong target"
            );
        }
    }
}

#[test]
fn a_broken_kernel_is_reported_with_the_compiler_log() {
    // The check above can fail: a source NVRTC rejects comes back as an error, not a panic.
    if !libraries::found()
        .present
        .iter()
        .any(|(n, ok)| *n == "nvrtc" && *ok)
    {
        return;
    }
    let err = kernels::compile("no_such_module", "compute_90").unwrap_err();
    assert!(
        err.message.contains("no CUDA kernel module"),
        "{}",
        err.message
    );
    let bad = "extern \"C\" __global__ void f(float* x) { x[0] = not_declared(x[1]); }";
    let err = kernels::compile_source("broken", bad, "compute_90").unwrap_err();
    assert!(err.message.contains("broken.cu"), "{}", err.message);
    assert!(
        err.message.contains("not_declared"),
        "the compiler log is missing: {}",
        err.message
    );
}

#[test]
fn status_names_what_is_missing_and_never_panics() {
    let s = seqtorch_core::backend::cuda::status();
    assert!(s.compiled);
    assert_eq!(s.libraries.len(), libraries::LIBRARIES.len());
    // Until the CUDA storage lands no device is usable, whatever the machine has.
    assert!(!seqtorch_core::backend::cuda::is_available());
    let reason = s.reason.expect("a reason while CUDA is unusable");
    let e = seqtorch_core::Device::Cuda(0)
        .ensure_available()
        .unwrap_err();
    assert!(e.message.contains(&reason), "{} / {reason}", e.message);
}
