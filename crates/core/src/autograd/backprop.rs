//! The gradient of every primitive, as one match. Runs under no-grad, so the tensor ops used
//! here record nothing.

use super::node::Op;
use crate::kernels::gemm::{sgemm, Transpose};
use crate::ops::creation::zeros;
use crate::storage::Storage;
use crate::{Result, Tensor};

/// One optional gradient per input of `op`, in `op.inputs()` order, given the gradient of
/// each of its outputs.
pub(crate) fn input_gradients(op: &Op, grads: &[Option<Tensor>]) -> Result<Vec<Option<Tensor>>> {
    if let Op::Custom(c) = op {
        return c.backward(grads);
    }
    let g = grads[0]
        .as_ref()
        .expect("single-output nodes are only run with a gradient");
    Ok(match op {
        Op::Add(a, b) => vec![
            want(a, || g.sum_to_shape(a.shape()))?,
            want(b, || g.sum_to_shape(b.shape()))?,
        ],
        Op::Sub(a, b) => vec![
            want(a, || g.sum_to_shape(a.shape()))?,
            want(b, || g.neg()?.sum_to_shape(b.shape()))?,
        ],
        Op::Mul(a, b) => vec![
            want(a, || g.mul(b)?.sum_to_shape(a.shape()))?,
            want(b, || g.mul(a)?.sum_to_shape(b.shape()))?,
        ],
        Op::Div(a, b) => vec![
            want(a, || g.div(b)?.sum_to_shape(a.shape()))?,
            want(b, || {
                g.mul(a)?.div(&b.mul(b)?)?.neg()?.sum_to_shape(b.shape())
            })?,
        ],
        Op::Neg(_) => vec![Some(g.neg()?)],
        Op::Pow { input, exponent } => {
            let p = *exponent;
            vec![Some(g.mul(&input.pow(p - 1.0)?.mul_scalar(p as f64)?)?)]
        }
        Op::Exp { output, .. } => vec![Some(g.mul(output)?)],
        Op::Log(input) => vec![Some(g.div(input)?)],
        Op::Sigmoid { output, .. } => {
            vec![Some(zip_f32(g, output, |g, s| g * s * (1.0 - s))?)]
        }
        Op::Tanh { output, .. } => vec![Some(zip_f32(g, output, |g, t| g * (1.0 - t * t))?)],
        Op::Relu(input) => vec![Some(zip_f32(
            g,
            input,
            // PyTorch's threshold_backward: zero where x <= 0, so a NaN input passes g.
            |g, x| if x <= 0.0 { 0.0 } else { g },
        )?)],
        Op::Sin(input) => vec![Some(zip_f32(g, input, |g, x| g * x.cos())?)],
        Op::Cos(input) => vec![Some(zip_f32(g, input, |g, x| -g * x.sin())?)],
        Op::Abs(input) => vec![Some(zip_f32(g, input, |g, x| {
            g * if x > 0.0 {
                1.0
            } else if x < 0.0 {
                -1.0
            } else {
                0.0
            }
        })?)],
        Op::Mm(a, b) => vec![
            want(a, || matmul_grad(g, b, Transpose::No, Transpose::Yes))?,
            want(b, || matmul_grad(a, g, Transpose::Yes, Transpose::No))?,
        ],
        Op::Bmm(a, b) => vec![
            want(a, || bmm_grad(g, b, Transpose::No, Transpose::Yes))?,
            want(b, || bmm_grad(a, g, Transpose::Yes, Transpose::No))?,
        ],
        Op::Sum { input, keep_shape } => {
            vec![Some(g.reshape_to(keep_shape)?.expand(input.shape())?)]
        }
        Op::Mean {
            input,
            keep_shape,
            count,
        } => vec![Some(
            g.div_scalar(*count as f64)?
                .reshape_to(keep_shape)?
                .expand(input.shape())?,
        )],
        Op::Expand(input) => vec![Some(g.sum_to_shape(input.shape())?)],
        Op::MaxAll { input, max } => {
            let gv = g.item()? as f32;
            let x = input.to_vec_f32();
            let ties = x
                .iter()
                .filter(|&&v| v == *max || (v.is_nan() && max.is_nan()))
                .count()
                .max(1);
            let share = gv / ties as f32;
            let data = x
                .iter()
                .map(|&v| {
                    if v == *max || (v.is_nan() && max.is_nan()) {
                        share
                    } else {
                        0.0
                    }
                })
                .collect();
            vec![Some(Tensor::from_f32(data, input.shape().to_vec())?)]
        }
        Op::MaxDim {
            input,
            dim,
            indices,
            keep_shape,
        } => {
            let g = g.reshape_to(keep_shape)?.to_vec_f32();
            let shape = input.shape();
            let n = shape[*dim];
            let inner: usize = shape[dim + 1..].iter().product::<usize>().max(1);
            let mut out = vec![0.0f32; input.numel()];
            for (pos, (&gi, &k)) in g.iter().zip(indices).enumerate() {
                let (o, i) = (pos / inner, pos % inner);
                out[(o * n + k) * inner + i] = gi;
            }
            vec![Some(Tensor::from_f32(out, shape.to_vec())?)]
        }
        Op::Reshape(input) => vec![Some(g.reshape_to(input.shape())?)],
        Op::Permute { dims, .. } => {
            let mut inverse = vec![0usize; dims.len()];
            for (i, &d) in dims.iter().enumerate() {
                inverse[d] = i;
            }
            vec![Some(g.permute_dims(&inverse)?)]
        }
        Op::Narrow { input, dim, start } => vec![Some(pad_into(g, input.shape(), *dim, *start)?)],
        Op::IndexSelect { input, dim, index } => {
            let shape = input.shape();
            let inner: usize = shape[dim + 1..].iter().product();
            let outer: usize = if inner * index.len() == 0 {
                0
            } else {
                shape[..*dim].iter().product()
            };
            let gv = g.to_vec_f32();
            let mut out = vec![0.0f32; input.numel()];
            for o in 0..outer {
                for (i, &p) in index.iter().enumerate() {
                    let src = (o * index.len() + i) * inner;
                    let dst = (o * shape[*dim] + p) * inner;
                    for k in 0..inner {
                        out[dst + k] += gv[src + k];
                    }
                }
            }
            vec![Some(Tensor::from_f32(out, shape.to_vec())?)]
        }
        Op::Cat { inputs, dim } => {
            let mut offset = 0;
            let mut out = Vec::with_capacity(inputs.len());
            for t in inputs {
                let len = t.shape()[*dim];
                out.push(want(t, || g.narrow_dim(*dim, offset, len))?);
                offset += len;
            }
            out
        }
        Op::Clone(_) => vec![Some(g.clone())],
        Op::Custom(_) => unreachable!("handled above"),
    })
}

/// Skips the computation for inputs that need no gradient.
fn want(t: &Tensor, f: impl FnOnce() -> Result<Tensor>) -> Result<Option<Tensor>> {
    if t.requires_grad() {
        f().map(Some)
    } else {
        Ok(None)
    }
}

fn zip_f32(a: &Tensor, b: &Tensor, f: impl Fn(f32, f32) -> f32) -> Result<Tensor> {
    let av = a.to_vec_f32();
    let bv = b.to_vec_f32();
    let out = av.iter().zip(&bv).map(|(&x, &y)| f(x, y)).collect();
    Tensor::from_f32(out, b.shape().to_vec())
}

/// `op(a) @ op(b)` for 2-D operands without materialising transposes.
fn matmul_grad(a: &Tensor, b: &Tensor, ta: Transpose, tb: Transpose) -> Result<Tensor> {
    let (ar, ac) = (a.shape()[0], a.shape()[1]);
    let (br, bc) = (b.shape()[0], b.shape()[1]);
    let (m, k) = if ta == Transpose::Yes {
        (ac, ar)
    } else {
        (ar, ac)
    };
    let n = if tb == Transpose::Yes { br } else { bc };
    let av = a.to_vec_f32();
    let bv = b.to_vec_f32();
    let mut out = vec![0.0f32; m * n];
    sgemm(m, k, n, &av, ta, &bv, tb, &mut out, 0.0);
    Tensor::from_f32(out, vec![m, n])
}

fn bmm_grad(a: &Tensor, b: &Tensor, ta: Transpose, tb: Transpose) -> Result<Tensor> {
    let batch = a.shape()[0];
    let (ar, ac) = (a.shape()[1], a.shape()[2]);
    let (br, bc) = (b.shape()[1], b.shape()[2]);
    let (m, k) = if ta == Transpose::Yes {
        (ac, ar)
    } else {
        (ar, ac)
    };
    let n = if tb == Transpose::Yes { br } else { bc };
    let av = a.to_vec_f32();
    let bv = b.to_vec_f32();
    let mut out = vec![0.0f32; batch * m * n];
    for i in 0..batch {
        sgemm(
            m,
            k,
            n,
            &av[i * ar * ac..(i + 1) * ar * ac],
            ta,
            &bv[i * br * bc..(i + 1) * br * bc],
            tb,
            &mut out[i * m * n..(i + 1) * m * n],
            0.0,
        );
    }
    Tensor::from_f32(out, vec![batch, m, n])
}

/// Zeros of `shape` with `g` written at `start..` along `dim` (the adjoint of narrow).
fn pad_into(g: &Tensor, shape: &[usize], dim: usize, start: usize) -> Result<Tensor> {
    let out = zeros(shape, g.dtype())?;
    {
        let src = g.storage();
        let mut dst = out.storage_mut();
        let (Storage::F32(s), Storage::F32(d)) = (&*src, &mut *dst) else {
            unreachable!("gradients are float32")
        };
        let inner: usize = shape[dim + 1..].iter().product();
        let len = g.shape()[dim];
        let block = len * inner;
        let outer: usize = if block == 0 {
            0
        } else {
            shape[..dim].iter().product()
        };
        for o in 0..outer {
            let dst_off = (o * shape[dim] + start) * inner;
            d[dst_off..dst_off + block].copy_from_slice(&s[o * block..(o + 1) * block]);
        }
    }
    Ok(out)
}
