//! Matrix products: `mm` (2-D), `bmm` (3-D) and `matmul` with NumPy's rules for 1-D operands
//! and broadcast batch dimensions, composed from the two primitives so gradients follow.

use crate::autograd::{Node, Op};
use crate::backend::MatmulDims;
use crate::device::same_device;
use crate::shape::{broadcast_shapes, fmt_shape};
use crate::{bail, DType, Result, Tensor};

/// `[b, m, k] @ [b, k, n]` on the operands' device; strided (e.g. transposed) operands are
/// read in place where the kernel allows.
pub(crate) fn matmul_raw(a: &Tensor, b: &Tensor, d: MatmulDims) -> Result<Tensor> {
    same_device(&[a, b])?;
    let batched = |t: &Tensor, r: usize, c: usize| {
        if t.ndim() == 2 {
            t.layout().unsqueeze(0)
        } else {
            debug_assert_eq!(t.shape()[1..], [r, c]);
            t.layout().clone()
        }
    };
    let (la, lb) = (batched(a, d.m, d.k), batched(b, d.k, d.n));
    let storage = if a.same_storage(b) {
        let s = a.storage();
        s.matmul(&la, &s, &lb, d)?
    } else {
        a.storage().matmul(&la, &b.storage(), &lb, d)?
    };
    let shape = if a.ndim() == 2 {
        vec![d.m, d.n]
    } else {
        vec![d.batch, d.m, d.n]
    };
    Ok(Tensor::from_storage(storage, shape))
}

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
        let out = matmul_raw(self, other, MatmulDims { batch: 1, m, k, n })?;
        let node = Node::record(&[self, other], || Op::Mm(self.clone(), other.clone()));
        Ok(out.with_grad_fn(node))
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
        let out = matmul_raw(self, other, MatmulDims { batch, m, k, n })?;
        let node = Node::record(&[self, other], || Op::Bmm(self.clone(), other.clone()));
        Ok(out.with_grad_fn(node))
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
