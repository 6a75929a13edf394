//! Elementwise arithmetic with NumPy broadcasting and PyTorch's type promotion
//! (int64 op int64 stays int64 for add/sub/mul; anything else computes in float32).

use rayon::prelude::*;

use crate::autograd::{Node, Op};
use crate::shape::{broadcast_shapes, broadcast_strides};
use crate::storage::Storage;
use crate::{threads, DType, Result, Tensor};

/// Elementwise work below this size stays on the calling thread.
const PARALLEL_MIN_ELEMENTS: usize = 1 << 16;
const CHUNK: usize = 1 << 14;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Binary {
    Add,
    Sub,
    Mul,
    Div,
}

impl Binary {
    fn name(self) -> &'static str {
        match self {
            Binary::Add => "add",
            Binary::Sub => "sub",
            Binary::Mul => "mul",
            Binary::Div => "div",
        }
    }
    fn f32(self) -> fn(f32, f32) -> f32 {
        match self {
            Binary::Add => |a, b| a + b,
            Binary::Sub => |a, b| a - b,
            Binary::Mul => |a, b| a * b,
            Binary::Div => |a, b| a / b,
        }
    }
    fn i64(self) -> fn(i64, i64) -> i64 {
        match self {
            Binary::Add => |a, b| a.wrapping_add(b),
            Binary::Sub => |a, b| a.wrapping_sub(b),
            Binary::Mul => |a, b| a.wrapping_mul(b),
            Binary::Div => unreachable!("division always computes in float32"),
        }
    }
}

/// `out[i] = f(a[ia], b[ib])` over the broadcast shape. Fast paths for equal shapes and scalar
/// operands; the general path walks rows of the last dimension.
fn broadcast_zip<T: Copy + Send + Sync + crate::memory::Zeroable>(
    op: &str,
    a: &[T],
    a_shape: &[usize],
    b: &[T],
    b_shape: &[usize],
    out_shape: &[usize],
    f: fn(T, T) -> T,
) -> Result<Vec<T>> {
    let mut out = crate::memory::zeroed::<T>(op, out_shape)?;
    let n = out.len();
    if a.len() == n && b.len() == n && a_shape == b_shape {
        fill_parallel(&mut out, |start, chunk| {
            for (i, o) in chunk.iter_mut().enumerate() {
                *o = f(a[start + i], b[start + i]);
            }
        });
    } else if b.len() == 1 && a.len() == n {
        let y = b[0];
        fill_parallel(&mut out, |start, chunk| {
            for (i, o) in chunk.iter_mut().enumerate() {
                *o = f(a[start + i], y);
            }
        });
    } else if a.len() == 1 && b.len() == n {
        let x = a[0];
        fill_parallel(&mut out, |start, chunk| {
            for (i, o) in chunk.iter_mut().enumerate() {
                *o = f(x, b[start + i]);
            }
        });
    } else if n > 0 {
        let sa = broadcast_strides(a_shape, out_shape);
        let sb = broadcast_strides(b_shape, out_shape);
        let nd = out_shape.len();
        let last = out_shape[nd - 1];
        let (la, lb) = (sa[nd - 1], sb[nd - 1]);
        let mut index = vec![0usize; nd];
        for row in out.chunks_mut(last) {
            let (mut ia, mut ib) = (0, 0);
            for d in 0..nd - 1 {
                ia += index[d] * sa[d];
                ib += index[d] * sb[d];
            }
            for (j, o) in row.iter_mut().enumerate() {
                *o = f(a[ia + j * la], b[ib + j * lb]);
            }
            // Advance the multi-index over all but the last dimension.
            for d in (0..nd - 1).rev() {
                index[d] += 1;
                if index[d] < out_shape[d] {
                    break;
                }
                index[d] = 0;
            }
        }
    }
    Ok(out)
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

fn binary(op: Binary, a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let out_shape = broadcast_shapes(a.shape(), b.shape())?;
    let int_result = a.dtype() == DType::I64 && b.dtype() == DType::I64 && op != Binary::Div;
    let storage = if int_result {
        let (sa, sb) = (a.storage(), b.storage());
        let (Storage::I64(x), Storage::I64(y)) = (&*sa, &*sb) else {
            unreachable!()
        };
        Storage::I64(broadcast_zip(
            op.name(),
            x,
            a.shape(),
            y,
            b.shape(),
            &out_shape,
            op.i64(),
        )?)
    } else {
        let (ga, gb) = (a.storage(), b.storage());
        let (mut ca, mut cb) = (Vec::new(), Vec::new());
        let x = f32_values(&ga, &mut ca);
        let y = f32_values(&gb, &mut cb);
        Storage::F32(broadcast_zip(
            op.name(),
            x,
            a.shape(),
            y,
            b.shape(),
            &out_shape,
            op.f32(),
        )?)
    };
    let node = Node::record(&[a, b], || match op {
        Binary::Add => Op::Add(a.clone(), b.clone()),
        Binary::Sub => Op::Sub(a.clone(), b.clone()),
        Binary::Mul => Op::Mul(a.clone(), b.clone()),
        Binary::Div => Op::Div(a.clone(), b.clone()),
    });
    Ok(Tensor::from_storage(storage, out_shape).with_grad_fn(node))
}

/// The values as float32: borrowed for float32 storage, converted into `converted` for int64.
pub(crate) fn f32_values<'a>(s: &'a Storage, converted: &'a mut Vec<f32>) -> &'a [f32] {
    match s {
        Storage::F32(v) => v,
        Storage::I64(v) => {
            *converted = v.iter().map(|&x| x as f32).collect();
            converted
        }
    }
}

/// A one-element tensor for a number operand, int64 when that keeps integer arithmetic exact.
fn scalar_for(t: &Tensor, value: f64, integer_ok: bool) -> Tensor {
    if integer_ok && t.dtype() == DType::I64 && value.fract() == 0.0 && value.abs() < 9.0e15 {
        Tensor::from_storage(Storage::I64(vec![value as i64]), vec![])
    } else {
        Tensor::scalar(value as f32)
    }
}

fn unary_f32(t: &Tensor, f: impl Fn(f32) -> f32 + Sync + Send) -> Result<Tensor> {
    let guard = t.storage();
    let mut converted = Vec::new();
    let x = f32_values(&guard, &mut converted);
    let mut out = crate::memory::zeroed::<f32>("elementwise", t.shape())?;
    fill_parallel(&mut out, |start, chunk| {
        for (i, o) in chunk.iter_mut().enumerate() {
            *o = f(x[start + i]);
        }
    });
    Tensor::from_f32(out, t.shape().to_vec())
}

impl Tensor {
    pub fn add(&self, other: &Tensor) -> Result<Tensor> {
        binary(Binary::Add, self, other)
    }
    pub fn sub(&self, other: &Tensor) -> Result<Tensor> {
        binary(Binary::Sub, self, other)
    }
    pub fn mul(&self, other: &Tensor) -> Result<Tensor> {
        binary(Binary::Mul, self, other)
    }
    pub fn div(&self, other: &Tensor) -> Result<Tensor> {
        binary(Binary::Div, self, other)
    }
    pub fn add_scalar(&self, v: f64) -> Result<Tensor> {
        binary(Binary::Add, self, &scalar_for(self, v, true))
    }
    pub fn sub_scalar(&self, v: f64) -> Result<Tensor> {
        binary(Binary::Sub, self, &scalar_for(self, v, true))
    }
    pub fn mul_scalar(&self, v: f64) -> Result<Tensor> {
        binary(Binary::Mul, self, &scalar_for(self, v, true))
    }
    pub fn div_scalar(&self, v: f64) -> Result<Tensor> {
        binary(Binary::Div, self, &scalar_for(self, v, false))
    }

    pub fn neg(&self) -> Result<Tensor> {
        let storage = match &*self.storage() {
            Storage::F32(v) => Storage::F32(v.iter().map(|x| -x).collect()),
            Storage::I64(v) => Storage::I64(v.iter().map(|x| x.wrapping_neg()).collect()),
        };
        let node = Node::record(&[self], || Op::Neg(self.clone()));
        Ok(Tensor::from_storage(storage, self.shape().to_vec()).with_grad_fn(node))
    }

    pub fn pow(&self, exponent: f32) -> Result<Tensor> {
        let out = match exponent {
            2.0 => unary_f32(self, |x| x * x)?,
            1.0 => unary_f32(self, |x| x)?,
            0.5 => unary_f32(self, f32::sqrt)?,
            p => unary_f32(self, move |x| x.powf(p))?,
        };
        let node = Node::record(&[self], || Op::Pow {
            input: self.clone(),
            exponent,
        });
        Ok(out.with_grad_fn(node))
    }

    pub fn exp(&self) -> Result<Tensor> {
        let out = unary_f32(self, f32::exp)?;
        let node = Node::record(&[self], || Op::Exp {
            input: self.clone(),
            output: out.detach(),
        });
        Ok(out.with_grad_fn(node))
    }

    pub fn log(&self) -> Result<Tensor> {
        let out = unary_f32(self, f32::ln)?;
        let node = Node::record(&[self], || Op::Log(self.clone()));
        Ok(out.with_grad_fn(node))
    }

    pub fn sigmoid(&self) -> Result<Tensor> {
        let out = unary_f32(self, crate::kernels::activation::sigmoid)?;
        let node = Node::record(&[self], || Op::Sigmoid {
            input: self.clone(),
            output: out.detach(),
        });
        Ok(out.with_grad_fn(node))
    }

    pub fn tanh(&self) -> Result<Tensor> {
        let out = unary_f32(self, crate::kernels::activation::tanh)?;
        let node = Node::record(&[self], || Op::Tanh {
            input: self.clone(),
            output: out.detach(),
        });
        Ok(out.with_grad_fn(node))
    }

    pub fn relu(&self) -> Result<Tensor> {
        if self.dtype() == DType::I64 {
            let v: Vec<i64> = self.to_vec_i64().into_iter().map(|x| x.max(0)).collect();
            return Tensor::from_i64(v, self.shape().to_vec());
        }
        // `x < 0` rather than `max(x, 0)`: NaN passes through (and -0.0 stays), as in PyTorch.
        let out = unary_f32(self, |x| if x < 0.0 { 0.0 } else { x })?;
        let node = Node::record(&[self], || Op::Relu(self.clone()));
        Ok(out.with_grad_fn(node))
    }

    pub fn sin(&self) -> Result<Tensor> {
        let out = unary_f32(self, f32::sin)?;
        let node = Node::record(&[self], || Op::Sin(self.clone()));
        Ok(out.with_grad_fn(node))
    }

    pub fn cos(&self) -> Result<Tensor> {
        let out = unary_f32(self, f32::cos)?;
        let node = Node::record(&[self], || Op::Cos(self.clone()));
        Ok(out.with_grad_fn(node))
    }

    pub fn abs(&self) -> Result<Tensor> {
        if self.dtype() == DType::I64 {
            let v: Vec<i64> = self
                .to_vec_i64()
                .into_iter()
                .map(|x| x.wrapping_abs())
                .collect();
            return Tensor::from_i64(v, self.shape().to_vec());
        }
        let out = unary_f32(self, f32::abs)?;
        let node = Node::record(&[self], || Op::Abs(self.clone()));
        Ok(out.with_grad_fn(node))
    }
}
