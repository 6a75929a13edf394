//! Sums over dimensions.

use super::{strided, CpuStorage};
use crate::{DType, Layout, Result};

/// Sums `x` viewed as (outer, n, inner) over the middle axis.
fn sum_axis<T: Copy + Default + std::ops::AddAssign>(
    x: &[T],
    outer: usize,
    n: usize,
    inner: usize,
) -> Vec<T> {
    let mut out = vec![T::default(); outer * inner];
    if out.is_empty() {
        // Nothing to write; do not walk a huge `outer` beside a zero-size dimension.
        return out;
    }
    for o in 0..outer {
        let dst = &mut out[o * inner..(o + 1) * inner];
        for k in 0..n {
            let src = &x[(o * n + k) * inner..(o * n + k + 1) * inner];
            for (d, &s) in dst.iter_mut().zip(src) {
                *d += s;
            }
        }
    }
    out
}

/// Sums a contiguous run with eight independent accumulators (vectorises, and loses less
/// precision than one running sum).
pub(crate) fn sum_run(x: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    let chunks = x.chunks_exact(8);
    let rest = chunks.remainder();
    for c in chunks {
        for i in 0..8 {
            acc[i] += c[i];
        }
    }
    acc.iter().sum::<f32>() + rest.iter().sum::<f32>()
}

fn split(shape: &[usize], dim: usize) -> (usize, usize, usize) {
    let outer = shape[..dim].iter().product();
    let inner = shape[dim + 1..].iter().product();
    (outer, shape[dim], inner)
}

pub fn sum_dims(s: &CpuStorage, layout: &Layout, dims: &[usize]) -> Result<CpuStorage> {
    let ndim = layout.shape().len();
    if dims.len() == ndim {
        return Ok(match s {
            CpuStorage::F32(v) => CpuStorage::F32(vec![sum_run(&strided::view("sum", v, layout)?)]),
            CpuStorage::I64(v) => CpuStorage::I64(vec![strided::view("sum", v, layout)?
                .iter()
                .fold(0i64, |a, &b| a.wrapping_add(b))]),
        });
    }
    let mut shape = layout.shape().to_vec();
    let mut cur = s.contiguous(layout)?;
    for &d in dims.iter().rev() {
        let (outer, n, inner) = split(&shape, d);
        cur = if n == 0 {
            // Summing over an empty dimension: zeros, possibly many more than the input had
            // elements (checked like any allocation).
            match cur.dtype() {
                DType::F32 => CpuStorage::F32(crate::memory::zeroed("sum", &[outer, inner])?),
                DType::I64 => CpuStorage::I64(crate::memory::zeroed("sum", &[outer, inner])?),
            }
        } else {
            match &cur {
                CpuStorage::F32(v) if inner == 1 => {
                    CpuStorage::F32(v.chunks(n).take(outer).map(sum_run).collect())
                }
                CpuStorage::F32(v) => CpuStorage::F32(sum_axis(v, outer, n, inner)),
                CpuStorage::I64(v) => CpuStorage::I64(sum_axis(v, outer, n, inner)),
            }
        };
        shape[d] = 1;
    }
    Ok(cur)
}
