//! The recurrent products at the benchmark suite's sizes, single-threaded, in float32 (the
//! broadcast kernel the layers use) and with bf16 operands summed in float32 (`gemm_bf16`,
//! AVX512-BF16), beside this core's float32 FMA peak: how much the mixed-precision kernel
//! would give each case before any of it is wired into training (issue 14's optional part).
//! The bf16 time includes packing A (per call, as it would be); B is packed once, as a
//! recurrent weight would be, and that packing is timed separately.
//!   cargo run --release -p seqtorch-core --example bf16_products

use seqtorch_core::kernels::fma_peak::peak_gflops;
use seqtorch_core::kernels::gemm_ab::gemm_ab;
use seqtorch_core::kernels::gemm_bf16::{from_bf16, gemm_bf16, has_bf16_kernel, to_bf16, PackedB};
use seqtorch_core::kernels::transpose::transpose;

mod timing;
use timing::best_seconds;

fn main() {
    seqtorch_core::threads::set_num_threads(1).expect("one thread");
    if !has_bf16_kernel() {
        println!("this processor has no AVX512-BF16: gemm_bf16 runs its portable loop (not timed)");
        return;
    }
    let peak = peak_gflops(1);
    println!(
        "float32 FMA peak, one thread: {:.1} GFLOP/s ({})",
        peak.gflops,
        peak.isa.name()
    );
    println!("| rows x out x in (what) | f32 GFLOP/s | bf16 GFLOP/s | bf16 / f32 | bf16 / f32 peak | max rel. error vs f32 | pack B ms |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    // (m, n, k, what): C (m x n) = A (m x k) times the transpose of a weight stored n x k.
    let shapes = [
        (32, 128, 32, "seed-sine forward"),
        (16, 192, 64, "seed-sentiment forward"),
        (64, 512, 128, "small-lstm128 forward"),
        (64, 128, 512, "small-lstm128 backward"),
        (64, 1024, 256, "mid-lstm256 forward"),
        (64, 256, 1024, "mid-lstm256 backward"),
        (64, 2048, 512, "m-lstm512 forward"),
        (64, 512, 2048, "m-lstm512 backward"),
        (64, 1536, 512, "m-gru512 forward"),
        (512, 2048, 512, "m-lstm512 input projection, 8 steps"),
    ];
    for (m, n, k, what) in shapes {
        let a: Vec<f32> = (0..m * k)
            .map(|i| ((i * 7919) % 1000) as f32 * 1e-3 - 0.5)
            .collect();
        let w: Vec<f32> = (0..n * k)
            .map(|i| ((i * 104729) % 1000) as f32 * 1e-3 - 0.5)
            .collect();
        let wt = transpose(&w, n, k);
        let flop = 2.0 * (m * n * k) as f64;
        let mut c32 = vec![0.0f32; m * n];
        let f32_s = best_seconds(5, 0.05, || gemm_ab(m, n, k, &a, &wt, &mut c32, 0.0));
        let pack_s = best_seconds(5, 0.05, || {
            std::hint::black_box(PackedB::new(&w, k, n, true));
        });
        let packed = PackedB::new(&w, k, n, true);
        let mut c16 = vec![0.0f32; m * n];
        let bf16_s = best_seconds(5, 0.05, || {
            gemm_bf16(m, k, &a, (k, 1), &packed, &mut c16, 0.0)
        });
        // Error of the bf16 product against the float32 one, relative to the product's scale.
        let scale = c32.iter().fold(0.0f32, |s, v| s.max(v.abs())).max(1e-30);
        let err = c32
            .iter()
            .zip(&c16)
            .fold(0.0f32, |e, (x, y)| e.max((x - y).abs()))
            / scale;
        let (g32, g16) = (flop / f32_s / 1e9, flop / bf16_s / 1e9);
        println!(
            "| {m} x {n} x {k} ({what}) | {g32:.1} | {g16:.1} | {:.2} | {:.2} | {err:.1e} | {:.3} |",
            g16 / g32,
            g16 / peak.gflops,
            pack_s * 1e3
        );
    }
    // bf16 keeps 8 significant bits: one rounding of a value is at most 2^-9 relative.
    let x = 0.1f32;
    println!(
        "\nbf16(0.1) = {} (relative error {:.1e})",
        from_bf16(to_bf16(x)),
        (from_bf16(to_bf16(x)) - x).abs() / x
    );
}
