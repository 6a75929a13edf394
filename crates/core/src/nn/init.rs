//! Initialisers that need more than a random fill.

use crate::ops::random::fill_normal;
use crate::{bail, Result, Tensor};

/// A (rows, cols) matrix with orthonormal rows or columns (whichever are fewer), scaled by
/// `gain`: PyTorch's `orthogonal_` (QR of a standard normal matrix, signs fixed so R has a
/// positive diagonal). Modified Gram-Schmidt in float64 yields that positive diagonal directly.
pub fn orthogonal(rows: usize, cols: usize, gain: f64) -> Result<Tensor> {
    if rows == 0 || cols == 0 {
        bail!(
            value,
            "orthogonal_(): the tensor must have non-zero dimensions"
        );
    }
    let (m, n) = if rows < cols {
        (cols, rows)
    } else {
        (rows, cols)
    };
    let mut a = vec![0.0f32; m * n];
    fill_normal(&mut a, 0.0, 1.0);
    // Columns of the m x n matrix, in float64.
    let mut q: Vec<Vec<f64>> = (0..n)
        .map(|j| (0..m).map(|i| a[i * n + j] as f64).collect())
        .collect();
    for j in 0..n {
        for k in 0..j {
            let (head, tail) = q.split_at_mut(j);
            let dot: f64 = head[k].iter().zip(tail[0].iter()).map(|(x, y)| x * y).sum();
            tail[0]
                .iter_mut()
                .zip(head[k].iter())
                .for_each(|(y, x)| *y -= dot * x);
        }
        let norm = q[j].iter().map(|x| x * x).sum::<f64>().sqrt();
        if norm == 0.0 {
            bail!(
                value,
                "orthogonal_(): drew a rank-deficient matrix, try again"
            );
        }
        q[j].iter_mut().for_each(|x| *x /= norm);
    }
    let mut out = vec![0.0f32; rows * cols];
    for i in 0..m {
        for j in 0..n {
            let v = (q[j][i] * gain) as f32;
            if rows < cols {
                out[j * cols + i] = v;
            } else {
                out[i * cols + j] = v;
            }
        }
    }
    Tensor::from_f32(out, vec![rows, cols])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_or_columns_are_orthonormal() {
        let _lock = crate::ops::random::TEST_LOCK
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        for (r, c) in [(5, 3), (3, 5), (4, 4)] {
            let t = orthogonal(r, c, 1.0).unwrap().to_vec_f32();
            let (outer, inner, stride_o, stride_i) =
                if r >= c { (c, r, 1, c) } else { (r, c, c, 1) };
            for a in 0..outer {
                for b in 0..outer {
                    let dot: f32 = (0..inner)
                        .map(|k| t[a * stride_o + k * stride_i] * t[b * stride_o + k * stride_i])
                        .sum();
                    let want = if a == b { 1.0 } else { 0.0 };
                    assert!((dot - want).abs() < 1e-5, "{r}x{c}: <{a},{b}> = {dot}");
                }
            }
        }
    }
}
