//! The kernel plan's layouts for the recurrent products: W_hh in panels for the step products,
//! a transposed A (the weight gradients' dG^T) in panels or in place, and the whole AVX2 plan
//! give the very same outputs and gradients as row-major W_hh and A fetched in place (the same
//! sums in the same order); the weight gradients through the packed GEMM the same within
//! float32 rounding; for every cell kind, projections, both directions and packed batches.
//! Its own process: the plan is process-wide.

mod common;

use common::{rnn_config, rnn_results as run};
use seqtorch_core::cpu_info::CpuClass;
use seqtorch_core::kernels::plan::{set_plan, KernelPlan, TransposedA};
use seqtorch_core::rnn::{prepared_weight_builds, RnnConfig, RnnMode};

fn configs() -> Vec<RnnConfig> {
    let base = RnnConfig {
        bidirectional: true,
        ..rnn_config(RnnMode::Lstm, 9, 40, 2)
    };
    vec![
        base.clone(),
        RnnConfig {
            proj_size: 17,
            ..base.clone()
        },
        RnnConfig {
            mode: RnnMode::Gru,
            ..base.clone()
        },
        RnnConfig {
            mode: RnnMode::Tanh,
            bidirectional: false,
            ..base
        },
    ]
}

/// Every output and gradient of every configuration, padded and packed; with the input's
/// gradient and zero initial states, and without it and with given states (then no layer
/// keeps dG row-major for the first layer's input gradient, and the first step's weight
/// gradient terms are not zero).
fn all_results() -> Vec<Vec<Vec<f32>>> {
    // 13 sequences (not a multiple of any tile height) of lengths 7 down to 3 when packed.
    let bs: Vec<usize> = (0..7)
        .map(|t| if t < 3 { 13 } else { 13 - 2 * (t - 2) })
        .collect();
    let rows: usize = bs.iter().sum();
    let mut all = Vec::new();
    for cfg in configs() {
        for (input_grad, states) in [(true, false), (false, true)] {
            all.push(run(&cfg, &[7, 13, 9], None, input_grad, states));
            all.push(run(&cfg, &[rows, 9], Some(&bs), input_grad, states));
        }
    }
    all
}

#[test]
fn step_panels_and_the_avx2_plan_match_row_major_weights() {
    // Small products count as large here, so the blocked and packed routes run too.
    let rows_plan = KernelPlan {
        parallel_min_work: 1 << 12,
        step_panels: false,
        transposed_a: TransposedA::Fetched,
        ..KernelPlan::for_family(CpuClass::Zen4)
    };
    set_plan(rows_plan);
    let want = all_results();

    // Layouts that keep every sum's terms and order: the very same numbers.
    let avx2 = KernelPlan::for_family(CpuClass::X86Avx2);
    assert!(avx2.step_panels && avx2.transposed_a == TransposedA::Panels);
    let same_sums = [
        (
            "W_hh in panels",
            KernelPlan {
                step_panels: true,
                ..rows_plan
            },
        ),
        (
            "A^T in panels",
            KernelPlan {
                transposed_a: TransposedA::Panels,
                ..rows_plan
            },
        ),
        (
            "A^T in place",
            KernelPlan {
                transposed_a: TransposedA::InPlace,
                ..rows_plan
            },
        ),
        (
            "the AVX2 plan",
            KernelPlan {
                parallel_min_work: 1 << 12,
                ..avx2
            },
        ),
    ];
    for (name, plan) in same_sums {
        let builds = prepared_weight_builds();
        set_plan(plan);
        let got = all_results();
        if plan.step_panels {
            assert!(
                prepared_weight_builds() > builds,
                "{name}: no W_hh was packed"
            );
        }
        for (c, (got, want)) in got.iter().zip(&want).enumerate() {
            for (t, (x, y)) in got.iter().zip(want).enumerate() {
                assert_eq!(x, y, "{name}, case {c}, tensor {t}");
            }
        }
    }

    // The packed GEMM sums in its own order: equal within float32 rounding.
    set_plan(KernelPlan {
        transposed_a: TransposedA::PackedGemm,
        ..rows_plan
    });
    for (c, (got, want)) in all_results().iter().zip(&want).enumerate() {
        for (t, (x, y)) in got.iter().zip(want).enumerate() {
            assert_eq!(x.len(), y.len());
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                assert!(
                    (p - q).abs() <= 1e-5 + 1e-5 * q.abs(),
                    "A^T packed, case {c}, tensor {t}[{i}]: {p} vs {q}"
                );
            }
        }
    }
}
