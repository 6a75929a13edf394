//! Times large products with 384-1024 rows against a row-major B under this processor's plan,
//! once with B read row-major below the layout's own threshold (`wide_b_panels_min_rows` off)
//! and once as the plan packs it: how `KernelPlan::wide_b_panels_min_rows` was chosen.
//! Prints a table row per shape: GFLOP/s before, after.
//!   cargo run --release -p seqtorch-core --example b_panel_threshold [-- THREADS]

use seqtorch_core::kernels::gemm::{sgemm, Transpose};
use seqtorch_core::kernels::plan::{set_plan, KernelPlan};

mod timing;
use timing::{best_seconds, threads_arg, values};

// The allocator the Node addon uses (large buffers' pages differ from the system's).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let threads = threads_arg();
    seqtorch_core::threads::set_num_threads(threads).unwrap();
    let base = KernelPlan::for_family(seqtorch_core::cpu_info::describe().class);
    println!(
        "{}, {threads} threads: | shape | GFLOP/s before | after |",
        base.summary()
    );
    let before = KernelPlan {
        wide_b_panels_min_rows: usize::MAX,
        ..base
    };
    let plans = [before, base];
    // (m, k, n, A transposed): B of 1024-2048 columns, and two narrow ones the plan leaves alone.
    let shapes = [
        (1024, 1024, 1024, false),
        (512, 1024, 1024, false),
        (384, 1024, 1024, false),
        (768, 1024, 1024, false),
        (1024, 512, 2048, false),
        (512, 4096, 1024, true),
        (768, 2048, 1024, true),
        (384, 4096, 1024, true),
        (512, 2048, 2048, true),
        (512, 3200, 128, true),
        (1024, 512, 128, false),
    ];
    for &(m, k, n, ta) in &shapes {
        let (a, b) = (values(m * k, 0.37), values(k * n, 0.11));
        let mut c = vec![0.0f32; m * n];
        let flop = 2.0 * (m * n * k) as f64;
        let mut best = vec![f64::MAX; plans.len()];
        // Plans alternate, best of 5 rounds each: the machine's speed drifts over seconds.
        for _ in 0..5 {
            for (i, p) in plans.iter().enumerate() {
                set_plan(*p);
                best[i] = best[i].min(best_seconds(2, 0.03, &mut || {
                    sgemm(
                        m,
                        k,
                        n,
                        &a,
                        if ta { Transpose::Yes } else { Transpose::No },
                        &b,
                        Transpose::No,
                        &mut c,
                        0.0,
                    )
                }));
            }
        }
        print!("| {m}x{k}x{n}{} |", if ta { " A^T" } else { "" });
        for s in &best {
            print!(" {:.1} |", flop / s / 1e9);
        }
        println!();
    }
}
