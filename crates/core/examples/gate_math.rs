//! Times the fused gate math of one step alone (32 rows, hidden 128: small-lstm128's rows per
//! thread), its data in L1, in ns per gate element: LSTM forward and backward, GRU forward.
//!   cargo run --release -p seqtorch-core --example gate_math
use seqtorch_core::rnn::gates;
use std::time::Instant;

fn main() {
    let hidden = 128;
    let rows = 32;
    let g4 = 4 * hidden;
    let xw: Vec<f32> = (0..rows * g4)
        .map(|i| ((i * 7919 % 1000) as f32 / 250.0) - 2.0)
        .collect();
    let hw: Vec<f32> = (0..rows * g4)
        .map(|i| ((i * 104729 % 1000) as f32 / 500.0) - 1.0)
        .collect();
    let bias: Vec<f32> = (0..g4).map(|i| (i % 13) as f32 * 0.01).collect();
    let mut c = vec![0.1f32; rows * hidden];
    let mut act = vec![0f32; rows * g4];
    let mut m = vec![0f32; rows * hidden];
    let mut dc = vec![0.01f32; rows * hidden];
    let dm = vec![0.02f32; rows * hidden];
    let cp = c.clone();
    let mut dg = vec![0f32; rows * g4];
    for round in 0..5 {
        let iters = 20000;
        let t = Instant::now();
        for _ in 0..iters {
            c.copy_from_slice(&cp);
            gates::lstm_forward(hidden, &xw, &hw, &bias, None, &mut c, &mut act, &mut m);
        }
        let f = t.elapsed().as_secs_f64() / iters as f64 / (rows * g4) as f64 * 1e9;
        let t = Instant::now();
        for _ in 0..iters {
            gates::lstm_backward(hidden, &act, &c, &cp, &dm, &mut dc, &mut dg);
            dc.fill(0.01);
        }
        let b = t.elapsed().as_secs_f64() / iters as f64 / (rows * g4) as f64 * 1e9;
        let gb: Vec<f32> = (0..4 * hidden).map(|i| (i % 5) as f32 * 0.01).collect();
        let g3 = 3 * hidden;
        let mut h = vec![0.1f32; rows * hidden];
        let mut ghn = vec![0f32; rows * hidden];
        let mut act3 = vec![0f32; rows * g3];
        let t = Instant::now();
        for _ in 0..iters {
            gates::gru_forward(
                hidden,
                &xw[..rows * g3],
                &hw[..rows * g3],
                &gb,
                None,
                &mut h,
                &mut act3,
                &mut ghn,
            );
        }
        let gf = t.elapsed().as_secs_f64() / iters as f64 / (rows * g3) as f64 * 1e9;
        println!(
            "round {round}: lstm fwd {f:.3} ns/gate elem, bwd {b:.3}; gru fwd {gf:.3} (sum {})",
            m[5] + dg[7] + h[3]
        );
    }
}
