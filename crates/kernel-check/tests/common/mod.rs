//! Test data and comparisons shared by the kernel checks.
#![allow(dead_code)]

/// Deterministic values in [-range, range] (a 64-bit LCG: no dependency, same on every machine).
pub fn values(n: usize, seed: u64, range: f32) -> Vec<f32> {
    let mut s = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let u = (s >> 40) as f32 / (1u64 << 24) as f32;
            (2.0 * u - 1.0) * range
        })
        .collect()
}

/// Asserts `got` is within `tol` (absolute plus relative) of `want`, elementwise; NaN and
/// infinities exactly where wanted.
pub fn close(what: &str, got: &[f32], want: &[f64], tol: f64) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        if w.is_nan() {
            assert!(g.is_nan(), "{what}[{i}]: {g}, want NaN");
            continue;
        }
        let g = g as f64;
        if w.is_infinite() {
            assert_eq!(g, w, "{what}[{i}]");
            continue;
        }
        assert!(
            (g - w).abs() <= tol * (1.0 + w.abs()),
            "{what}[{i}]: {g} vs {w}"
        );
    }
}

/// An output buffer filled with NaN, so an element the kernel never writes shows up.
pub fn unwritten(n: usize) -> Vec<f32> {
    vec![f32::NAN; n]
}

/// d loss / d x[i] for every i, by central differences of `loss` with step `eps`.
pub fn central_differences(x: &[f64], eps: f64, loss: &dyn Fn(&[f64]) -> f64) -> Vec<f64> {
    (0..x.len())
        .map(|i| {
            let (mut hi, mut lo) = (x.to_vec(), x.to_vec());
            hi[i] += eps;
            lo[i] -= eps;
            (loss(&hi) - loss(&lo)) / (2.0 * eps)
        })
        .collect()
}
