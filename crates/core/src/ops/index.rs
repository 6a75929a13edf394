//! Slicing and joining: narrow, select, cat, stack.

use crate::autograd::{Node, Op};
use crate::shape::{fmt_shape, wrap_dim};
use crate::storage::Storage;
use crate::{bail, DType, Result, Tensor};

fn copy_block<T: Copy>(
    src: &[T],
    dst: &mut Vec<T>,
    outer: usize,
    src_row: usize,
    start: usize,
    len: usize,
) {
    for o in 0..outer {
        let off = o * src_row + start;
        dst.extend_from_slice(&src[off..off + len]);
    }
}

impl Tensor {
    /// `length` elements of dimension `dim` starting at `start` (negative start counts from the end).
    pub fn narrow(&self, dim: i64, start: i64, length: i64) -> Result<Tensor> {
        if self.ndim() == 0 {
            bail!(value, "narrow() cannot be applied to a 0-dim tensor.");
        }
        let d = wrap_dim(dim, self.ndim())?;
        let size = self.shape()[d] as i64;
        let s = if start < 0 { start + size } else { start };
        if s < 0 || s > size {
            bail!(
                range,
                "start out of range (expected to be in range of [{}, {}], but got {})",
                -size,
                size,
                start
            );
        }
        if length < 0 {
            bail!(range, "narrow(): length must be non-negative.");
        }
        if s + length > size {
            bail!(
                range,
                "start ({s}) + length ({length}) exceeds dimension size ({size})."
            );
        }
        self.narrow_dim(d, s as usize, length as usize)
    }

    pub(crate) fn narrow_dim(&self, dim: usize, start: usize, len: usize) -> Result<Tensor> {
        let shape = self.shape();
        let outer: usize = shape[..dim].iter().product();
        let inner: usize = shape[dim + 1..].iter().product();
        let row = shape[dim] * inner;
        let mut out_shape = shape.to_vec();
        out_shape[dim] = len;
        let storage = match &*self.storage() {
            Storage::F32(v) => {
                let mut o = Vec::with_capacity(outer * len * inner);
                copy_block(v, &mut o, outer, row, start * inner, len * inner);
                Storage::F32(o)
            }
            Storage::I64(v) => {
                let mut o = Vec::with_capacity(outer * len * inner);
                copy_block(v, &mut o, outer, row, start * inner, len * inner);
                Storage::I64(o)
            }
        };
        let node = Node::record(&[self], || Op::Narrow {
            input: self.clone(),
            dim,
            start,
        });
        Ok(Tensor::from_storage(storage, out_shape).with_grad_fn(node))
    }

    /// Index `index` of dimension `dim`, removing that dimension (negative index from the end).
    pub fn select(&self, dim: i64, index: i64) -> Result<Tensor> {
        if self.ndim() == 0 {
            bail!(range, "select() cannot be applied to a 0-dim tensor.");
        }
        let d = wrap_dim(dim, self.ndim())?;
        let size = self.shape()[d] as i64;
        if index < -size || index >= size {
            bail!(
                range,
                "select(): index {index} out of range for tensor of size {} at dimension {d}",
                fmt_shape(self.shape())
            );
        }
        let i = if index < 0 { index + size } else { index };
        self.narrow_dim(d, i as usize, 1)?.squeeze(Some(d as i64))
    }

    /// Joins tensors along an existing dimension; all other sizes must match.
    pub fn cat(tensors: &[Tensor], dim: i64) -> Result<Tensor> {
        let Some(first) = tensors.first() else {
            bail!(value, "torch.cat(): expected a non-empty list of Tensors");
        };
        if first.ndim() == 0 {
            bail!(
                value,
                "zero-dimensional tensor (at position 0) cannot be concatenated"
            );
        }
        let d = wrap_dim(dim, first.ndim())?;
        let dtype = first.dtype();
        for (i, t) in tensors.iter().enumerate() {
            if t.ndim() != first.ndim() {
                bail!(
                    value,
                    "Tensors must have same number of dimensions: got {} and {}",
                    first.ndim(),
                    t.ndim()
                );
            }
            for k in 0..first.ndim() {
                if k != d && t.shape()[k] != first.shape()[k] {
                    bail!(
                        value,
                        "Sizes of tensors must match except in dimension {d}. Expected size {} but got size {} for tensor number {i} in the list.",
                        first.shape()[k],
                        t.shape()[k]
                    );
                }
            }
            if t.dtype() != dtype {
                bail!(type, "torch.cat(): expected all tensors to have dtype {dtype}, got {} at position {i}", t.dtype());
            }
        }
        let outer: usize = first.shape()[..d].iter().product();
        let inner: usize = first.shape()[d + 1..].iter().product();
        let total: usize = tensors.iter().map(|t| t.shape()[d]).sum();
        let mut out_shape = first.shape().to_vec();
        out_shape[d] = total;
        let guards: Vec<_> = tensors.iter().map(|t| t.storage()).collect();
        let storage = match dtype {
            DType::F32 => {
                let mut out = Vec::with_capacity(outer * total * inner);
                for o in 0..outer {
                    for (t, g) in tensors.iter().zip(&guards) {
                        let Storage::F32(v) = &**g else {
                            unreachable!()
                        };
                        let block = t.shape()[d] * inner;
                        out.extend_from_slice(&v[o * block..(o + 1) * block]);
                    }
                }
                Storage::F32(out)
            }
            DType::I64 => {
                let mut out = Vec::with_capacity(outer * total * inner);
                for o in 0..outer {
                    for (t, g) in tensors.iter().zip(&guards) {
                        let Storage::I64(v) = &**g else {
                            unreachable!()
                        };
                        let block = t.shape()[d] * inner;
                        out.extend_from_slice(&v[o * block..(o + 1) * block]);
                    }
                }
                Storage::I64(out)
            }
        };
        drop(guards);
        let refs: Vec<&Tensor> = tensors.iter().collect();
        let node = Node::record(&refs, || Op::Cat {
            inputs: tensors.to_vec(),
            dim: d,
        });
        Ok(Tensor::from_storage(storage, out_shape).with_grad_fn(node))
    }

    /// Joins equally shaped tensors along a new dimension.
    pub fn stack(tensors: &[Tensor], dim: i64) -> Result<Tensor> {
        let Some(first) = tensors.first() else {
            bail!(value, "stack expects a non-empty TensorList");
        };
        for (i, t) in tensors.iter().enumerate() {
            if t.shape() != first.shape() {
                bail!(
                    value,
                    "stack expects each tensor to be equal size, but got {} at entry 0 and {} at entry {i}",
                    fmt_shape(first.shape()),
                    fmt_shape(t.shape())
                );
            }
        }
        let d = wrap_dim(dim, first.ndim() + 1)?;
        let parts = tensors
            .iter()
            .map(|t| t.unsqueeze(d as i64))
            .collect::<Result<Vec<_>>>()?;
        Tensor::cat(&parts, d as i64)
    }

    /// Rows (entries of `dim`) picked by an int64 `index`, in its order; repeats allowed.
    pub fn index_select(&self, dim: i64, index: &Tensor) -> Result<Tensor> {
        if index.dtype() != DType::I64 {
            bail!(
                type,
                "index_select(): Expected dtype int64 for index, got {}",
                index.dtype()
            );
        }
        if index.ndim() > 1 {
            bail!(value, "index_select(): Index is supposed to be a vector");
        }
        if self.ndim() == 0 {
            bail!(value, "index_select(): cannot select from a 0-dim tensor");
        }
        let d = wrap_dim(dim, self.ndim())?;
        let size = self.shape()[d];
        let mut picks = Vec::with_capacity(index.numel());
        for v in index.to_vec_i64() {
            if v < 0 || v as usize >= size {
                bail!(range, "index out of range in self");
            }
            picks.push(v as usize);
        }
        let outer: usize = self.shape()[..d].iter().product();
        let inner: usize = self.shape()[d + 1..].iter().product();
        let mut out_shape = self.shape().to_vec();
        out_shape[d] = picks.len();
        let mut starts = Vec::with_capacity(outer * picks.len());
        for o in 0..outer {
            for &p in &picks {
                starts.push((o * size + p) * inner);
            }
        }
        let storage = match &*self.storage() {
            Storage::F32(v) => Storage::F32(
                starts
                    .iter()
                    .flat_map(|&s| v[s..s + inner].iter().copied())
                    .collect(),
            ),
            Storage::I64(v) => Storage::I64(
                starts
                    .iter()
                    .flat_map(|&s| v[s..s + inner].iter().copied())
                    .collect(),
            ),
        };
        let node = Node::record(&[self], || Op::IndexSelect {
            input: self.clone(),
            dim: d,
            index: picks.clone(),
        });
        Ok(Tensor::from_storage(storage, out_shape).with_grad_fn(node))
    }
}
