//! Matrix products: `mm` (2-D), `bmm` (3-D) and `matmul` with NumPy's rules for 1-D operands
//! and broadcast batch dimensions, composed from the two primitives so gradients follow.

use crate::autograd::{Node, Op};
use crate::kernels::gemm::{sgemm, Transpose};
use crate::shape::{broadcast_shapes, fmt_shape};
use crate::storage::Storage;
use crate::{bail, DType, Result, Tensor};

fn require_f32(op: &str, a: &Tensor, b: &Tensor) -> Result<()> {
    if a.dtype() != DType::F32 || b.dtype() != DType::F32 {
        bail!(
            type,
            "{op}(): expected float32 tensors, got {} and {}",
            a.dtype(),
            b.dtype()
        );
    }
    Ok(())
}

impl Tensor {
    /// 2-D product: (n, m) @ (m, p) -> (n, p).
    pub fn mm(&self, other: &Tensor) -> Result<Tensor> {
        require_f32("mm", self, other)?;
        if self.ndim() != 2 || other.ndim() != 2 {
            bail!(
                value,
                "mm(): expected 2-D tensors, got {}-D and {}-D",
                self.ndim(),
                other.ndim()
            );
        }
        let (m, k) = (self.shape()[0], self.shape()[1]);
        let (k2, n) = (other.shape()[0], other.shape()[1]);
        if k != k2 {
            bail!(
                value,
                "mat1 and mat2 shapes cannot be multiplied ({m}x{k} and {k2}x{n})"
            );
        }
        let mut out = crate::memory::zeroed::<f32>("matmul", &[m, n])?;
        {
            let (ga, gb) = (self.storage(), other.storage());
            let (Storage::F32(a), Storage::F32(b)) = (&*ga, &*gb) else {
                unreachable!()
            };
            sgemm(m, k, n, a, Transpose::No, b, Transpose::No, &mut out, 0.0);
        }
        let node = Node::record(&[self, other], || Op::Mm(self.clone(), other.clone()));
        Ok(Tensor::from_f32(out, vec![m, n])?.with_grad_fn(node))
    }

    /// Batched product: (b, n, m) @ (b, m, p) -> (b, n, p).
    pub fn bmm(&self, other: &Tensor) -> Result<Tensor> {
        require_f32("bmm", self, other)?;
        if self.ndim() != 3 || other.ndim() != 3 {
            bail!(
                value,
                "bmm(): expected 3-D tensors, got {}-D and {}-D",
                self.ndim(),
                other.ndim()
            );
        }
        let (batch, m, k) = (self.shape()[0], self.shape()[1], self.shape()[2]);
        let n = other.shape()[2];
        if other.shape()[0] != batch || other.shape()[1] != k {
            bail!(
                value,
                "Expected size for first two dimensions of batch2 tensor to be: [{batch}, {k}] but got: [{}, {}].",
                other.shape()[0],
                other.shape()[1]
            );
        }
        let mut out = crate::memory::zeroed::<f32>("matmul", &[batch, m, n])?;
        {
            let (ga, gb) = (self.storage(), other.storage());
            let (Storage::F32(a), Storage::F32(b)) = (&*ga, &*gb) else {
                unreachable!()
            };
            for i in 0..batch {
                sgemm(
                    m,
                    k,
                    n,
                    &a[i * m * k..(i + 1) * m * k],
                    Transpose::No,
                    &b[i * k * n..(i + 1) * k * n],
                    Transpose::No,
                    &mut out[i * m * n..(i + 1) * m * n],
                    0.0,
                );
            }
        }
        let node = Node::record(&[self, other], || Op::Bmm(self.clone(), other.clone()));
        Ok(Tensor::from_f32(out, vec![batch, m, n])?.with_grad_fn(node))
    }

    /// `torch.matmul`: dot, matrix-vector, matrix-matrix, and batched with broadcasting.
    pub fn matmul(&self, other: &Tensor) -> Result<Tensor> {
        require_f32("matmul", self, other)?;
        let (da, db) = (self.ndim(), other.ndim());
        if da == 0 || db == 0 {
            bail!(
                value,
                "both arguments to matmul need to be at least 1D, but they are {da}D and {db}D"
            );
        }
        // Promote 1-D operands to matrices, remembering which dims to drop afterwards.
        let a = if da == 1 {
            self.unsqueeze(0)?
        } else {
            self.clone()
        };
        let b = if db == 1 {
            other.unsqueeze(1)?
        } else {
            other.clone()
        };
        let (m, k) = (a.shape()[a.ndim() - 2], a.shape()[a.ndim() - 1]);
        let (k2, n) = (b.shape()[b.ndim() - 2], b.shape()[b.ndim() - 1]);
        if k != k2 {
            if a.ndim() == 2 && b.ndim() == 2 {
                bail!(
                    value,
                    "mat1 and mat2 shapes cannot be multiplied ({m}x{k} and {k2}x{n})"
                );
            }
            bail!(
                value,
                "matmul(): inner dimensions do not match: {} @ {}",
                fmt_shape(self.shape()),
                fmt_shape(other.shape())
            );
        }
        let out = if a.ndim() == 2 && b.ndim() == 2 {
            a.mm(&b)?
        } else if b.ndim() == 2 {
            // (..., m, k) @ (k, n): one large GEMM over all leading rows.
            let lead = &a.shape()[..a.ndim() - 2];
            let rows: usize = lead.iter().product::<usize>() * m;
            let mut shape = lead.to_vec();
            shape.extend([m, n]);
            a.reshape_to(&[rows, k])?.mm(&b)?.reshape_to(&shape)?
        } else {
            let batch_a = &a.shape()[..a.ndim() - 2];
            let batch_b = &b.shape()[..b.ndim() - 2];
            let batch = broadcast_shapes(batch_a, batch_b)?;
            let count: usize = batch.iter().product();
            let mut sa = batch.clone();
            sa.extend([m, k]);
            let mut sb = batch.clone();
            sb.extend([k, n]);
            let mut so = batch.clone();
            so.extend([m, n]);
            let a3 = a.expand(&sa)?.reshape_to(&[count, m, k])?;
            let b3 = b.expand(&sb)?.reshape_to(&[count, k, n])?;
            a3.bmm(&b3)?.reshape_to(&so)?
        };
        let out = if db == 1 { out.squeeze(Some(-1))? } else { out };
        if da == 1 {
            out.squeeze(Some(if db == 1 { -1 } else { -2 }))
        } else {
            Ok(out)
        }
    }
}
