//! Gradients of the fused recurrent stack (outputs, final states and every weight) against
//! central finite differences, across recurrences, layouts, directions and options.

mod common;

use common::{check, rnn_config as config, values};
use seqtorch_core::ops::random::manual_seed;
use seqtorch_core::rnn::{rnn_forward, RnnConfig, RnnInput, RnnMode};
use seqtorch_core::{Result, Tensor};

/// (data, shape) for `shape`, scaled so activations stay away from saturation.
fn arg(shape: &[usize], seed: u64, scale: f32) -> (Vec<f32>, Vec<usize>) {
    let n = shape.iter().product();
    (
        values(n, seed).into_iter().map(|v| v * scale).collect(),
        shape.to_vec(),
    )
}

/// Checks every input: x, optional states, then all weights.
fn check_stack(
    name: &str,
    cfg: RnnConfig,
    x_shape: &[usize],
    states: bool,
    batch_sizes: Option<Vec<usize>>,
    seed_dropout: bool,
) {
    let ld = cfg.num_layers * cfg.directions();
    let unbatched = x_shape.len() == 2 && batch_sizes.is_none();
    let batch = match &batch_sizes {
        Some(bs) => bs[0],
        None if unbatched => 1,
        None if cfg.batch_first => x_shape[0],
        None => x_shape[1],
    };
    let state_shape = |size: usize| {
        if unbatched {
            vec![ld, size]
        } else {
            vec![ld, batch, size]
        }
    };
    let mut inputs = vec![arg(x_shape, 1, 1.0)];
    let lstm = cfg.mode == RnnMode::Lstm;
    if states {
        inputs.push(arg(&state_shape(cfg.output_size()), 2, 0.8));
        if lstm {
            inputs.push(arg(&state_shape(cfg.hidden_size), 3, 0.8));
        }
    }
    for (i, s) in cfg.weight_shapes().iter().enumerate() {
        inputs.push(arg(s, 10 + i as u64, 0.6));
    }
    let n_states = if states { 1 + usize::from(lstm) } else { 0 };
    let f = move |t: &[Tensor]| -> Result<Tensor> {
        if seed_dropout {
            manual_seed(1234);
        }
        let out = rnn_forward(
            &cfg,
            RnnInput {
                input: &t[0],
                batch_sizes: batch_sizes.as_deref(),
                hx: (n_states > 0).then(|| &t[1]),
                cx: (n_states > 1).then(|| &t[2]),
                weights: &t[1 + n_states..],
                training: true,
            },
        )?;
        let mut parts = vec![out.output.flatten()?, out.h_n.flatten()?];
        if let Some(c) = out.c_n {
            parts.push(c.flatten()?);
        }
        Tensor::cat(&parts, 0)
    };
    check(name, inputs, f);
}

#[test]
fn lstm_two_layers_bidirectional_with_states() {
    let mut cfg = config(RnnMode::Lstm, 3, 4, 2);
    cfg.bidirectional = true;
    check_stack("lstm-2x-bi", cfg, &[4, 2, 3], true, None, false);
}

#[test]
fn gru_batch_first_bidirectional_two_layers() {
    let mut cfg = config(RnnMode::Gru, 3, 3, 2);
    cfg.bidirectional = true;
    cfg.batch_first = true;
    check_stack("gru-bf-bi", cfg, &[2, 4, 3], false, None, false);
}

#[test]
fn elman_tanh_with_states_and_no_bias() {
    let mut cfg = config(RnnMode::Tanh, 2, 4, 2);
    cfg.bias = false;
    check_stack("rnn-tanh", cfg, &[5, 3, 2], true, None, false);
}

#[test]
fn lstm_with_projection() {
    let mut cfg = config(RnnMode::Lstm, 3, 5, 2);
    cfg.proj_size = 2;
    cfg.bidirectional = true;
    check_stack("lstm-proj", cfg, &[3, 2, 3], true, None, false);
}

#[test]
fn packed_variable_lengths_bidirectional() {
    let mut cfg = config(RnnMode::Lstm, 2, 3, 1);
    cfg.bidirectional = true;
    // Lengths 3, 2, 1: 6 packed rows.
    check_stack(
        "lstm-packed",
        cfg.clone(),
        &[6, 2],
        true,
        Some(vec![3, 2, 1]),
        false,
    );
    let mut gru = config(RnnMode::Gru, 2, 3, 2);
    gru.bidirectional = true;
    check_stack(
        "gru-packed",
        gru,
        &[7, 2],
        false,
        Some(vec![3, 2, 2]),
        false,
    );
}

#[test]
fn unbatched_input() {
    check_stack(
        "gru-unbatched",
        config(RnnMode::Gru, 3, 4, 1),
        &[5, 3],
        true,
        None,
        false,
    );
    check_stack(
        "lstm-unbatched",
        config(RnnMode::Lstm, 3, 4, 1),
        &[5, 3],
        true,
        None,
        false,
    );
}

#[test]
fn dropout_between_layers_with_a_fixed_mask() {
    let mut cfg = config(RnnMode::Lstm, 2, 3, 3);
    cfg.dropout = 0.4;
    check_stack("lstm-dropout", cfg, &[3, 2, 2], false, None, true);
}
