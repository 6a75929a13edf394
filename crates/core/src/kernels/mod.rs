//! CPU kernels: dense matrix products, vectorisable activations and the parallel helpers they use.

pub mod activation;
pub mod amx;
pub mod bf16_shared_a;
pub(crate) mod dispatch;
pub mod fma_peak;
pub mod gemm;
pub mod gemm_ab;
pub mod gemm_bf16;
pub mod panel_a;
pub mod panel_b;
pub mod plan;
pub mod row_split;
pub mod transpose;
