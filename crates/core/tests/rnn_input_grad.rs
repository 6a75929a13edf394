//! The recurrent stack computes the input's gradient only when the input requires grad (data
//! usually does not), and skipping it changes no other gradient.

mod common;

use common::{rnn_weights, values};
use seqtorch_core::autograd::backward;
use seqtorch_core::rnn::{rnn_forward, RnnConfig, RnnInput, RnnMode};
use seqtorch_core::Tensor;

/// Gradients of every weight, and the input's gradient if it has one.
fn grads(cfg: &RnnConfig, input_requires_grad: bool) -> (Option<Vec<f32>>, Vec<Vec<f32>>) {
    let x = Tensor::from_f32(
        values(5 * 3 * cfg.input_size, 1),
        vec![5, 3, cfg.input_size],
    )
    .unwrap()
    .requires_grad_(input_requires_grad)
    .unwrap();
    let weights = rnn_weights(cfg);
    let out = rnn_forward(
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
    let loss = out
        .output
        .mul(&out.output)
        .unwrap()
        .sum(None, false)
        .unwrap();
    backward(&loss, None, false).unwrap();
    (
        x.grad().map(|g| g.to_vec_f32()),
        weights
            .iter()
            .map(|w| w.grad().unwrap().to_vec_f32())
            .collect(),
    )
}

#[test]
fn the_input_gradient_is_skipped_when_the_input_needs_none() {
    for mode in [RnnMode::Lstm, RnnMode::Gru, RnnMode::Tanh] {
        for (num_layers, bidirectional) in [(1, false), (2, true)] {
            let cfg = RnnConfig {
                mode,
                input_size: 6,
                hidden_size: 7,
                num_layers,
                bias: true,
                batch_first: false,
                dropout: 0.0,
                bidirectional,
                proj_size: 0,
            };
            let (dx, with_input) = grads(&cfg, true);
            let dx = dx.expect("an input that requires grad gets one");
            assert!(dx.iter().any(|&v| v != 0.0));
            let (none, without_input) = grads(&cfg, false);
            assert!(none.is_none(), "{mode:?}: the input got a gradient");
            // The weights' gradients do not depend on whether dx was computed: bit for bit.
            assert_eq!(with_input, without_input, "{mode:?} {num_layers} layers");
        }
    }
}
