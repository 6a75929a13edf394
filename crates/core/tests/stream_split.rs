//! A streaming step split by hidden units between threads (`rnn::stream_split`) gives the
//! serial step's results bit for bit (one row, or up to 64 rows batched: the same product
//! kernel sums each column alike), for every cell kind, one to three layers, hidden sizes that
//! do and do not divide into cache lines, with and without biases, given states or zeros,
//! unbatched and batch-first input; within float32 rounding for more rows (the serial step's
//! products then go through other kernels); also when the team is taken and the shares run on
//! the calling thread, and after a weight is written in place (the shares are rebuilt). Its own
//! process: the kernel plan is process-wide.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use common::{rnn_config, rnn_weights, values};
use seqtorch_core::autograd::NoGradGuard;
use seqtorch_core::cpu_info::CpuClass;
use seqtorch_core::kernels::gemm_ab::has_simd_kernel;
use seqtorch_core::kernels::plan::{set_plan, KernelPlan};
use seqtorch_core::rnn::{
    prepared_weight_builds, rnn_forward, rnn_step, RnnConfig, RnnInput, RnnMode,
};
use seqtorch_core::{spin_team, threads, Tensor};

/// The plan is process-wide: tests that change it take turns.
static PLAN: Mutex<()> = Mutex::new(());

fn with_split<R>(split: bool, f: impl FnOnce() -> R) -> R {
    let base = KernelPlan::for_family(CpuClass::IntelAmx);
    let min = if split { 0 } else { usize::MAX };
    set_plan(KernelPlan {
        stream_split_min_bytes: min,
        stream_split_min_work: min,
        ..base
    });
    f()
}

/// Output, h_n and c_n of one step of `cfg` from input `x` (shape `x_shape`: one step's rows
/// through `rnn_step`, or a whole one-step sequence through `rnn_forward`, batch-first as `cfg`
/// says), with given states when `states`.
fn step(cfg: &RnnConfig, weights: &[Tensor], x_shape: &[usize], states: bool) -> Vec<Vec<f32>> {
    step_in_mode(cfg, weights, x_shape, states, false)
}

fn step_in_mode(
    cfg: &RnnConfig,
    weights: &[Tensor],
    x_shape: &[usize],
    states: bool,
    training: bool,
) -> Vec<Vec<f32>> {
    let _no_grad = NoGradGuard::new();
    let dims: Vec<usize> = x_shape
        .iter()
        .copied()
        .filter(|&d| d != UNBATCHED)
        .collect();
    let n: usize = dims.iter().product();
    let x = Tensor::from_f32(values(n, 3), dims).unwrap();
    let sequence = x_shape.len() == 3 || sequence_2d(x_shape);
    let batch = match x_shape.len() {
        _ if sequence_2d(x_shape) => 1,
        1 => 1,
        2 => x_shape[0],
        _ => x_shape[if cfg.batch_first { 0 } else { 1 }],
    };
    let state_shape = if x_shape.len() == 1 || sequence_2d(x_shape) {
        vec![cfg.num_layers, cfg.hidden_size]
    } else {
        vec![cfg.num_layers, batch, cfg.hidden_size]
    };
    let len = cfg.num_layers * batch * cfg.hidden_size;
    let h = Tensor::from_f32(values(len, 5), state_shape.clone()).unwrap();
    let c = Tensor::from_f32(values(len, 7), state_shape).unwrap();
    let lstm = cfg.mode == RnnMode::Lstm;
    let inp = RnnInput {
        input: &x,
        batch_sizes: None,
        hx: states.then_some(&h),
        cx: (states && lstm).then_some(&c),
        weights,
        training,
    };
    let out = if sequence {
        rnn_forward(cfg, inp)
    } else {
        rnn_step(cfg, inp)
    }
    .unwrap();
    let mut all = vec![out.output.to_vec_f32(), out.h_n.to_vec_f32()];
    if let Some(c) = out.c_n {
        all.push(c.to_vec_f32());
    }
    all
}

/// An unbatched sequence ([steps, input]) is marked by a leading `UNBATCHED` in the shape
/// given to `step`, which it drops.
const UNBATCHED: usize = usize::MAX;

fn sequence_2d(x_shape: &[usize]) -> bool {
    x_shape.first() == Some(&UNBATCHED)
}

fn configs() -> Vec<RnnConfig> {
    let mut v = Vec::new();
    for mode in [RnnMode::Lstm, RnnMode::Gru, RnnMode::Tanh, RnnMode::Relu] {
        for (input, hidden, layers) in [(40, 256, 2), (3, 100, 1), (1, 48, 3), (64, 33, 2)] {
            v.push(rnn_config(mode, input, hidden, layers));
        }
    }
    v.push(RnnConfig {
        bias: false,
        ..rnn_config(RnnMode::Gru, 24, 64, 2)
    });
    v.push(RnnConfig {
        batch_first: true,
        ..rnn_config(RnnMode::Lstm, 24, 64, 2)
    });
    v
}

/// Exact where the serial step's products are the split's kernel (x86 with AVX2 or AVX-512);
/// elsewhere its input projection goes through the packed GEMM.
fn assert_same(split: &[Vec<f32>], serial: &[Vec<f32>], what: &str) {
    assert_close(
        split,
        serial,
        if has_simd_kernel() { 0.0 } else { 1e-6 },
        what,
    )
}

fn assert_close(split: &[Vec<f32>], serial: &[Vec<f32>], tolerance: f32, what: &str) {
    assert_eq!(split.len(), serial.len(), "{what}");
    for (a, b) in split.iter().zip(serial) {
        assert_eq!(a.len(), b.len(), "{what}");
        if tolerance == 0.0 {
            assert_eq!(a, b, "{what}");
        } else {
            for (x, y) in a.iter().zip(b) {
                assert!((x - y).abs() <= tolerance, "{what}: {x} vs {y}");
            }
        }
    }
}

#[test]
fn split_steps_match_the_serial_step() {
    let _turn = PLAN.lock().unwrap_or_else(|e| e.into_inner());
    threads::set_num_threads(2).unwrap();
    for cfg in configs() {
        let weights = rnn_weights(&cfg);
        for (x_shape, states) in [
            (vec![1, cfg.input_size], true),
            (vec![1, cfg.input_size], false),
            (vec![cfg.input_size], true),
            (vec![1, 1, cfg.input_size], true),
        ] {
            let serial = with_split(false, || step(&cfg, &weights, &x_shape, states));
            let split = with_split(true, || step(&cfg, &weights, &x_shape, states));
            let what = format!("{cfg:?}, input {x_shape:?}, states {states}");
            assert_same(&split, &serial, &what);
        }
    }
}

#[test]
fn batched_split_steps_match_the_serial_step() {
    let _turn = PLAN.lock().unwrap_or_else(|e| e.into_inner());
    threads::set_num_threads(2).unwrap();
    for cfg in configs() {
        let weights = rnn_weights(&cfg);
        let i = cfg.input_size;
        for (x_shape, states) in [
            (vec![2, i], true),
            (vec![13, i], false),
            (vec![40, i], true),
            (vec![1, 5, i], true),
            (vec![5, 1, i], true),
        ] {
            if x_shape.len() == 3 && (x_shape[0] == 1) == cfg.batch_first {
                continue; // not one step in this layout
            }
            let serial = with_split(false, || step(&cfg, &weights, &x_shape, states));
            let split = with_split(true, || step(&cfg, &weights, &x_shape, states));
            let what = format!("{cfg:?}, input {x_shape:?}, states {states}");
            assert_same(&split, &serial, &what);
        }
        // Beyond 64 rows the serial step packs its weights for other product kernels.
        let serial = with_split(false, || step(&cfg, &weights, &[100, i], true));
        let split = with_split(true, || step(&cfg, &weights, &[100, i], true));
        assert_close(&split, &serial, 2e-6, &format!("{cfg:?}, 100 rows"));
    }
}

#[test]
fn split_sequences_match_the_serial_forward() {
    let _turn = PLAN.lock().unwrap_or_else(|e| e.into_inner());
    threads::set_num_threads(2).unwrap();
    for cfg in configs() {
        let weights = rnn_weights(&cfg);
        let i = cfg.input_size;
        let (t, b) = (7, |n: usize| n);
        for (x_shape, states) in [
            (vec![t, b(1), i], true),
            (vec![t, b(3), i], false),
            (vec![t, b(15), i], true),
            (vec![b(2), t, i], true),
            (vec![UNBATCHED, t, i], true),
            (vec![40, b(1), i], true),
        ] {
            // Batch-first layouts only for the batch-first config, and the other way round.
            let leading_batch = x_shape.len() == 3 && x_shape[0] == 2;
            if leading_batch != cfg.batch_first {
                continue;
            }
            let serial = with_split(false, || step(&cfg, &weights, &x_shape, states));
            let split = with_split(true, || step(&cfg, &weights, &x_shape, states));
            let what = format!("{cfg:?}, input {x_shape:?}, states {states}");
            // The serial forward's input projection may go through the packed GEMM.
            assert_close(&split, &serial, 2e-6, &what);
        }
    }
}

#[test]
fn three_threads_split_three_ways() {
    let _turn = PLAN.lock().unwrap_or_else(|e| e.into_inner());
    threads::set_num_threads(3).unwrap();
    // 3 x 1.4 MB of weights: three shares of about 1 MB.
    let cfg = rnn_config(RnnMode::Lstm, 128, 384, 1);
    let weights = rnn_weights(&cfg);
    let serial = with_split(false, || step(&cfg, &weights, &[1, 128], true));
    let split = with_split(true, || step(&cfg, &weights, &[1, 128], true));
    assert_same(&split, &serial, "three threads");
    threads::set_num_threads(2).unwrap();
}

#[test]
fn a_taken_team_runs_the_shares_on_the_calling_thread() {
    let _turn = PLAN.lock().unwrap_or_else(|e| e.into_inner());
    threads::set_num_threads(2).unwrap();
    let cfg = rnn_config(RnnMode::Gru, 40, 128, 2);
    let weights = rnn_weights(&cfg);
    let serial = with_split(false, || step(&cfg, &weights, &[1, 40], true));
    let release = AtomicBool::new(false);
    let held = AtomicBool::new(false);
    let split = with_split(true, || {
        std::thread::scope(|s| {
            // Another thread's job holds the team until this step is done.
            s.spawn(|| {
                let job = |i: usize, _: &spin_team::SpinBarrier| {
                    if i == 0 {
                        held.store(true, Ordering::SeqCst);
                        while !release.load(Ordering::SeqCst) {
                            std::thread::yield_now();
                        }
                    }
                };
                while spin_team::run(2, &job).is_err() {}
            });
            while !held.load(Ordering::SeqCst) {
                std::thread::yield_now();
            }
            let out = step(&cfg, &weights, &[1, 40], true);
            release.store(true, Ordering::SeqCst);
            out
        })
    });
    assert_same(&split, &serial, "team taken");
}

#[test]
fn shares_follow_in_place_writes_of_the_weights() {
    let _turn = PLAN.lock().unwrap_or_else(|e| e.into_inner());
    threads::set_num_threads(2).unwrap();
    let cfg = rnn_config(RnnMode::Lstm, 32, 64, 1);
    let weights = rnn_weights(&cfg);
    let start = prepared_weight_builds();
    let before = with_split(true, || step(&cfg, &weights, &[1, 32], true));
    // W_ih's and W_hh's shares, once: fifty more steps build nothing.
    assert_eq!(prepared_weight_builds() - start, 2);
    for _ in 0..50 {
        assert_eq!(
            with_split(true, || step(&cfg, &weights, &[1, 32], true)),
            before
        );
    }
    assert_eq!(
        prepared_weight_builds() - start,
        2,
        "steps rebuilt the shares"
    );
    {
        let _no_grad = NoGradGuard::new();
        let w = weights[1].clone();
        w.add_(&w.mul_scalar(-0.5).unwrap()).unwrap();
    }
    let split = with_split(true, || step(&cfg, &weights, &[1, 32], true));
    assert_eq!(
        prepared_weight_builds() - start,
        3,
        "W_hh's shares rebuilt once"
    );
    let serial = with_split(false, || step(&cfg, &weights, &[1, 32], true));
    assert_same(&split, &serial, "after an in-place write");
    assert_ne!(before[0], split[0], "the write changed nothing");
}

#[test]
fn training_mode_dropout_between_layers_is_not_skipped() {
    use seqtorch_core::ops::random::manual_seed;
    let _turn = PLAN.lock().unwrap_or_else(|e| e.into_inner());
    threads::set_num_threads(2).unwrap();
    let cfg = RnnConfig {
        dropout: 0.5,
        ..rnn_config(RnnMode::Lstm, 32, 64, 2)
    };
    let weights = rnn_weights(&cfg);
    let run = |split: bool| {
        with_split(split, || {
            manual_seed(7);
            step_in_mode(&cfg, &weights, &[1, 32], true, true)
        })
    };
    let (split, serial) = (run(true), run(false));
    assert_same(&split, &serial, "training mode with dropout");
    let eval = with_split(true, || step(&cfg, &weights, &[1, 32], true));
    assert_ne!(split[0], eval[0], "no dropout was applied");
}
