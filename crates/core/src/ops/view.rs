//! Shape changes. Reshape, squeeze, unsqueeze and detach share storage (the data is contiguous
//! either way); transpose, permute and expand copy into a new contiguous buffer.

use crate::autograd::{Node, Op};
use crate::shape::{broadcast_strides, fmt_shape, infer_reshape, numel, strides, wrap_dim};
use crate::storage::Storage;
use crate::{bail, Result, Tensor};

/// Gathers `src` (contiguous, `src_shape`) read through `read_strides` into a contiguous buffer
/// of `out_shape`, walking rows of the last dimension.
fn gather<T: crate::memory::Zeroable>(
    op: &str,
    src: &[T],
    read_strides: &[usize],
    out_shape: &[usize],
) -> Result<Vec<T>> {
    let mut out = crate::memory::zeroed::<T>(op, out_shape)?;
    if out.is_empty() {
        return Ok(out);
    }
    if out_shape.is_empty() {
        out[0] = src[0];
        return Ok(out);
    }
    let nd = out_shape.len();
    let last = out_shape[nd - 1];
    let ls = read_strides[nd - 1];
    let mut index = vec![0usize; nd];
    for row in out.chunks_mut(last) {
        let base: usize = (0..nd - 1).map(|d| index[d] * read_strides[d]).sum();
        if ls == 1 {
            row.copy_from_slice(&src[base..base + last]);
        } else {
            for (j, o) in row.iter_mut().enumerate() {
                *o = src[base + j * ls];
            }
        }
        for d in (0..nd - 1).rev() {
            index[d] += 1;
            if index[d] < out_shape[d] {
                break;
            }
            index[d] = 0;
        }
    }
    Ok(out)
}

fn gather_storage(
    op: &str,
    s: &Storage,
    read_strides: &[usize],
    out_shape: &[usize],
) -> Result<Storage> {
    Ok(match s {
        Storage::F32(v) => Storage::F32(gather(op, v, read_strides, out_shape)?),
        Storage::I64(v) => Storage::I64(gather(op, v, read_strides, out_shape)?),
    })
}

impl Tensor {
    /// `reshape` with PyTorch's `-1` inference.
    pub fn reshape(&self, shape: &[i64]) -> Result<Tensor> {
        let target = infer_reshape(self.shape(), shape)?;
        self.reshape_to(&target)
    }

    /// Reshape to a fully known shape; shares storage.
    pub fn reshape_to(&self, shape: &[usize]) -> Result<Tensor> {
        if numel(shape) != self.numel() {
            bail!(
                value,
                "shape '{}' is invalid for input of size {}",
                fmt_shape(shape),
                self.numel()
            );
        }
        let node = Node::record(&[self], || Op::Reshape(self.clone()));
        Ok(self.share_with_shape(shape.to_vec(), node))
    }

    /// Removes size-1 dimensions: all of them, or only `dim` if it has size 1.
    pub fn squeeze(&self, dim: Option<i64>) -> Result<Tensor> {
        let shape: Vec<usize> = match dim {
            None => self.shape().iter().copied().filter(|&d| d != 1).collect(),
            Some(d) => {
                let d = wrap_dim(d, self.ndim())?;
                let mut s = self.shape().to_vec();
                if s.get(d) == Some(&1) {
                    s.remove(d);
                }
                s
            }
        };
        self.reshape_to(&shape)
    }

    /// Inserts a size-1 dimension at `dim` (range `-(ndim+1)..=ndim`).
    pub fn unsqueeze(&self, dim: i64) -> Result<Tensor> {
        let d = wrap_dim(dim, self.ndim() + 1)?;
        let mut s = self.shape().to_vec();
        s.insert(d, 1);
        self.reshape_to(&s)
    }

    pub fn flatten(&self) -> Result<Tensor> {
        self.reshape_to(&[self.numel()])
    }

    pub fn transpose(&self, dim0: i64, dim1: i64) -> Result<Tensor> {
        let nd = self.ndim();
        let (a, b) = (wrap_dim(dim0, nd)?, wrap_dim(dim1, nd)?);
        let mut dims: Vec<usize> = (0..nd).collect();
        if nd > 0 {
            dims.swap(a, b);
        }
        self.permute_dims(&dims)
    }

    /// `permute` with negative dims allowed; PyTorch's message for a wrong count or repeats.
    pub fn permute(&self, dims: &[i64]) -> Result<Tensor> {
        let nd = self.ndim();
        if dims.len() != nd {
            bail!(
                value,
                "permute(sparse_coo): number of dimensions in the tensor input does not match the length of the desired ordering of dimensions i.e. input.dim() = {nd} is not equal to len(dims) = {}",
                dims.len()
            );
        }
        let mut wrapped = Vec::with_capacity(nd);
        let mut seen = vec![false; nd];
        for &d in dims {
            let w = wrap_dim(d, nd)?;
            if seen[w] {
                bail!(value, "permute(): duplicate dims are not allowed.");
            }
            seen[w] = true;
            wrapped.push(w);
        }
        self.permute_dims(&wrapped)
    }

    /// Permutation by already-validated dims: output dim `i` is input dim `dims[i]`.
    pub(crate) fn permute_dims(&self, dims: &[usize]) -> Result<Tensor> {
        let in_strides = strides(self.shape());
        let out_shape: Vec<usize> = dims.iter().map(|&d| self.shape()[d]).collect();
        let read: Vec<usize> = dims.iter().map(|&d| in_strides[d]).collect();
        let storage = gather_storage("permute", &self.storage(), &read, &out_shape)?;
        let node = Node::record(&[self], || Op::Permute {
            input: self.clone(),
            dims: dims.to_vec(),
        });
        Ok(Tensor::from_storage(storage, out_shape).with_grad_fn(node))
    }

    /// Broadcasts to `shape` (NumPy rules), copying; the gradient sums back.
    pub fn expand(&self, shape: &[usize]) -> Result<Tensor> {
        let ok = shape.len() >= self.ndim()
            && self
                .shape()
                .iter()
                .rev()
                .zip(shape.iter().rev())
                .all(|(&s, &t)| s == t || s == 1);
        if !ok {
            bail!(
                value,
                "The expanded size of the tensor must match the existing size at non-singleton dimensions. Target sizes: {}. Tensor sizes: {}",
                fmt_shape(shape),
                fmt_shape(self.shape())
            );
        }
        if shape == self.shape() {
            return Ok(self.clone());
        }
        crate::shape::checked_numel("expand", shape)?;
        let read = broadcast_strides(self.shape(), shape);
        let storage = gather_storage("expand", &self.storage(), &read, shape)?;
        let node = Node::record(&[self], || Op::Expand(self.clone()));
        Ok(Tensor::from_storage(storage, shape.to_vec()).with_grad_fn(node))
    }

    /// `expand` with PyTorch's `-1` meaning "keep this size".
    pub fn expand_sizes(&self, sizes: &[i64]) -> Result<Tensor> {
        if sizes.len() < self.ndim() {
            bail!(
                value,
                "expand(): the number of sizes provided ({}) must be greater or equal to the number of dimensions in the tensor ({})",
                sizes.len(),
                self.ndim()
            );
        }
        let offset = sizes.len() - self.ndim();
        let mut target = Vec::with_capacity(sizes.len());
        for (i, &s) in sizes.iter().enumerate() {
            if s == -1 {
                if i < offset {
                    bail!(
                        value,
                        "expand(): -1 is not allowed in a leading, non-existing dimension"
                    );
                }
                target.push(self.shape()[i - offset]);
            } else if s < 0 {
                bail!(range, "expand(): invalid size {s}");
            } else {
                target.push(s as usize);
            }
        }
        self.expand(&target)
    }

    /// A copy that stays in the graph (`clone()` in PyTorch).
    pub fn clone_tensor(&self) -> Tensor {
        let node = Node::record(&[self], || Op::Clone(self.clone()));
        self.deep_copy().with_grad_fn(node)
    }
}
