//! Times one streaming step (batch 1, state carried) of the streaming bench's GRU (128 -> 256,
//! 2 layers) through the core alone, without Node; other sizes as INPUT HIDDEN, and BATCH
//! sequences a step (the weights' size decides whether a step is split between threads,
//! `rnn/stream_split.rs`).
//!
//!     cargo run --release -p seqtorch-core --example stream_step [-- INPUT HIDDEN [BATCH]]
//!
//! `SPLIT=always` or `SPLIT=never` overrides the plan's thresholds (`KernelPlan::stream_split_*`).

use std::time::Instant;

use seqtorch_core::autograd::NoGradGuard;
use seqtorch_core::kernels::plan::{plan, set_plan, KernelPlan};
use seqtorch_core::rnn::{rnn_step, RnnConfig, RnnInput, RnnMode};
use seqtorch_core::Tensor;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let _ng = NoGradGuard::new();
    // SPLIT=always|never overrides the plan's split thresholds.
    if let Ok(split) = std::env::var("SPLIT") {
        let min = if split == "always" { 0 } else { usize::MAX };
        set_plan(KernelPlan {
            stream_split_min_bytes: min,
            stream_split_min_work: min,
            ..plan()
        });
    }
    let arg = |i: usize, default: usize| {
        std::env::args()
            .nth(i)
            .and_then(|s| s.parse().ok())
            .unwrap_or(default)
    };
    let cfg = RnnConfig {
        mode: RnnMode::Gru,
        input_size: arg(1, 128),
        hidden_size: arg(2, 256),
        num_layers: 2,
        bias: true,
        batch_first: false,
        dropout: 0.0,
        bidirectional: false,
        proj_size: 0,
    };
    let weights: Vec<Tensor> = cfg
        .weight_specs()
        .into_iter()
        .map(|(_, s)| {
            let n: usize = s.iter().product();
            Tensor::from_f32((0..n).map(|i| ((i % 17) as f32 - 8.0) * 0.01).collect(), s).unwrap()
        })
        .collect();
    let batch = arg(3, 1);
    let x = Tensor::from_f32(
        vec![0.1; batch * cfg.input_size],
        vec![batch, cfg.input_size],
    )
    .unwrap();
    let mut h: Option<Tensor> = None;
    for round in 0..3 {
        let reps = 20_000 / batch.clamp(1, 20);
        let t = Instant::now();
        for _ in 0..reps {
            let out = rnn_step(
                &cfg,
                RnnInput {
                    input: &x,
                    batch_sizes: None,
                    hx: h.as_ref(),
                    cx: None,
                    weights: &weights,
                    training: false,
                },
            )
            .unwrap();
            h = Some(out.h_n);
        }
        let us = t.elapsed().as_secs_f64() * 1e6 / reps as f64;
        println!("round {round}: {us:.1} µs per step");
    }
}
