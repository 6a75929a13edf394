//! Times one recurrent stack's forward and backward through the core API alone (no Node), per
//! phase, to separate the kernels' time from the binding's.
//!   cargo run --release -p seqtorch-core --example rnn_step -- CELL INPUT HIDDEN LAYERS BATCH SEQ THREADS

use std::time::Instant;

use seqtorch_core::autograd::backward;
use seqtorch_core::ops::random::randn;
use seqtorch_core::rnn::{rnn_forward, RnnConfig, RnnInput, RnnMode};
use seqtorch_core::threads::set_num_threads;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let num =
        |i: usize, default: usize| args.get(i).and_then(|s| s.parse().ok()).unwrap_or(default);
    let mode = match args.first().map(String::as_str) {
        Some("GRU") => RnnMode::Gru,
        _ => RnnMode::Lstm,
    };
    let cfg = RnnConfig {
        mode,
        input_size: num(1, 128),
        hidden_size: num(2, 128),
        num_layers: num(3, 1),
        bias: true,
        batch_first: true,
        dropout: 0.0,
        bidirectional: false,
        proj_size: 0,
    };
    let (batch, seq) = (num(4, 64), num(5, 50));
    set_num_threads(num(6, 2)).expect("threads");
    let x = randn(&[batch, seq, cfg.input_size]).expect("input");
    let weights: Vec<_> = cfg
        .weight_shapes()
        .iter()
        .map(|s| {
            randn(s)
                .and_then(|w| w.mul_scalar(0.05))
                .and_then(|w| w.requires_grad_(true))
                .expect("weight")
        })
        .collect();
    let (mut fwd, mut bwd) = (Vec::new(), Vec::new());
    for i in 0..60 {
        let t0 = Instant::now();
        let out = rnn_forward(
            &cfg,
            RnnInput {
                input: &x,
                batch_sizes: None,
                hx: None,
                cx: None,
                weights: &weights,
                training: true,
            },
        )
        .expect("forward");
        let t1 = Instant::now();
        let loss = out.output.sum(None, false).expect("sum");
        backward(&loss, None, false).expect("backward");
        let t2 = Instant::now();
        if i >= 10 {
            fwd.push((t1 - t0).as_secs_f64() * 1e3);
            bwd.push((t2 - t1).as_secs_f64() * 1e3);
        }
        weights
            .iter()
            .for_each(|w| w.set_grad(None).expect("clear grad"));
    }
    let stats = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        (v[0], v[v.len() / 2])
    };
    let ((fmin, fmed), (bmin, bmed)) = (stats(&mut fwd), stats(&mut bwd));
    println!("forward min {fmin:.3} med {fmed:.3} ms; backward min {bmin:.3} med {bmed:.3} ms");
}
