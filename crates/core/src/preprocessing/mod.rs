//! Column statistics and per-column affine maps for scikit-learn-style scalers, in float64.

use crate::{bail, Result, Tensor};

/// Per-column minimum, maximum, mean and population variance of a 2-D (N, F) tensor.
pub struct ColumnStats {
    pub min: Vec<f64>,
    pub max: Vec<f64>,
    pub mean: Vec<f64>,
    pub var: Vec<f64>,
    pub samples: usize,
}

fn check_2d(op: &str, x: &Tensor) -> Result<(usize, usize)> {
    if x.ndim() != 2 {
        bail!(
            value,
            "{op}: Expected 2D array, got {}D array instead. Reshape your data either using reshape(-1, 1) if your data has a single feature or reshape(1, -1) if it contains a single sample.",
            x.ndim()
        );
    }
    Ok((x.shape()[0], x.shape()[1]))
}

pub fn column_stats(x: &Tensor) -> Result<ColumnStats> {
    let (n, f) = check_2d("fit", x)?;
    if f == 0 {
        bail!(
            value,
            "fit: Found array with 0 feature(s) (shape=({n}, 0)) while a minimum of 1 is required."
        );
    }
    if n == 0 {
        bail!(
            value,
            "fit: Found array with 0 sample(s) (shape=(0, {f})) while a minimum of 1 is required."
        );
    }
    let v = x.to_vec_f32();
    if v.iter().any(|x| !x.is_finite()) {
        bail!(value, "fit: Input X contains NaN or infinity.");
    }
    let mut s = ColumnStats {
        min: vec![f64::INFINITY; f],
        max: vec![f64::NEG_INFINITY; f],
        mean: vec![0.0; f],
        var: vec![0.0; f],
        samples: n,
    };
    for row in v.chunks_exact(f) {
        for (j, &x) in row.iter().enumerate() {
            let x = x as f64;
            s.min[j] = s.min[j].min(x);
            s.max[j] = s.max[j].max(x);
            s.mean[j] += x;
        }
    }
    s.mean.iter_mut().for_each(|m| *m /= n as f64);
    for row in v.chunks_exact(f) {
        for (j, &x) in row.iter().enumerate() {
            let d = x as f64 - s.mean[j];
            s.var[j] += d * d;
        }
    }
    s.var.iter_mut().for_each(|v| *v /= n as f64);
    Ok(s)
}

/// `(x - sub) / div` per column (standardising, or inverting a min-max map).
pub fn columns_sub_div(x: &Tensor, sub: &[f64], div: &[f64]) -> Result<Tensor> {
    if sub.len() != div.len() {
        bail!(
            value,
            "transform: the scaler's parameters disagree ({} and {} features)",
            sub.len(),
            div.len()
        );
    }
    map_columns(
        "transform",
        x,
        sub.len(),
        |j, v| (v - sub[j]) / div[j],
        None,
    )
}

/// `x * mul + add` per column, optionally clipped to `[lo, hi]`.
pub fn columns_mul_add(
    x: &Tensor,
    mul: &[f64],
    add: &[f64],
    clip: Option<(f64, f64)>,
) -> Result<Tensor> {
    if mul.len() != add.len() {
        bail!(
            value,
            "transform: the scaler's parameters disagree ({} and {} features)",
            mul.len(),
            add.len()
        );
    }
    if let Some((lo, hi)) = clip {
        if lo > hi || lo.is_nan() || hi.is_nan() {
            bail!(value, "transform: clip range [{lo}, {hi}] is not ordered");
        }
    }
    map_columns("transform", x, mul.len(), |j, v| v * mul[j] + add[j], clip)
}

fn map_columns(
    op: &str,
    x: &Tensor,
    cols: usize,
    f: impl Fn(usize, f64) -> f64,
    clip: Option<(f64, f64)>,
) -> Result<Tensor> {
    let (_, f_in) = check_2d(op, x)?;
    if f_in != cols {
        bail!(
            value,
            "X has {f_in} features, but the scaler is expecting {cols} features as input."
        );
    }
    let out = x
        .to_vec_f32()
        .chunks_exact(cols.max(1))
        .flat_map(|row| {
            row.iter()
                .enumerate()
                .map(|(j, &v)| {
                    let y = f(j, v as f64);
                    (match clip {
                        Some((lo, hi)) => y.clamp(lo, hi),
                        None => y,
                    }) as f32
                })
                .collect::<Vec<_>>()
        })
        .collect();
    Tensor::from_f32(out, x.shape().to_vec())
}
