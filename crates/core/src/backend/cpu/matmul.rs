//! Matrix products through the GEMM kernels, reading transposed views without copying them.

use std::borrow::Cow;

use super::{strided, CpuStorage};
use crate::backend::MatmulDims;
use crate::kernels::gemm::{sgemm, Transpose};
use crate::{bail, Layout, Result};

/// The operand's matrices as a slice plus whether each is stored transposed.
fn operand<'a>(v: &'a [f32], l: &Layout) -> Result<(Cow<'a, [f32]>, Transpose)> {
    let n = l.numel();
    Ok(match l.matrix_transposed() {
        Some(t) => (
            Cow::Borrowed(&v[l.offset()..l.offset() + n]),
            if t { Transpose::Yes } else { Transpose::No },
        ),
        None => (Cow::Owned(strided::gather("matmul", v, l)?), Transpose::No),
    })
}

pub fn matmul(
    a: &CpuStorage,
    la: &Layout,
    b: &CpuStorage,
    lb: &Layout,
    d: MatmulDims,
) -> Result<CpuStorage> {
    let (CpuStorage::F32(av), CpuStorage::F32(bv)) = (a, b) else {
        bail!(type, "matmul(): expected float32 tensors");
    };
    let mut out = crate::memory::zeroed::<f32>("matmul", &[d.batch, d.m, d.n])?;
    if out.is_empty() {
        return Ok(CpuStorage::F32(out));
    }
    let (x, ta) = operand(av, la)?;
    let (y, tb) = operand(bv, lb)?;
    let (sa, sb, so) = (d.m * d.k, d.k * d.n, d.m * d.n);
    for i in 0..d.batch {
        sgemm(
            d.m,
            d.k,
            d.n,
            &x[i * sa..(i + 1) * sa],
            ta,
            &y[i * sb..(i + 1) * sb],
            tb,
            &mut out[i * so..(i + 1) * so],
            0.0,
        );
    }
    Ok(CpuStorage::F32(out))
}
