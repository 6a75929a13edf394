//! Times the float32 products that matter (a recurrent step's products per thread, the input
//! projection and the weight gradients over all steps) under every family's kernel plan and a
//! few variants, on this machine: how a family's plan is chosen and checked
//! (kernels/plan.rs). Prints the processor, its FMA peak, and GFLOP/s per plan and shape.
//!   cargo run --release -p seqtorch-core --example kernel_plans [-- THREADS]

use seqtorch_core::cpu_info::{describe, CpuClass};
use seqtorch_core::kernels::fma_peak::peak_gflops;
use seqtorch_core::kernels::gemm::{sgemm, Transpose};
use seqtorch_core::kernels::gemm_ab::{gemm_ab, gemm_panels};
use seqtorch_core::kernels::panel_b::PanelB;
use seqtorch_core::kernels::plan::{plan, set_plan, KernelPlan, TileRows, TransposedA};

mod timing;
use timing::{best_seconds, threads_arg, values};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let threads = threads_arg();
    let cpu = describe();
    let peak1 = peak_gflops(1);
    let peak = peak_gflops(threads);
    println!(
        "{} ({}), FMA peak {:.1} GFLOP/s on 1 thread ({}), {:.1} on {threads}",
        cpu.brand,
        cpu.class.name(),
        peak1.gflops,
        peak1.isa.name(),
        peak.gflops
    );
    let mut plans: Vec<KernelPlan> = [CpuClass::Zen4, CpuClass::IntelAmx, CpuClass::X86Avx2]
        .into_iter()
        .map(KernelPlan::for_family)
        .collect();
    // The Intel plan with each AVX2-plan layout choice (W_hh in panels; a transposed A in
    // panels), unmeasured on Intel so far, and each family's AVX-512 plan with the other ways
    // of reading a transposed A.
    let intel = KernelPlan::for_family(CpuClass::IntelAmx);
    plans.push(KernelPlan {
        step_panels: true,
        ..intel
    });
    for base in [intel, KernelPlan::for_family(CpuClass::Zen4)] {
        for transposed_a in [TransposedA::Panels, TransposedA::PackedGemm] {
            plans.push(KernelPlan {
                transposed_a,
                ..base
            });
        }
    }
    for (tile_rows, block_rows, block_depth) in [
        (TileRows::Twelve, 192, 128),
        (TileRows::Twelve, 192, 512),
        (TileRows::Eight, 256, 256),
        (TileRows::Eight, 128, 512),
    ] {
        plans.push(KernelPlan {
            tile_rows,
            block_rows,
            block_depth,
            ..KernelPlan::for_family(CpuClass::Other)
        });
    }
    // (m, k, n, A transposed, what): one thread's rows of a step at batch 64 on 2 threads,
    // then whole-sequence products of small-lstm128 and m-lstm512 on all threads.
    let step_shapes = [
        (32, 128, 512, "small-lstm128 step forward"),
        (32, 512, 128, "small-lstm128 step backward"),
        (32, 256, 1024, "mid-lstm256 step forward"),
        (32, 512, 2048, "m-lstm512 step forward"),
        (32, 2048, 512, "m-lstm512 step backward"),
    ];
    let large_shapes = [
        (3200, 128, 512, false, "small-lstm128 input projection"),
        (512, 3200, 128, true, "small-lstm128 weight gradient"),
        (6400, 512, 2048, false, "m-lstm512 input projection"),
        (2048, 6400, 512, true, "m-lstm512 weight gradient"),
    ];
    // Plans alternate within each shape, best of 7 rounds each: this project's machines are
    // shared, and their speed drifts over seconds.
    let mut rates = vec![Vec::new(); plans.len()];
    let mut time = |threads: usize, flop: f64, f: &mut dyn FnMut()| {
        seqtorch_core::threads::set_num_threads(threads).expect("threads");
        let mut best = vec![f64::MAX; plans.len()];
        for _ in 0..7 {
            for (i, plan) in plans.iter().enumerate() {
                set_plan(*plan);
                best[i] = best[i].min(best_seconds(2, 0.02, &mut *f));
            }
        }
        for (r, s) in rates.iter_mut().zip(best) {
            r.push(flop / s / 1e9);
        }
    };
    for &(m, k, n, _) in &step_shapes {
        let (a, b) = (values(m * k, 0.37), values(k * n, 0.11));
        // W_hh as the plan's step products read it (packed once per weight version).
        let panels = PanelB::pack(&b, k, n, false, false);
        let mut c = vec![0.0f32; m * n];
        let flop = 2.0 * (m * n * k) as f64;
        time(1, flop, &mut || {
            if plan().step_panels {
                gemm_panels(m, k, &a, (k, 1), &panels, 0, &mut c, 0.0)
            } else {
                gemm_ab(m, n, k, &a, &b, &mut c, 0.0)
            }
        });
    }
    for &(m, k, n, ta, _) in &large_shapes {
        let (a, b) = (values(m * k, 0.37), values(k * n, 0.11));
        let mut c = vec![0.0f32; m * n];
        let ta = if ta { Transpose::Yes } else { Transpose::No };
        let flop = 2.0 * (m * n * k) as f64;
        time(threads, flop, &mut || {
            sgemm(m, k, n, &a, ta, &b, Transpose::No, &mut c, 0.0)
        });
    }
    print!("| plan |");
    for (.., what) in &step_shapes {
        print!(" {what} (1 thread) |");
    }
    for (.., what) in &large_shapes {
        print!(" {what} ({threads} threads) |");
    }
    println!();
    println!(
        "|---|{}",
        "---:|".repeat(step_shapes.len() + large_shapes.len())
    );
    for (plan, r) in plans.iter().zip(&rates) {
        print!("| {} |", plan.summary());
        r.iter().for_each(|g| print!(" {g:.1} |"));
        println!();
    }
}
