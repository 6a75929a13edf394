//! Kernel plans: `SEQTORCH_KERNEL_PLAN` picks another family's plan, and every family's plan
//! computes the same products (this process's only test: the plan is process-wide).

use seqtorch_core::cpu_info::CpuClass;
use seqtorch_core::kernels::gemm::{sgemm, Transpose};
use seqtorch_core::kernels::plan::{plan, set_plan, KernelPlan, TileRows};

fn naive(m: usize, k: usize, n: usize, a: &[f32], ta: bool, b: &[f32]) -> Vec<f32> {
    let mut c = vec![0.0f32; m * n];
    for i in 0..m {
        for p in 0..k {
            let x = if ta { a[p * m + i] } else { a[i * k + p] };
            for j in 0..n {
                c[i * n + j] += x * b[p * n + j];
            }
        }
    }
    c
}

#[test]
fn the_environment_picks_a_plan_and_every_plan_computes_the_same_products() {
    std::env::set_var("SEQTORCH_KERNEL_PLAN", "intel-amx");
    let p = plan();
    assert_eq!(p.family, CpuClass::IntelAmx);
    assert_eq!(p.tile_rows, TileRows::Twelve);

    // Large enough for the blocked, parallel path (rows past two blocks of 192 and a
    // remainder, depth past a block), and one step-sized product; C past two bands of 256
    // columns with a masked tail, and wide (a transposed A's products in bands too).
    for (m, k, n, ta) in [
        (419, 300, 70, false),
        (419, 300, 70, true),
        (32, 64, 96, false),
        (419, 300, 600, false),
        (205, 300, 1100, true),
    ] {
        let a: Vec<f32> = (0..m * k).map(|i| ((i % 13) as f32 - 6.0) * 0.1).collect();
        let b: Vec<f32> = (0..k * n).map(|i| ((i % 7) as f32 - 3.0) * 0.2).collect();
        let want = naive(m, k, n, &a, ta, &b);
        for family in CpuClass::ALL {
            set_plan(KernelPlan::for_family(family));
            let mut c = vec![f32::NAN; m * n];
            let t = if ta { Transpose::Yes } else { Transpose::No };
            sgemm(m, k, n, &a, t, &b, Transpose::No, &mut c, 0.0);
            for (idx, (x, y)) in c.iter().zip(&want).enumerate() {
                assert!(
                    (x - y).abs() <= 1e-3 * y.abs().max(1.0),
                    "{family:?} {m}x{k}x{n} transposed {ta} at {idx}: {x} vs {y}"
                );
            }
        }
        // Bands of any width sum each element as the panel-by-panel walk does: bit for bit.
        let intel = KernelPlan::for_family(CpuClass::IntelAmx);
        let mut by_band = Vec::new();
        for column_band in [0, 32, 96, 256, 4096] {
            set_plan(KernelPlan {
                column_band,
                ..intel
            });
            let mut c = vec![f32::NAN; m * n];
            let t = if ta { Transpose::Yes } else { Transpose::No };
            sgemm(m, k, n, &a, t, &b, Transpose::No, &mut c, 0.0);
            by_band.push(c);
        }
        for c in &by_band[1..] {
            assert!(
                c.iter()
                    .zip(&by_band[0])
                    .all(|(x, y)| x.to_bits() == y.to_bits()),
                "{m}x{k}x{n} transposed {ta}: bands change the sums"
            );
        }
    }
}
