//! The gradient of every primitive, as one match, written in tensor ops so it runs on whatever
//! device the graph lives on. Runs under no-grad, so the ops used here record nothing.

use super::node::Op;
use crate::backend::{BinaryOp, UnaryOp};
use crate::ops::elementwise::{binary_raw, unary_raw};
use crate::storage::Storage;
use crate::{Layout, Result, Tensor};

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
        Op::Clamp { input, min, max } => {
            // The gradient where the input is strictly inside the bounds, else 0: a select,
            // not a product, so an infinite or NaN gradient outside gives 0 as in PyTorch.
            let above = min
                .map(|lo| unary_raw(input, UnaryOp::GtMask(lo)))
                .transpose()?;
            let below = max
                .map(|hi| unary_raw(input, UnaryOp::LtMask(hi)))
                .transpose()?;
            let inside = match (above, below) {
                (Some(a), Some(b)) => a.mul(&b)?,
                (Some(m), None) | (None, Some(m)) => m,
                (None, None) => return Ok(vec![Some(g.clone())]),
            };
            vec![Some(binary_raw(BinaryOp::ReluBackward, g, &inside)?)]
        }
        Op::Exp { output, .. } => vec![Some(g.mul(output)?)],
        Op::Log(input) => vec![Some(g.div(input)?)],
        Op::Sigmoid { output, .. } => vec![Some(binary_raw(BinaryOp::SigmoidBackward, g, output)?)],
        Op::Tanh { output, .. } => vec![Some(binary_raw(BinaryOp::TanhBackward, g, output)?)],
        Op::Relu(input) => vec![Some(binary_raw(BinaryOp::ReluBackward, g, input)?)],
        Op::Sin(input) => vec![Some(g.mul(&input.cos()?)?)],
        Op::Cos(input) => vec![Some(g.mul(&input.sin()?)?.neg()?)],
        Op::Abs(input) => vec![Some(g.mul(&input.sign()?)?)],
        // The transposes are views: the products read them in place.
        Op::Mm(a, b) => vec![want(a, || g.mm(&b.t()?))?, want(b, || a.t()?.mm(g))?],
        Op::Bmm(a, b) => vec![
            want(a, || g.bmm(&b.transpose(1, 2)?))?,
            want(b, || a.transpose(1, 2)?.bmm(g))?,
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
        Op::ExtremeAll { input, value, .. } => {
            // Shared evenly among the extreme elements (PyTorch's rule for ties).
            let mask = unary_raw(input, UnaryOp::EqMask(*value))?;
            let ties = mask.sum(None, false)?;
            vec![Some(mask.mul(g)?.div(&ties)?)]
        }
        Op::ExtremeDim {
            input,
            dim,
            indices,
            keep_shape,
            ..
        } => {
            // Each winner's flat position; the gradient is scattered there.
            let shape = input.shape();
            let n = shape[*dim];
            let inner: usize = shape[dim + 1..].iter().product::<usize>().max(1);
            let flat: Vec<usize> = indices
                .iter()
                .enumerate()
                .map(|(pos, &k)| ((pos / inner) * n + k) * inner + pos % inner)
                .collect();
            let g = g.reshape_to(keep_shape)?.reshape_to(&[flat.len()])?;
            vec![Some(
                index_add_into(&[input.numel()], 0, &flat, &g)?.reshape_to(shape)?,
            )]
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
            vec![Some(index_add_into(input.shape(), *dim, index, g)?)]
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
        Op::ToDevice { input } => vec![Some(g.to_device(input.device())?)],
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

/// Zeros of `shape` on `src`'s device with `src`'s rows added at `index` along `dim` (the
/// adjoint of index_select).
pub(crate) fn index_add_into(
    shape: &[usize],
    dim: usize,
    index: &[usize],
    src: &Tensor,
) -> Result<Tensor> {
    let mut out = Storage::full(src.device(), shape, 0.0, src.dtype())?;
    let layout = Layout::contiguous(shape.to_vec());
    out.index_add_(&layout, dim, index, &src.storage(), src.layout())?;
    Ok(Tensor::from_storage(out, shape.to_vec()))
}

/// Zeros of `shape` with `g` written at `start..` along `dim` (the adjoint of narrow).
fn pad_into(g: &Tensor, shape: &[usize], dim: usize, start: usize) -> Result<Tensor> {
    let mut out = Storage::full(g.device(), shape, 0.0, g.dtype())?;
    let layout = Layout::contiguous(shape.to_vec()).narrow(dim, start, g.shape()[dim]);
    if layout.numel() > 0 {
        out.copy_into(&layout, &g.storage(), g.layout())?;
    }
    Ok(Tensor::from_storage(out, shape.to_vec()))
}
