//! `set_float32_matmul_precision(Medium)`: where it runs bf16 products (`cpu_bf16_products`:
//! AVX512-BF16 on AMD, AMX tiles on Intel) the recurrent products and
//! the large GEMMs run on bf16 operands (float32 sums), so outputs and every gradient move by
//! bf16 rounding (within 3% of each tensor's scale here, and not bit-identical, which proves
//! the path ran); on other CPUs nothing changes. Going back to `Highest` gives the float32
//! numbers bit for bit again (the bf16 weight packs are dropped from the cache). Its own test
//! binary: the precision is process-wide.

mod common;

use common::{rnn_config, values};
use seqtorch_core::autograd::backward;
use seqtorch_core::kernels::gemm::{sgemm, Transpose};
use seqtorch_core::precision::{
    cpu_bf16_products, float32_matmul_precision, set_float32_matmul_precision, MatmulPrecision,
};
use seqtorch_core::rnn::{rnn_forward, RnnConfig, RnnInput, RnnMode};
use seqtorch_core::Tensor;

/// The precision is process-wide and tests run in parallel: each test holds this.
static PRECISION_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Output, final states and the gradient of every leaf of one forward and backward.
fn run(cfg: &RnnConfig, x_shape: &[usize], weights: &[Tensor]) -> Vec<Vec<f32>> {
    let n: usize = x_shape.iter().product();
    let x = Tensor::from_f32(values(n, 1), x_shape.to_vec())
        .and_then(|t| t.requires_grad_(true))
        .unwrap();
    for w in weights {
        w.set_grad(None).unwrap();
    }
    let out = rnn_forward(
        cfg,
        RnnInput {
            input: &x,
            batch_sizes: None,
            hx: None,
            cx: None,
            weights,
            training: true,
        },
    )
    .unwrap();
    let y = out.output.flatten().unwrap();
    let u = Tensor::from_f32(values(y.numel(), 99), vec![y.numel()]).unwrap();
    backward(&y.mul(&u).unwrap().sum(None, false).unwrap(), None, false).unwrap();
    let mut v = vec![
        y.to_vec_f32(),
        out.h_n.to_vec_f32(),
        x.grad().unwrap().to_vec_f32(),
    ];
    v.extend(weights.iter().map(|w| w.grad().unwrap().to_vec_f32()));
    v
}

/// Largest difference relative to the larger tensor's largest magnitude.
fn relative_gap(a: &[f32], b: &[f32]) -> f32 {
    let scale = b.iter().fold(0.0f32, |s, v| s.max(v.abs())).max(1e-12);
    a.iter()
        .zip(b)
        .fold(0.0f32, |e, (x, y)| e.max((x - y).abs()))
        / scale
}

#[test]
fn medium_precision_rounds_products_to_bf16_and_highest_restores_float32() {
    let _lock = PRECISION_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    assert_eq!(float32_matmul_precision(), MatmulPrecision::Highest);
    for mode in [RnnMode::Lstm, RnnMode::Gru] {
        let cfg = RnnConfig {
            bidirectional: true,
            ..rnn_config(mode, 24, 40, 2)
        };
        let weights: Vec<Tensor> = cfg
            .weight_shapes()
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let v = values(s.iter().product(), 10 + i as u64)
                    .iter()
                    .map(|v| v * 0.3)
                    .collect();
                Tensor::from_f32(v, s.clone())
                    .and_then(|t| t.requires_grad_(true))
                    .unwrap()
            })
            .collect();
        // 32 sequences: the step products (32 x 40 x 160 and back) hold whole AMX tiles.
        let shape = [12, 32, 24];
        let exact = run(&cfg, &shape, &weights);
        let twice = run(&cfg, &shape, &weights);
        assert!(twice == exact, "{mode:?}: float32 runs repeat bit for bit");
        set_float32_matmul_precision(MatmulPrecision::Medium);
        let rounded = run(&cfg, &shape, &weights);
        set_float32_matmul_precision(MatmulPrecision::Highest);
        let again = run(&cfg, &shape, &weights);
        assert_eq!(
            again, exact,
            "{mode:?}: back at Highest, float32 results bit for bit"
        );
        if !cpu_bf16_products() {
            assert_eq!(
                rounded, exact,
                "{mode:?}: without bf16 products, Medium changes nothing"
            );
            eprintln!("no bf16 products on this processor: only the unchanged path was checked");
            continue;
        }
        for (k, (r, e)) in rounded.iter().zip(&exact).enumerate() {
            let gap = relative_gap(r, e);
            assert!(
                gap <= 3e-2,
                "{mode:?} part {k}: bf16 is {gap} of the scale away"
            );
        }
        assert_ne!(
            rounded[0], exact[0],
            "{mode:?}: Medium did not change the output"
        );
    }
}

#[test]
fn large_products_use_bf16_and_small_ones_do_not() {
    let _lock = PRECISION_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let product = |m: usize, precision| {
        let (k, n) = (96, 64);
        let (a, b) = (values(m * k, 3), values(k * n, 4));
        let mut c = vec![0.0f32; m * n];
        set_float32_matmul_precision(precision);
        sgemm(m, k, n, &a, Transpose::No, &b, Transpose::Yes, &mut c, 0.0);
        set_float32_matmul_precision(MatmulPrecision::Highest);
        c
    };
    // 2048 rows: above the bf16 threshold (and the parallel one); 64 rows: below both.
    let (big_exact, big_bf16) = (
        product(2048, MatmulPrecision::Highest),
        product(2048, MatmulPrecision::Medium),
    );
    let (small_exact, small_bf16) = (
        product(64, MatmulPrecision::Highest),
        product(64, MatmulPrecision::Medium),
    );
    assert!(small_bf16 == small_exact, "a small product stays float32");
    if cpu_bf16_products() {
        assert!(
            big_bf16 != big_exact,
            "a large product runs on bf16 operands"
        );
        assert!(relative_gap(&big_bf16, &big_exact) <= 2e-2);
    } else {
        assert!(big_bf16 == big_exact);
    }
    // High only concerns GPUs (TF32): the CPU stays float32.
    assert!(product(2048, MatmulPrecision::High) == big_exact);
}
