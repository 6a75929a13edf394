//! Times one streaming step (batch 1, state carried) of the streaming bench's GRU (128 -> 256,
//! 2 layers) through the core alone, without Node; other sizes as INPUT HIDDEN, BATCH
//! sequences a step, and STEPS > 1 for a whole sequence's forward instead of one step (the
//! weights' size and the products decide whether it is split between threads,
//! `rnn/stream_split.rs`).
//!
//!     cargo run --release -p seqtorch-core --example stream_step [-- INPUT HIDDEN [BATCH [STEPS]]]
//!
//! `SPLIT=always` or `SPLIT=never` overrides the plan's thresholds (`KernelPlan::stream_split_*`);
//! `LAYERS=N` stacks N layers instead of 2.

use std::time::Instant;

use seqtorch_core::autograd::NoGradGuard;
use seqtorch_core::kernels::plan::{plan, set_plan, KernelPlan};
use seqtorch_core::rnn::{rnn_forward, rnn_step, RnnConfig, RnnInput, RnnMode};
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
        num_layers: std::env::var("LAYERS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(2),
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
    let (batch, steps) = (arg(3, 1), arg(4, 1));
    // One step's rows, or (STEPS > 1) a whole sequence [steps, batch, input] through the
    // forward, from zero states each time.
    let shape = if steps > 1 {
        vec![steps, batch, cfg.input_size]
    } else {
        vec![batch, cfg.input_size]
    };
    let x = Tensor::from_f32(vec![0.1; steps * batch * cfg.input_size], shape).unwrap();
    let mut h: Option<Tensor> = None;
    for round in 0..3 {
        let reps = (20_000 / (batch * steps).clamp(1, 20_000)).max(5);
        let t = Instant::now();
        for _ in 0..reps {
            let inp = RnnInput {
                input: &x,
                batch_sizes: None,
                hx: h.as_ref(),
                cx: None,
                weights: &weights,
                training: false,
            };
            if steps > 1 {
                rnn_forward(&cfg, inp).unwrap();
            } else {
                h = Some(rnn_step(&cfg, inp).unwrap().h_n);
            }
        }
        let us = t.elapsed().as_secs_f64() * 1e6 / (reps * steps) as f64;
        println!("round {round}: {us:.1} µs per step");
    }
}
