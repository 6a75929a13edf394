//! Unary and binary elementwise kernels over strided, broadcast layouts.

use std::borrow::Cow;

use rayon::prelude::*;

use super::strided;
use super::CpuStorage;
use crate::backend::{BinaryOp, UnaryOp};
use crate::memory::Zeroable;
use crate::{threads, Layout, Result};

/// Elementwise work below this size stays on the calling thread.
const PARALLEL_MIN_ELEMENTS: usize = 1 << 16;
const CHUNK: usize = 1 << 14;

/// PyTorch's clamp_min: NaN in, NaN out; a NaN bound gives NaN; x is kept unless below.
fn clamp_min(x: f32, lo: f32) -> f32 {
    if lo.is_nan() || x < lo {
        lo
    } else {
        x
    }
}

/// PyTorch's clamp_max, likewise.
fn clamp_max(x: f32, hi: f32) -> f32 {
    if hi.is_nan() || x > hi {
        hi
    } else {
        x
    }
}

/// Fills `out` chunk by chunk, in parallel when it is large enough to pay for the fork.
pub(crate) fn fill_parallel<T: Send>(out: &mut [T], f: impl Fn(usize, &mut [T]) + Sync + Send) {
    if out.len() < PARALLEL_MIN_ELEMENTS || threads::get_num_threads() == 1 {
        f(0, out);
    } else {
        threads::install(|| {
            out.par_chunks_mut(CHUNK)
                .enumerate()
                .for_each(|(c, chunk)| f(c * CHUNK, chunk));
        });
    }
}

/// The values of `layout` as float32 with their layout: float32 storage is read in place,
/// int64 is converted into a contiguous copy.
fn f32_operand<'a>(s: &'a CpuStorage, layout: &Layout) -> Result<(Cow<'a, [f32]>, Layout)> {
    Ok(match s {
        CpuStorage::F32(v) => (Cow::Borrowed(v.as_slice()), layout.clone()),
        CpuStorage::I64(v) => {
            let g = strided::view("elementwise", v, layout)?;
            (
                Cow::Owned(g.iter().map(|&x| x as f32).collect()),
                Layout::contiguous(layout.shape().to_vec()),
            )
        }
    })
}

/// A layout that repeats one element everywhere (a broadcast scalar).
fn single_element(l: &Layout) -> bool {
    l.strides()
        .iter()
        .zip(l.shape())
        .all(|(&st, &s)| st == 0 || s == 1)
}

/// `out[i] = f(a[la(i)], b[lb(i)])` over the common shape of `la` and `lb`.
fn zip<T: Copy + Send + Sync + Zeroable>(
    op: &str,
    a: &[T],
    la: &Layout,
    b: &[T],
    lb: &Layout,
    f: fn(T, T) -> T,
) -> Result<Vec<T>> {
    let mut out = crate::memory::zeroed::<T>(op, la.shape())?;
    if out.is_empty() {
        return Ok(out);
    }
    match (la.contiguous_range(), lb.contiguous_range()) {
        (Some(ra), Some(rb)) => {
            let (x, y) = (&a[ra], &b[rb]);
            fill_parallel(&mut out, |start, chunk| {
                for (i, o) in chunk.iter_mut().enumerate() {
                    *o = f(x[start + i], y[start + i]);
                }
            });
        }
        (Some(ra), None) if single_element(lb) => {
            let (x, y) = (&a[ra], b[lb.offset()]);
            fill_parallel(&mut out, |start, chunk| {
                for (i, o) in chunk.iter_mut().enumerate() {
                    *o = f(x[start + i], y);
                }
            });
        }
        (None, Some(rb)) if single_element(la) => {
            let (x, y) = (a[la.offset()], &b[rb]);
            fill_parallel(&mut out, |start, chunk| {
                for (i, o) in chunk.iter_mut().enumerate() {
                    *o = f(x, y[start + i]);
                }
            });
        }
        _ => {
            // Walk both layouts row by row over the last dimension.
            let nd = la.shape().len();
            let shape = la.shape();
            let (sa, sb) = (la.strides(), lb.strides());
            let last = shape[nd - 1];
            let (ta, tb) = (sa[nd - 1], sb[nd - 1]);
            let mut index = vec![0usize; nd];
            let (mut ia, mut ib) = (la.offset(), lb.offset());
            for row in out.chunks_mut(last) {
                for (j, o) in row.iter_mut().enumerate() {
                    *o = f(a[ia + j * ta], b[ib + j * tb]);
                }
                for d in (0..nd - 1).rev() {
                    index[d] += 1;
                    ia += sa[d];
                    ib += sb[d];
                    if index[d] < shape[d] {
                        break;
                    }
                    ia -= sa[d] * index[d];
                    ib -= sb[d] * index[d];
                    index[d] = 0;
                }
            }
        }
    }
    Ok(out)
}

fn f32_fn(op: BinaryOp) -> fn(f32, f32) -> f32 {
    match op {
        BinaryOp::Add => |a, b| a + b,
        BinaryOp::Sub => |a, b| a - b,
        BinaryOp::Mul => |a, b| a * b,
        BinaryOp::Div => |a, b| a / b,
        BinaryOp::SigmoidBackward => |g, s| g * s * (1.0 - s),
        BinaryOp::TanhBackward => |g, t| g * (1.0 - t * t),
        BinaryOp::ReluBackward => |g, x| if x <= 0.0 { 0.0 } else { g },
    }
}

fn i64_fn(op: BinaryOp) -> Option<fn(i64, i64) -> i64> {
    match op {
        BinaryOp::Add => Some(|a, b| a.wrapping_add(b)),
        BinaryOp::Sub => Some(|a, b| a.wrapping_sub(b)),
        BinaryOp::Mul => Some(|a, b| a.wrapping_mul(b)),
        _ => None,
    }
}

pub fn binary(
    a: &CpuStorage,
    la: &Layout,
    b: &CpuStorage,
    lb: &Layout,
    op: BinaryOp,
) -> Result<CpuStorage> {
    if let (CpuStorage::I64(x), CpuStorage::I64(y), Some(f)) = (a, b, i64_fn(op)) {
        return Ok(CpuStorage::I64(zip(op.name(), x, la, y, lb, f)?));
    }
    let (x, lx) = f32_operand(a, la)?;
    let (y, ly) = f32_operand(b, lb)?;
    Ok(CpuStorage::F32(zip(
        op.name(),
        &x,
        &lx,
        &y,
        &ly,
        f32_fn(op),
    )?))
}

fn map_f32(x: &[f32], shape: &[usize], f: impl Fn(f32) -> f32 + Sync + Send) -> Result<Vec<f32>> {
    let mut out = crate::memory::zeroed::<f32>("elementwise", shape)?;
    fill_parallel(&mut out, |start, chunk| {
        for (i, o) in chunk.iter_mut().enumerate() {
            *o = f(x[start + i]);
        }
    });
    Ok(out)
}

pub fn unary(s: &CpuStorage, layout: &Layout, op: UnaryOp) -> Result<CpuStorage> {
    if let CpuStorage::I64(v) = s {
        let int: Option<fn(i64) -> i64> = match op {
            UnaryOp::Neg => Some(i64::wrapping_neg),
            UnaryOp::Abs => Some(i64::wrapping_abs),
            UnaryOp::Relu => Some(|x| x.max(0)),
            UnaryOp::Sign => Some(i64::signum),
            _ => None,
        };
        if let Some(f) = int {
            let x = strided::view("elementwise", v, layout)?;
            return Ok(CpuStorage::I64(x.iter().map(|&x| f(x)).collect()));
        }
    }
    let x: Cow<[f32]> = match s {
        CpuStorage::F32(v) => strided::view("elementwise", v, layout)?,
        CpuStorage::I64(v) => Cow::Owned(
            strided::view("elementwise", v, layout)?
                .iter()
                .map(|&x| x as f32)
                .collect(),
        ),
    };
    use crate::kernels::activation;
    let shape = layout.shape();
    let out = match op {
        UnaryOp::Neg => map_f32(&x, shape, |x| -x)?,
        UnaryOp::Exp => map_f32(&x, shape, f32::exp)?,
        UnaryOp::Log => map_f32(&x, shape, f32::ln)?,
        UnaryOp::Sigmoid => map_f32(&x, shape, activation::sigmoid::<activation::Portable>)?,
        UnaryOp::Tanh => map_f32(&x, shape, activation::tanh::<activation::Portable>)?,
        // `x < 0` rather than `max(x, 0)`: NaN passes through (and -0.0 stays), as in PyTorch.
        UnaryOp::Relu => map_f32(&x, shape, |x| if x < 0.0 { 0.0 } else { x })?,
        UnaryOp::Sin => map_f32(&x, shape, f32::sin)?,
        UnaryOp::Cos => map_f32(&x, shape, f32::cos)?,
        UnaryOp::Abs => map_f32(&x, shape, f32::abs)?,
        UnaryOp::Sign => map_f32(&x, shape, |x| {
            if x > 0.0 {
                1.0
            } else if x < 0.0 {
                -1.0
            } else {
                0.0
            }
        })?,
        UnaryOp::Sqrt => map_f32(&x, shape, f32::sqrt)?,
        UnaryOp::Square => map_f32(&x, shape, |x| x * x)?,
        UnaryOp::Powf(p) => map_f32(&x, shape, move |x| x.powf(p))?,
        UnaryOp::EqMask(m) => map_f32(&x, shape, move |x| {
            if x == m || (x.is_nan() && m.is_nan()) {
                1.0
            } else {
                0.0
            }
        })?,
        UnaryOp::ClampMin(lo) => map_f32(&x, shape, move |x| clamp_min(x, lo))?,
        UnaryOp::ClampMax(hi) => map_f32(&x, shape, move |x| clamp_max(x, hi))?,
        UnaryOp::GtMask(v) => map_f32(&x, shape, move |x| f32::from(u8::from(x > v)))?,
        UnaryOp::LtMask(v) => map_f32(&x, shape, move |x| f32::from(u8::from(x < v)))?,
    };
    Ok(CpuStorage::F32(out))
}
