//! The row-block parallel time loop gives the same outputs and gradients as one thread, for
//! padded and packed batches (sizes chosen above the splitting threshold).

mod common;

use common::rnn_outputs_and_grads as run;
use seqtorch_core::rnn::{RnnConfig, RnnMode};
use seqtorch_core::threads::set_num_threads;

fn close(a: &[Vec<f32>], b: &[Vec<f32>]) {
    for (x, y) in a.iter().zip(b) {
        for (p, q) in x.iter().zip(y) {
            assert!((p - q).abs() <= 1e-5 + 1e-5 * q.abs(), "{p} vs {q}");
        }
    }
}

#[test]
fn row_blocks_match_a_single_thread() {
    for mode in [RnnMode::Lstm, RnnMode::Gru, RnnMode::Tanh] {
        let cfg = RnnConfig {
            mode,
            input_size: 8,
            hidden_size: 32,
            num_layers: 2,
            bias: true,
            batch_first: false,
            dropout: 0.0,
            bidirectional: true,
            proj_size: 0,
        };
        set_num_threads(1).unwrap();
        let serial = run(&cfg, &[24, 64, 8], None);
        // Packed: 64 sequences of lengths 24 down to 9.
        let bs: Vec<usize> = (0..24)
            .map(|t| if t < 9 { 64 } else { 64 - 4 * (t - 8).min(15) })
            .collect();
        let rows: usize = bs.iter().sum();
        let packed_serial = run(&cfg, &[rows, 8], Some(&bs));
        set_num_threads(2).unwrap();
        close(&run(&cfg, &[24, 64, 8], None), &serial);
        close(&run(&cfg, &[rows, 8], Some(&bs)), &packed_serial);
    }
}
