//! Row selection along a dimension, and its adjoint.

use super::{strided, CpuStorage};
use crate::memory::Zeroable;
use crate::{Layout, Result};

/// (outer, size, inner) of `shape` around `dim`.
fn split(shape: &[usize], dim: usize) -> (usize, usize, usize) {
    (
        shape[..dim].iter().product(),
        shape[dim],
        shape[dim + 1..].iter().product(),
    )
}

fn gather_rows<T: Zeroable + Clone>(
    v: &[T],
    layout: &Layout,
    dim: usize,
    picks: &[usize],
) -> Result<Vec<T>> {
    let src = strided::view("index_select", v, layout)?;
    let (outer, size, inner) = split(layout.shape(), dim);
    let mut out_shape = layout.shape().to_vec();
    out_shape[dim] = picks.len();
    let mut out = crate::memory::with_capacity("index_select", &out_shape)?;
    // An empty result: no walk over `outer` (huge beside a zero-size dimension).
    let outer = if picks.len() * inner == 0 { 0 } else { outer };
    for o in 0..outer {
        for &p in picks {
            let s = (o * size + p) * inner;
            out.extend_from_slice(&src[s..s + inner]);
        }
    }
    Ok(out)
}

pub fn index_select(
    s: &CpuStorage,
    layout: &Layout,
    dim: usize,
    picks: &[usize],
) -> Result<CpuStorage> {
    Ok(match s {
        CpuStorage::F32(v) => CpuStorage::F32(gather_rows(v, layout, dim, picks)?),
        CpuStorage::I64(v) => CpuStorage::I64(gather_rows(v, layout, dim, picks)?),
    })
}

fn add_rows<T: Copy + Zeroable + std::ops::AddAssign>(
    dst: &mut [T],
    shape: &[usize],
    dim: usize,
    picks: &[usize],
    src: &[T],
) {
    let (outer, size, inner) = split(shape, dim);
    let outer = if picks.len() * inner == 0 { 0 } else { outer };
    for o in 0..outer {
        for (i, &p) in picks.iter().enumerate() {
            let s = (o * picks.len() + i) * inner;
            let d = (o * size + p) * inner;
            for k in 0..inner {
                dst[d + k] += src[s + k];
            }
        }
    }
}

pub fn index_add_(
    dst: &mut CpuStorage,
    layout: &Layout,
    dim: usize,
    picks: &[usize],
    src: &CpuStorage,
    src_layout: &Layout,
) -> Result<()> {
    let range = layout
        .contiguous_range()
        .expect("index_add_ writes into a contiguous buffer");
    match (dst, src) {
        (CpuStorage::F32(d), CpuStorage::F32(s)) => {
            let s = strided::view("index_add", s, src_layout)?;
            add_rows(&mut d[range], layout.shape(), dim, picks, &s);
        }
        (CpuStorage::I64(d), CpuStorage::I64(s)) => {
            let s = strided::view("index_add", s, src_layout)?;
            add_rows(&mut d[range], layout.shape(), dim, picks, &s);
        }
        _ => crate::bail!(type, "index_add_(): source and destination dtypes differ"),
    }
    Ok(())
}
