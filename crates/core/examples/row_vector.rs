//! Times one-row products (a streaming step's matrix-vector products) at the streaming bench's
//! shapes, B resident in L2 or streamed from L3.
//!
//!     cargo run --release -p seqtorch-core --example row_vector

use std::time::Instant;

use seqtorch_core::kernels::gemm_ab::gemm_ab;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    // (k, n) of the GRU(128 -> 256, 2 layers) step: W_ih^T of each layer and W_hh^T.
    let shapes = [(128usize, 768usize), (256, 768), (256, 768), (256, 768)];
    let mats: Vec<Vec<f32>> = shapes
        .iter()
        .map(|&(k, n)| (0..k * n).map(|i| ((i % 13) as f32 - 6.0) * 0.01).collect())
        .collect();
    let a = vec![0.5f32; 256];
    let mut c = vec![0.0f32; 768];
    for round in 0..3 {
        let reps = 20_000;
        let t = Instant::now();
        for _ in 0..reps {
            for ((k, n), b) in shapes.iter().zip(&mats) {
                gemm_ab(1, *n, *k, &a[..*k], b, &mut c[..*n], 0.0);
            }
        }
        let us = t.elapsed().as_secs_f64() * 1e6 / reps as f64;
        let bytes: usize = shapes.iter().map(|(k, n)| k * n * 4).sum();
        println!(
            "round {round}: all four products {us:.1} µs per step ({:.1} GB/s of weights)",
            bytes as f64 / us / 1e3
        );
    }
}
