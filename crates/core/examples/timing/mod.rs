//! Timing helpers the examples share (each uses part of them).
#![allow(dead_code)]

use std::time::Instant;

/// Best seconds per call of `f` over `rounds` rounds of about `window` seconds each: this
/// project's machines are shared, and their speed drifts over seconds.
pub fn best_seconds(rounds: usize, window: f64, mut f: impl FnMut()) -> f64 {
    let mut best = f64::MAX;
    for _ in 0..rounds {
        let start = Instant::now();
        let mut reps = 0u32;
        while start.elapsed().as_secs_f64() < window {
            f();
            reps += 1;
        }
        best = best.min(start.elapsed().as_secs_f64() / f64::from(reps));
    }
    best
}

/// `len` operands sin(i * seed): bounded, varied and the same on every run.
pub fn values(len: usize, seed: f32) -> Vec<f32> {
    (0..len).map(|i| (i as f32 * seed).sin()).collect()
}

/// The thread count given as the first argument, else 2 (this project's machines' cores).
pub fn threads_arg() -> usize {
    std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(2)
}
