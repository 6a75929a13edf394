//! Shape changes as views over shared storage: reshape (of contiguous data), squeeze, unsqueeze,
//! transpose, permute and expand only change the layout. Reshaping a strided view copies, as
//! PyTorch's `reshape` does.

use crate::autograd::{Node, Op};
use crate::shape::{fmt_shape, infer_reshape, numel, wrap_dim};
use crate::{bail, Layout, Result, Tensor};

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
        if !self.is_contiguous() {
            let copy = self.deep_copy()?;
            return Ok(copy.share_with_layout(Layout::contiguous(shape.to_vec()), node));
        }
        let layout = Layout::contiguous_at(shape.to_vec(), self.layout().offset());
        Ok(self.share_with_layout(layout, node))
    }

    /// Removes size-1 dimensions: all of them, or only `dim` if it has size 1. A view.
    pub fn squeeze(&self, dim: Option<i64>) -> Result<Tensor> {
        let dims: Vec<usize> = match dim {
            None => (0..self.ndim()).filter(|&i| self.shape()[i] == 1).collect(),
            Some(d) => {
                let d = wrap_dim(d, self.ndim())?;
                if self.shape().get(d) == Some(&1) {
                    vec![d]
                } else {
                    vec![]
                }
            }
        };
        let node = Node::record(&[self], || Op::Reshape(self.clone()));
        Ok(self.share_with_layout(self.layout().squeeze(&dims), node))
    }

    /// Inserts a size-1 dimension at `dim` (range `-(ndim+1)..=ndim`). A view.
    pub fn unsqueeze(&self, dim: i64) -> Result<Tensor> {
        let d = wrap_dim(dim, self.ndim() + 1)?;
        let node = Node::record(&[self], || Op::Reshape(self.clone()));
        Ok(self.share_with_layout(self.layout().unsqueeze(d), node))
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

    /// Permutation by already-validated dims: output dim `i` is input dim `dims[i]`. A view.
    pub(crate) fn permute_dims(&self, dims: &[usize]) -> Result<Tensor> {
        let node = Node::record(&[self], || Op::Permute {
            input: self.clone(),
            dims: dims.to_vec(),
        });
        Ok(self.share_with_layout(self.layout().permute(dims), node))
    }

    /// 2-D transpose (`t()` in PyTorch); 0-D and 1-D tensors come back as they are.
    pub fn t(&self) -> Result<Tensor> {
        if self.ndim() > 2 {
            bail!(
                value,
                "t() expects a tensor with <= 2 dimensions, but self is {}D",
                self.ndim()
            );
        }
        if self.ndim() < 2 {
            return Ok(self.clone());
        }
        self.permute_dims(&[1, 0])
    }

    /// Broadcasts to `shape` (NumPy rules) as a view with zero strides; the gradient sums back.
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
        let node = Node::record(&[self], || Op::Expand(self.clone()));
        Ok(self.share_with_layout(self.layout().broadcast_to(shape), node))
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

    /// A contiguous copy that stays in the graph (`clone()` in PyTorch).
    pub fn clone_tensor(&self) -> Result<Tensor> {
        let node = Node::record(&[self], || Op::Clone(self.clone()));
        Ok(self.deep_copy()?.with_grad_fn(node))
    }
}
