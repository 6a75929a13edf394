//! The tensor-op stack takes W_hh's gradient as one product over all steps, gathered while
//! backward runs (rnn/recurrent_product.rs). It must match the fused kernels also when only an
//! early output reaches the loss (later steps get no gradient), when the graph is kept and
//! backward runs twice (the gradients add up), and for the reverse direction, whose first
//! step is the last in time.

mod common;

use common::{rnn_weights, values};
use seqtorch_core::autograd::backward;
use seqtorch_core::rnn::{rnn_forward, rnn_forward_reference, RnnConfig, RnnInput, RnnMode};
use seqtorch_core::{Result, Tensor};

type Stack = fn(&RnnConfig, RnnInput) -> Result<seqtorch_core::rnn::RnnOutput>;

/// W_hh's gradient (every direction's) after `passes` backward passes of the output at `step`.
fn w_hh_grads(stack: Stack, cfg: &RnnConfig, step: i64, passes: usize) -> Vec<Vec<f32>> {
    let x = Tensor::from_f32(
        values(6 * 3 * cfg.input_size, 1),
        vec![6, 3, cfg.input_size],
    )
    .unwrap();
    let weights = rnn_weights(cfg);
    let out = stack(
        cfg,
        RnnInput {
            input: &x,
            batch_sizes: None,
            hx: None,
            cx: None,
            weights: &weights,
            training: true,
        },
    )
    .unwrap();
    let y = out.output.select(0, step).unwrap();
    let loss = y.mul(&y).unwrap().sum(None, false).unwrap();
    for pass in 0..passes {
        backward(&loss, None, pass + 1 < passes).unwrap();
    }
    let per_dir = cfg.weights_per_direction();
    weights
        .iter()
        .skip(1)
        .step_by(per_dir)
        .map(|w| w.grad().unwrap().to_vec_f32())
        .collect()
}

fn close(a: &[Vec<f32>], b: &[Vec<f32>], what: &str) {
    for (x, y) in a.iter().zip(b) {
        assert_eq!(x.len(), y.len());
        for (p, q) in x.iter().zip(y) {
            assert!((p - q).abs() <= 1e-5 + 1e-4 * q.abs(), "{what}: {p} vs {q}");
        }
    }
}

#[test]
fn w_hh_gradient_over_partial_and_repeated_passes_matches_the_fused_kernels() {
    for mode in [RnnMode::Lstm, RnnMode::Gru, RnnMode::Tanh] {
        let cfg = RnnConfig {
            mode,
            input_size: 4,
            hidden_size: 5,
            num_layers: 1,
            bias: true,
            batch_first: false,
            dropout: 0.0,
            bidirectional: true,
            proj_size: 0,
        };
        // Step 1 of 6: forward steps 2-5 and the reverse direction's step 0 get no gradient.
        for (step, passes) in [(1, 1), (5, 1), (1, 2)] {
            let want = w_hh_grads(rnn_forward, &cfg, step, passes);
            let got = w_hh_grads(rnn_forward_reference, &cfg, step, passes);
            assert!(want.iter().flatten().any(|&v| v != 0.0));
            close(
                &got,
                &want,
                &format!("{mode:?}, output {step}, {passes} passes"),
            );
        }
    }
}
