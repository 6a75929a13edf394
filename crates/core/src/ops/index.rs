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

/// `src` viewed as (outer, size, inner): the rows `picks` of each outer block, in order.
fn gather_rows<T: Copy>(
    src: &[T],
    out_shape: &[usize],
    outer: usize,
    size: usize,
    picks: &[usize],
    inner: usize,
) -> Result<Vec<T>> {
    let mut out = crate::memory::with_capacity("index_select", out_shape)?;
    for o in 0..outer {
        for &p in picks {
            let s = (o * size + p) * inner;
            out.extend_from_slice(&src[s..s + inner]);
        }
    }
    Ok(out)
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
        // An empty result needs no walk over `outer` (which can be huge beside a 0-size dim).
        let blocks = if len * inner == 0 { 0 } else { outer };
        let storage = match &*self.storage() {
            Storage::F32(v) => {
                let mut o = crate::memory::with_capacity("narrow", &out_shape)?;
                copy_block(v, &mut o, blocks, row, start * inner, len * inner);
                Storage::F32(o)
            }
            Storage::I64(v) => {
                let mut o = crate::memory::with_capacity("narrow", &out_shape)?;
                copy_block(v, &mut o, blocks, row, start * inner, len * inner);
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
        let inner: usize = first.shape()[d + 1..].iter().product();
        let mut total: usize = 0;
        for t in tensors {
            total = match total.checked_add(t.shape()[d]) {
                Some(v) => v,
                None => bail!(range, "torch.cat(): the joined size is too large"),
            };
        }
        let mut out_shape = first.shape().to_vec();
        out_shape[d] = total;
        crate::shape::checked_numel("cat", &out_shape)?;
        let outer: usize = if total * inner == 0 {
            0
        } else {
            first.shape()[..d].iter().product()
        };
        // One read guard per distinct storage: the same tensor may appear many times, and
        // read-locking one lock repeatedly can deadlock behind a waiting writer.
        let mut unique: Vec<&Tensor> = Vec::new();
        let which: Vec<usize> = tensors
            .iter()
            .map(|t| match unique.iter().position(|u| u.same_storage(t)) {
                Some(i) => i,
                None => {
                    unique.push(t);
                    unique.len() - 1
                }
            })
            .collect();
        let held: Vec<_> = unique.iter().map(|t| t.storage()).collect();
        let guards: Vec<&Storage> = which.iter().map(|&i| &*held[i]).collect();
        let storage = match dtype {
            DType::F32 => {
                let mut out = crate::memory::with_capacity("cat", &out_shape)?;
                for o in 0..outer {
                    for (t, g) in tensors.iter().zip(&guards) {
                        let Storage::F32(v) = g else { unreachable!() };
                        let block = t.shape()[d] * inner;
                        out.extend_from_slice(&v[o * block..(o + 1) * block]);
                    }
                }
                Storage::F32(out)
            }
            DType::I64 => {
                let mut out = crate::memory::with_capacity("cat", &out_shape)?;
                for o in 0..outer {
                    for (t, g) in tensors.iter().zip(&guards) {
                        let Storage::I64(v) = g else { unreachable!() };
                        let block = t.shape()[d] * inner;
                        out.extend_from_slice(&v[o * block..(o + 1) * block]);
                    }
                }
                Storage::I64(out)
            }
        };
        drop(guards);
        drop(held);
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
                bail!(
                    range,
                    "index_select(): index {v} is out of range for dimension {d} of size {size} (index out of range in self)"
                );
            }
            picks.push(v as usize);
        }
        let inner: usize = self.shape()[d + 1..].iter().product();
        let mut out_shape = self.shape().to_vec();
        out_shape[d] = picks.len();
        crate::shape::checked_numel("index_select", &out_shape)?;
        let outer: usize = if picks.len() * inner == 0 {
            0
        } else {
            self.shape()[..d].iter().product()
        };
        let storage = match &*self.storage() {
            Storage::F32(v) => {
                Storage::F32(gather_rows(v, &out_shape, outer, size, &picks, inner)?)
            }
            Storage::I64(v) => {
                Storage::I64(gather_rows(v, &out_shape, outer, size, &picks, inner)?)
            }
        };
        let node = Node::record(&[self], || Op::IndexSelect {
            input: self.clone(),
            dim: d,
            index: picks.clone(),
        });
        Ok(Tensor::from_storage(storage, out_shape).with_grad_fn(node))
    }
}
