//! Times the per-step recurrent products at the benchmark suite's sizes, single-threaded:
//! the broadcast kernel the recurrent layers use (`gemm_ab`) against the packed GEMM.
//!   cargo run --release -p seqtorch-core --example step_products

use seqtorch_core::kernels::gemm::{sgemm, sgemm_packed, Transpose};
use seqtorch_core::kernels::gemm_ab::{gemm_ab, gemm_ab_blocked, BlockedB};
use seqtorch_core::kernels::transpose::transpose;

mod timing;
use timing::best_seconds;

/// Best GFLOP/s of `f` (best of 5 rounds of about 50 ms).
fn gflops(flop: f64, f: impl FnMut()) -> f64 {
    flop / best_seconds(5, 0.05, f) / 1e9
}

fn main() {
    seqtorch_core::threads::set_num_threads(1).expect("one thread");
    println!("| rows x out x in (what) | gemm_ab | packed |");
    println!("|---|---:|---:|");
    // (m, n, k, what): C (m x n) = A (m x k) times the transpose of a weight stored n x k.
    let shapes = [
        (32, 128, 32, "seed-sine forward"),
        (32, 32, 128, "seed-sine backward"),
        (16, 192, 64, "seed-sentiment forward"),
        (16, 64, 192, "seed-sentiment backward"),
        (32, 512, 128, "small-lstm128 forward"),
        (32, 128, 512, "small-lstm128 backward"),
        (32, 1024, 256, "mid-lstm256 forward"),
        (32, 256, 1024, "mid-lstm256 backward"),
        (32, 2048, 512, "m-lstm512 forward"),
        (32, 512, 2048, "m-lstm512 backward"),
        (32, 1536, 512, "m-gru512 forward"),
        (32, 512, 1536, "m-gru512 backward"),
    ];
    for (m, n, k, what) in shapes {
        let a: Vec<f32> = (0..m * k).map(|i| (i % 17) as f32 * 0.01).collect();
        let w: Vec<f32> = (0..n * k).map(|i| (i % 13) as f32 * 0.01).collect();
        let wt = transpose(&w, n, k);
        let mut c = vec![0.0f32; m * n];
        let flop = 2.0 * (m * n * k) as f64;
        let ab = gflops(flop, || gemm_ab(m, n, k, &a, &wt, &mut c, 0.0));
        let packed = gflops(flop, || {
            sgemm_packed(m, k, n, &a, Transpose::No, &w, Transpose::Yes, &mut c, 0.0)
        });
        println!("| {m} x {n} x {k} ({what}) | {ab:.1} | {packed:.1} |");
    }

    // Whole-sequence products of the seed cases (rows = batch x steps), through `sgemm`
    // (which picks the unpacked kernel at these sizes) and the packed GEMM.
    println!();
    println!("| m x k x n, op(A) op(B) (what) | sgemm | packed |");
    println!("|---|---:|---:|");
    let (no, yes) = (Transpose::No, Transpose::Yes);
    let sequence = [
        (640, 1, 128, no, yes, "sine: input projection"),
        (640, 128, 1, no, no, "sine: input gradient"),
        (128, 640, 32, yes, no, "sine: W_hh gradient"),
        (160, 32, 192, no, yes, "sentiment 1: input projection"),
        (160, 192, 32, no, no, "sentiment 1: input gradient"),
        (192, 160, 32, yes, no, "sentiment 1: W_ih gradient"),
        (192, 160, 64, yes, no, "sentiment: W_hh gradient"),
        (160, 128, 192, no, yes, "sentiment 2: input projection"),
        (160, 192, 128, no, no, "sentiment 2: input gradient"),
        (192, 160, 128, yes, no, "sentiment 2: W_ih gradient"),
    ];
    for (m, k, n, ta, tb, what) in sequence {
        let a: Vec<f32> = (0..m * k).map(|i| (i % 17) as f32 * 0.01).collect();
        let b: Vec<f32> = (0..k * n).map(|i| (i % 13) as f32 * 0.01).collect();
        let mut c = vec![0.0f32; m * n];
        let flop = 2.0 * (m * n * k) as f64;
        let unpacked = gflops(flop, || sgemm(m, k, n, &a, ta, &b, tb, &mut c, 0.0));
        let packed = gflops(flop, || sgemm_packed(m, k, n, &a, ta, &b, tb, &mut c, 0.0));
        let op = |t| if t == Transpose::Yes { "T" } else { "N" };
        println!(
            "| {m} x {k} x {n}, {}{} ({what}) | {unpacked:.1} | {packed:.1} |",
            op(ta),
            op(tb)
        );
    }

    // Whole-sequence products of the larger cases, two threads: blocked broadcast kernel
    // against the packed GEMM.
    seqtorch_core::threads::set_num_threads(2).expect("two threads");
    println!();
    println!("| m x k x n, op(A) (what), 2 threads | blocked | packed |");
    println!("|---|---:|---:|");
    let big = [
        (3200, 128, 512, no, "small-lstm128: input projection"),
        (3200, 512, 128, no, "small-lstm128: input gradient"),
        (512, 3200, 128, yes, "small-lstm128: weight gradients"),
        (
            6400,
            256,
            1024,
            no,
            "mid-lstm256: input projection (layer 2)",
        ),
        (6400, 1024, 256, no, "mid-lstm256: input gradient (layer 2)"),
        (1024, 6400, 256, yes, "mid-lstm256: weight gradients"),
        (6400, 512, 2048, no, "m-lstm512: input projection"),
        (6400, 2048, 512, no, "m-lstm512: input gradient"),
        (2048, 6400, 512, yes, "m-lstm512: weight gradients"),
    ];
    for (m, k, n, ta, what) in big {
        let a: Vec<f32> = (0..m * k).map(|i| (i % 17) as f32 * 0.01).collect();
        let b: Vec<f32> = (0..k * n).map(|i| (i % 13) as f32 * 0.01).collect();
        let mut c = vec![0.0f32; m * n];
        let flop = 2.0 * (m * n * k) as f64;
        let strides = if ta == Transpose::Yes { (1, m) } else { (k, 1) };
        let blocked = gflops(flop, || {
            gemm_ab_blocked(m, n, k, &a, strides, BlockedB::Rows(&b), &mut c, 0.0, true)
        });
        let packed = gflops(flop, || sgemm_packed(m, k, n, &a, ta, &b, no, &mut c, 0.0));
        let op = if ta == Transpose::Yes { "T" } else { "N" };
        println!("| {m} x {k} x {n}, {op} ({what}) | {blocked:.1} | {packed:.1} |");
    }

    // A Linear layer with few rows and a large weight, forward (x W^T) and backward (dY W,
    // dY^T x): `sgemm` against the packed GEMM.
    println!();
    println!("| m x k x n, op(A) op(B) (what), 2 threads | sgemm | packed |");
    println!("|---|---:|---:|");
    for (m, k, n, ta, tb, what) in [
        (
            64,
            4096,
            4096,
            no,
            yes,
            "Linear 4096 -> 4096, batch 64: forward",
        ),
        (64, 4096, 4096, no, no, "same: input gradient"),
        (4096, 64, 4096, yes, no, "same: weight gradient"),
        (
            512,
            1024,
            1024,
            no,
            yes,
            "Linear 1024 -> 1024, batch 512: forward",
        ),
        (1024, 512, 1024, yes, no, "same: weight gradient"),
    ] {
        let a: Vec<f32> = (0..m * k).map(|i| (i % 17) as f32 * 0.01).collect();
        let w: Vec<f32> = (0..k * n).map(|i| (i % 13) as f32 * 0.01).collect();
        let mut c = vec![0.0f32; m * n];
        let flop = 2.0 * (m * n * k) as f64;
        let ours = gflops(flop, || sgemm(m, k, n, &a, ta, &w, tb, &mut c, 0.0));
        let packed = gflops(flop, || sgemm_packed(m, k, n, &a, ta, &w, tb, &mut c, 0.0));
        let op = |t| if t == Transpose::Yes { "T" } else { "N" };
        println!(
            "| {m} x {k} x {n}, {}{} ({what}) | {ours:.1} | {packed:.1} |",
            op(ta),
            op(tb)
        );
    }
}
