//! Sliding windows over a series: inputs of `seq_len` steps and the `horizon` steps after them.

use crate::{bail, Result, Tensor};

/// A (T) series gives X (N, seq_len) and y (N) — or (N, horizon) when horizon > 1; a (T, F)
/// series gives X (N, seq_len, F) and y (N, F) — or (N, horizon, F). Windows start every
/// `stride` steps: N = floor((T - seq_len - horizon) / stride) + 1.
pub fn create_sequences(
    series: &Tensor,
    seq_len: usize,
    horizon: usize,
    stride: usize,
) -> Result<(Tensor, Tensor)> {
    if series.ndim() != 1 && series.ndim() != 2 {
        bail!(
            value,
            "create_sequences(): series must be 1-D (T) or 2-D (T, F), got {}-D",
            series.ndim()
        );
    }
    if seq_len == 0 || horizon == 0 || stride == 0 {
        bail!(
            range,
            "create_sequences(): seq_length, horizon and stride must be positive"
        );
    }
    let t = series.shape()[0];
    let f = if series.ndim() == 2 {
        series.shape()[1]
    } else {
        1
    };
    if seq_len.checked_add(horizon).is_none_or(|need| t < need) {
        bail!(
            value,
            "create_sequences(): a series of {t} steps is too short for windows of {seq_len} plus a horizon of {horizon}"
        );
    }
    let n = (t - seq_len - horizon) / stride + 1;
    let (xs, ys) = match (series.ndim(), horizon) {
        (1, 1) => (vec![n, seq_len], vec![n]),
        (1, h) => (vec![n, seq_len], vec![n, h]),
        (_, 1) => (vec![n, seq_len, f], vec![n, f]),
        (_, h) => (vec![n, seq_len, f], vec![n, h, f]),
    };
    // Overlapping windows copy each value up to seq_len times: check before copying.
    let mut x = crate::memory::with_capacity::<f32>("create_sequences", &xs)?;
    let mut y = crate::memory::with_capacity::<f32>("create_sequences", &ys)?;
    let v = series.to_vec_f32();
    if f > 0 {
        for i in 0..n {
            let s = i * stride;
            x.extend_from_slice(&v[s * f..(s + seq_len) * f]);
            y.extend_from_slice(&v[(s + seq_len) * f..(s + seq_len + horizon) * f]);
        }
    }
    Ok((Tensor::from_f32(x, xs)?, Tensor::from_f32(y, ys)?))
}
