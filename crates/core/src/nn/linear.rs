//! `y = x W^T + b` over any leading dimensions, as one GEMM with the weight read transposed.

use crate::autograd::{CustomBackward, Node};
use crate::backend::fused::{self, FusedOp};
use crate::kernels::gemm::{sgemm, Transpose};
use crate::{bail, DType, Result, Tensor};

struct LinearOp<'a> {
    x: &'a Tensor,
    w: &'a Tensor,
    b: Option<&'a Tensor>,
}

impl FusedOp for LinearOp<'_> {
    type Output = Tensor;
    fn name(&self) -> &'static str {
        "linear"
    }
    fn operands(&self) -> Vec<&Tensor> {
        let mut v = vec![self.x, self.w];
        v.extend(self.b);
        v
    }
    fn cpu(self) -> Result<Tensor> {
        linear_cpu(self.x, self.w, self.b)
    }
    /// A product and a broadcast add in tensor ops (cuBLAS reads the transposed weight view).
    fn cuda(self, _ordinal: usize) -> Result<Tensor> {
        linear_reference(self.x, self.w, self.b)
    }
}

pub fn linear(x: &Tensor, w: &Tensor, b: Option<&Tensor>) -> Result<Tensor> {
    fused::run(LinearOp { x, w, b })
}

/// `linear` in tensor ops, on any device: the CUDA body, checked against the CPU kernel.
pub fn linear_reference(x: &Tensor, w: &Tensor, b: Option<&Tensor>) -> Result<Tensor> {
    check_linear(x, w, b)?;
    let y = x.matmul(&w.t()?)?;
    match b {
        Some(b) => y.add(b),
        None => Ok(y),
    }
}

/// PyTorch's checks, shared by both bodies; returns (rows, in_features, out_features).
fn check_linear(x: &Tensor, w: &Tensor, b: Option<&Tensor>) -> Result<(usize, usize, usize)> {
    if x.dtype() != DType::F32 || w.dtype() != DType::F32 {
        bail!(type, "linear(): expected float32 input and weight");
    }
    if w.ndim() != 2 {
        bail!(value, "linear(): weight must be 2-D, got {}-D", w.ndim());
    }
    let (out_f, in_f) = (w.shape()[0], w.shape()[1]);
    if x.ndim() == 0 {
        bail!(value, "linear(): input must have at least 1 dimension");
    }
    let k = x.shape()[x.ndim() - 1];
    // The leading sizes, not numel / k: with k = 0 there are still rows (PyTorch returns the
    // bias for each of them).
    let rows: usize = x.shape()[..x.ndim() - 1].iter().product();
    if k != in_f {
        bail!(
            value,
            "mat1 and mat2 shapes cannot be multiplied ({rows}x{k} and {in_f}x{out_f})"
        );
    }
    if let Some(b) = b {
        if b.shape() != [out_f] {
            bail!(
                value,
                "linear(): bias must have shape [{out_f}], got {:?}",
                b.shape()
            );
        }
    }
    Ok((rows, in_f, out_f))
}

fn linear_cpu(x: &Tensor, w: &Tensor, b: Option<&Tensor>) -> Result<Tensor> {
    let (rows, in_f, out_f) = check_linear(x, w, b)?;
    let mut shape = x.shape().to_vec();
    *shape.last_mut().expect("ndim >= 1") = out_f;
    let mut out = crate::memory::zeroed::<f32>("linear", &shape)?;
    if let Some(b) = b {
        let bh = b.host()?;
        let bv = bh.f32("bias")?;
        if out_f > 0 {
            out.chunks_exact_mut(out_f)
                .for_each(|row| row.copy_from_slice(bv));
        }
    }
    // Read in place: no copies of the input or the weight.
    let (xh, wh) = (x.host()?, w.host()?);
    let (xv, wv) = (xh.f32("input")?, wh.f32("weight")?);
    sgemm(
        rows,
        in_f,
        out_f,
        xv,
        Transpose::No,
        wv,
        Transpose::Yes,
        &mut out,
        if b.is_some() { 1.0 } else { 0.0 },
    );
    let mut inputs = vec![x, w];
    inputs.extend(b);
    let node = Node::record_custom(&inputs, || {
        Box::new(LinearBackward {
            x: x.clone(),
            w: w.clone(),
            b: b.cloned(),
            rows,
        })
    });
    Ok(Tensor::from_f32(out, shape)?.with_grad_fn_output(node, 0))
}

struct LinearBackward {
    x: Tensor,
    w: Tensor,
    b: Option<Tensor>,
    rows: usize,
}

impl CustomBackward for LinearBackward {
    fn name(&self) -> &'static str {
        "AddmmBackward0"
    }

    fn inputs(&self) -> Vec<Tensor> {
        let mut v = vec![self.x.clone(), self.w.clone()];
        v.extend(self.b.clone());
        v
    }

    /// The bias gradient needs no values (as PyTorch's addmm saves only the matrices).
    fn saved_tensors(&self) -> Vec<Tensor> {
        vec![self.x.clone(), self.w.clone()]
    }

    /// Written in tensor ops (products of views, no copies), so it runs on any device.
    fn backward(&self, grads: &[Option<Tensor>]) -> Result<Vec<Option<Tensor>>> {
        let g = grads[0].as_ref().expect("called with a gradient");
        let (out_f, in_f) = (self.w.shape()[0], self.w.shape()[1]);
        let g2 = g.reshape_to(&[self.rows, out_f])?;
        let dx = if self.x.requires_grad() {
            Some(g2.mm(&self.w)?.reshape_to(self.x.shape())?)
        } else {
            None
        };
        let dw = if self.w.requires_grad() {
            let x2 = self.x.reshape_to(&[self.rows, in_f])?;
            Some(g2.t()?.mm(&x2)?)
        } else {
            None
        };
        let mut out = vec![dx, dw];
        if let Some(b) = &self.b {
            out.push(if b.requires_grad() {
                Some(g2.sum(Some(&[0]), false)?)
            } else {
                None
            });
        }
        Ok(out)
    }
}
