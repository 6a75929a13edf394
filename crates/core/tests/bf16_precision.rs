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

/// The layer's weights as leaves, scaled to keep the gates off saturation; seeds from `seed`.
fn leaf_weights(cfg: &RnnConfig, seed: u64) -> Vec<Tensor> {
    cfg.weight_shapes()
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let v = values(s.iter().product(), seed + i as u64)
                .iter()
                .map(|v| v * 0.3)
                .collect();
            Tensor::from_f32(v, s.clone())
                .and_then(|t| t.requires_grad_(true))
                .unwrap()
        })
        .collect()
}

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
        let weights = leaf_weights(&cfg, 10);
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

#[test]
fn a_shared_transposed_a_gives_sgemm_s_products_over_any_even_range() {
    use seqtorch_core::kernels::bf16_shared_a::{sgemm_shared_a, SharedA};
    let _lock = PRECISION_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    set_float32_matmul_precision(MatmulPrecision::Medium);
    // dG^T of a layer with 320 gate rows over 6400 steps x sequences, against 96 columns.
    let (m, total, n) = (320, 6400, 96);
    let (a, b) = (values(m * total, 21), values(total * n, 22));
    let Some(shared) = SharedA::transposed_for_tiles(&a, m, total, n) else {
        set_float32_matmul_precision(MatmulPrecision::Highest);
        eprintln!("no bf16 products on AMX tiles here: nothing is shared, nothing to check");
        return;
    };
    // Ranges that `sgemm` runs on bf16 tiles: the whole depth, from an even start to the end,
    // a range ending inside a pair; beta 0, 1 and another. An odd start, or a range whose
    // product `sgemm` keeps in float32 (one batch of 64 rows), is not served.
    assert!(!shared.serves(63, 64, n) && !shared.serves(6336, 64, n));
    for (p0, k, beta) in [(0, total, 0.0), (64, total - 64, 1.0), (2, 4001, 0.5)] {
        assert!(shared.serves(p0, k, n));
        let c0: Vec<f32> = values(m * n, 23);
        let (mut got, mut want) = (c0.clone(), c0);
        sgemm_shared_a(&shared, p0, k, n, &b, &mut got, beta);
        sgemm(
            m,
            k,
            n,
            &a[p0 * m..],
            Transpose::Yes,
            &b,
            Transpose::No,
            &mut want,
            beta,
        );
        assert!(
            got == want,
            "depth {p0}..{}, beta {beta}: the same products as sgemm's",
            p0 + k
        );
    }
    set_float32_matmul_precision(MatmulPrecision::Highest);
}

#[test]
fn an_lstm_whose_weight_gradients_share_dg_stays_within_bf16_of_float32() {
    let _lock = PRECISION_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    // 256 gate rows x 640 steps x sequences x 64 columns: large enough for both weight
    // gradients (dW_hh over the 608 later rows) to run on bf16 (2^23 multiply-adds), so on AMX
    // tiles dG^T is packed once for both.
    let cfg = rnn_config(RnnMode::Lstm, 64, 64, 1);
    let weights = leaf_weights(&cfg, 30);
    let shape = [20, 32, 64];
    let exact = run(&cfg, &shape, &weights);
    set_float32_matmul_precision(MatmulPrecision::Medium);
    let rounded = run(&cfg, &shape, &weights);
    set_float32_matmul_precision(MatmulPrecision::Highest);
    if !cpu_bf16_products() {
        assert_eq!(
            rounded, exact,
            "without bf16 products, Medium changes nothing"
        );
        return;
    }
    for (k, (r, e)) in rounded.iter().zip(&exact).enumerate() {
        let gap = relative_gap(r, e);
        assert!(gap <= 3e-2, "part {k}: bf16 is {gap} of the scale away");
    }
    assert_ne!(rounded, exact, "Medium did not change the results");
}

#[test]
fn the_bf16_input_projection_packs_w_ih_once_per_weight_version() {
    use seqtorch_core::rnn::prepared_weight_builds;
    let _lock = PRECISION_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    // 640 rows x 64 inputs x 256 gates: the input projection runs on bf16 at Medium.
    let cfg = rnn_config(RnnMode::Lstm, 64, 64, 1);
    let weights = leaf_weights(&cfg, 40);
    let shape = [20, 32, 64];
    set_float32_matmul_precision(MatmulPrecision::Medium);
    let first_builds = prepared_weight_builds();
    let first = run(&cfg, &shape, &weights);
    let built = prepared_weight_builds() - first_builds;
    let again_builds = prepared_weight_builds();
    let again = run(&cfg, &shape, &weights);
    let rebuilt = prepared_weight_builds() - again_builds;
    set_float32_matmul_precision(MatmulPrecision::Highest);
    assert!(again == first, "the prepared pack gives the same numbers");
    if !cpu_bf16_products() {
        return;
    }
    // W_hh's bf16 packs and W_ih^T's, once; the same weights again build nothing.
    assert_eq!(built, 2, "W_hh and W_ih packed for bf16 once each");
    assert_eq!(rebuilt, 0, "an unchanged weight is not packed again");
}
