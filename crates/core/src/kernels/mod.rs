//! CPU kernels: dense matrix products and the parallel helpers they use.

pub mod gemm;
