//! Compiles the CUDA kernel sources of seqtorch-core as C++ for the host (host/cuda_host.h
//! stands in for the CUDA built-ins).

fn main() {
    let kernels = "../core/src/backend/cuda/kernels";
    println!("cargo:rerun-if-changed={kernels}");
    println!("cargo:rerun-if-changed=host");
    cc::Build::new()
        .cpp(true)
        .std("c++17")
        .file("host/kernels.cpp")
        .include("host")
        .include(kernels)
        // The kernels' float math as written: no fused multiply-adds the GPU would not do either
        // way, so differences stay within the tests' tolerances.
        .flag_if_supported("-ffp-contract=off")
        .compile("seqtorch_cuda_kernels_host");
}
