//! Slicing and joining: narrow, select and split (views), cat, stack, index_select.

use crate::autograd::{Node, Op};
use crate::device::same_device;
use crate::shape::{fmt_shape, wrap_dim};
use crate::storage::Storage;
use crate::{bail, DType, Layout, Result, Tensor};

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

    /// A view of positions `start..start + len` along `dim` (already validated).
    pub(crate) fn narrow_dim(&self, dim: usize, start: usize, len: usize) -> Result<Tensor> {
        let node = Node::record(&[self], || Op::Narrow {
            input: self.clone(),
            dim,
            start,
        });
        Ok(self.share_with_layout(self.layout().narrow(dim, start, len), node))
    }

    /// Consecutive pieces of `sizes` along `dim` (which must add up to its length), as views:
    /// `torch.split(t, sizes, dim)`. One autograd node for all pieces, whose backward
    /// concatenates their gradients (zeros for unused pieces): a loop over the pieces of a
    /// long tensor then costs one pass in backward, where a narrow per piece would write a
    /// full-size gradient each.
    pub fn split_with_sizes(&self, sizes: &[usize], dim: i64) -> Result<Vec<Tensor>> {
        if self.ndim() == 0 {
            bail!(value, "split_with_sizes(): cannot split a 0-dim tensor");
        }
        let d = wrap_dim(dim, self.ndim())?;
        let total: usize = sizes.iter().sum();
        if total != self.shape()[d] {
            bail!(
                value,
                "split_with_sizes expects split_sizes to sum exactly to {} (input tensor's size at dimension {d}), but got split_sizes={sizes:?}",
                self.shape()[d]
            );
        }
        let node = Node::record_custom(&[self], || {
            Box::new(SplitBackward {
                input: self.clone(),
                dim: d,
                sizes: sizes.to_vec(),
            })
        });
        let mut start = 0;
        let mut pieces = Vec::with_capacity(sizes.len());
        for (i, &len) in sizes.iter().enumerate() {
            let view = self.share_with_layout(self.layout().narrow(d, start, len), None);
            pieces.push(view.with_grad_fn_output(node.clone(), i));
            start += len;
        }
        Ok(pieces)
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
        let refs: Vec<&Tensor> = tensors.iter().collect();
        let device = same_device(&refs)?;
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
        // Each input is written into its slice of the output, on the device they share.
        let mut storage = Storage::full(device, &out_shape, 0.0, dtype)?;
        let whole = Layout::contiguous(out_shape.clone());
        let mut offset = 0;
        for t in tensors {
            let len = t.shape()[d];
            if len > 0 {
                storage.copy_into(&whole.narrow(d, offset, len), &t.storage(), t.layout())?;
            }
            offset += len;
        }
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
        let mut out_shape = self.shape().to_vec();
        out_shape[d] = picks.len();
        crate::shape::checked_numel("index_select", &out_shape)?;
        let storage = self.storage().index_select(self.layout(), d, &picks)?;
        let node = Node::record(&[self], || Op::IndexSelect {
            input: self.clone(),
            dim: d,
            index: picks.clone(),
        });
        Ok(Tensor::from_storage(storage, out_shape).with_grad_fn(node))
    }
}

/// The backward of `split_with_sizes`: the pieces' gradients side by side.
struct SplitBackward {
    input: Tensor,
    dim: usize,
    sizes: Vec<usize>,
}

impl crate::autograd::CustomBackward for SplitBackward {
    fn name(&self) -> &'static str {
        "SplitWithSizesBackward0"
    }

    fn inputs(&self) -> Vec<Tensor> {
        vec![self.input.clone()]
    }

    fn num_outputs(&self) -> usize {
        self.sizes.len()
    }

    /// Nothing is read back: only shapes.
    fn saved_tensors(&self) -> Vec<Tensor> {
        Vec::new()
    }

    fn backward(&self, grads: &[Option<Tensor>]) -> Result<Vec<Option<Tensor>>> {
        let pieces = self
            .sizes
            .iter()
            .zip(grads)
            .map(|(&len, g)| match g {
                Some(g) => Ok(g.clone()),
                None => {
                    let mut shape = self.input.shape().to_vec();
                    shape[self.dim] = len;
                    Ok(Tensor::from_storage(
                        crate::storage::Storage::full(
                            self.input.device(),
                            &shape,
                            0.0,
                            self.input.dtype(),
                        )?,
                        shape,
                    ))
                }
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(vec![Some(Tensor::cat(&pieces, self.dim as i64)?)])
    }
}
