//! Reductions: sum, mean, max and argmax over everything or over chosen dimensions. Sums run
//! on the tensor's device; max and argmax read host memory (they are not on any training path).

use crate::autograd::{Node, Op};
use crate::backend::CpuStorage;
use crate::shape::wrap_dim;
use crate::{bail, DType, HostSlice, Result, Tensor};

fn split(shape: &[usize], dim: usize) -> (usize, usize, usize) {
    let outer = shape[..dim].iter().product();
    let inner = shape[dim + 1..].iter().product();
    (outer, shape[dim], inner)
}

/// Normalises a dim list: wrapped, sorted, unique; empty or `None` means every dimension.
fn reduce_dims(dims: Option<&[i64]>, ndim: usize) -> Result<Vec<usize>> {
    let mut out = match dims {
        None => (0..ndim).collect::<Vec<_>>(),
        Some([]) => (0..ndim).collect(),
        Some(ds) => {
            let mut v = Vec::with_capacity(ds.len());
            for &d in ds {
                let w = wrap_dim(d, ndim)?;
                if v.contains(&w) {
                    bail!(value, "dim {w} appears multiple times in the list of dims");
                }
                v.push(w);
            }
            v
        }
    };
    out.sort_unstable();
    out.retain(|&d| d < ndim);
    Ok(out)
}

impl Tensor {
    /// Sum over `dims` (all when `None`), keeping reduced dims as size 1 when `keepdim`.
    pub fn sum(&self, dims: Option<&[i64]>, keepdim: bool) -> Result<Tensor> {
        let dims = reduce_dims(dims, self.ndim())?;
        let mut keep_shape = self.shape().to_vec();
        for &d in &dims {
            keep_shape[d] = 1;
        }
        let out_shape: Vec<usize> = if keepdim {
            keep_shape.clone()
        } else {
            self.shape()
                .iter()
                .enumerate()
                .filter(|(i, _)| !dims.contains(i))
                .map(|(_, &s)| s)
                .collect()
        };
        let storage = self.storage().sum_dims(self.layout(), &dims)?;
        let node = Node::record(&[self], || Op::Sum {
            input: self.clone(),
            keep_shape,
        });
        Ok(Tensor::from_storage(storage, out_shape).with_grad_fn(node))
    }

    pub fn mean(&self, dims: Option<&[i64]>, keepdim: bool) -> Result<Tensor> {
        if self.dtype() != DType::F32 {
            bail!(
                type,
                "mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: {}",
                self.dtype().torch_name()
            );
        }
        let wrapped = reduce_dims(dims, self.ndim())?;
        let count: usize = wrapped.iter().map(|&d| self.shape()[d]).product();
        let out = {
            let _no_grad = crate::autograd::NoGradGuard::new();
            self.sum(dims, keepdim)?.div_scalar(count as f64)?.detach()
        };
        let node = Node::record(&[self], || {
            let mut keep_shape = self.shape().to_vec();
            for &d in &wrapped {
                keep_shape[d] = 1;
            }
            Op::Mean {
                input: self.clone(),
                keep_shape,
                count,
            }
        });
        Ok(out.with_grad_fn(node))
    }

    /// Sums a broadcast gradient back to `shape` (the adjoint of broadcasting).
    pub fn sum_to_shape(&self, shape: &[usize]) -> Result<Tensor> {
        if self.shape() == shape {
            return Ok(self.clone());
        }
        let lead = self.ndim() - shape.len();
        let dims: Vec<i64> = (0..self.ndim())
            .filter(|&i| i < lead || (shape[i - lead] == 1 && self.shape()[i] != 1))
            .map(|i| i as i64)
            .collect();
        let summed = if dims.is_empty() {
            self.clone()
        } else {
            self.sum(Some(&dims), true)?
        };
        summed.reshape_to(shape)
    }

    /// The largest element (NaN wins, as in PyTorch).
    pub fn max_all(&self) -> Result<Tensor> {
        if self.numel() == 0 {
            bail!(
                value,
                "max(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the 'dim' argument."
            );
        }
        match self.host()?.slice() {
            HostSlice::I64(v) => {
                Tensor::from_i64(vec![*v.iter().max().expect("non-empty")], vec![])?
                    .to_device(self.device())
            }
            HostSlice::F32(v) => {
                let m = v.iter().copied().fold(f32::NEG_INFINITY, |a, b| {
                    if b.is_nan() || a.is_nan() {
                        f32::NAN
                    } else {
                        a.max(b)
                    }
                });
                let node = Node::record(&[self], || Op::MaxAll {
                    input: self.clone(),
                    max: m,
                });
                Ok(Tensor::from_f32(vec![m], vec![])?
                    .to_device(self.device())?
                    .with_grad_fn(node))
            }
        }
    }

    /// `(values, indices)` of the maximum along `dim`; the first maximal index wins.
    pub fn max_dim(&self, dim: i64, keepdim: bool) -> Result<(Tensor, Tensor)> {
        let d = wrap_dim(dim, self.ndim())?;
        let shape = if self.ndim() == 0 {
            vec![1]
        } else {
            self.shape().to_vec()
        };
        let (outer, n, inner) = split(&shape, d);
        if n == 0 {
            bail!(
                range,
                "max(): Expected reduction dim {d} to have non-zero size."
            );
        }
        // An empty result: skip the walk over `outer` (huge beside a zero-size dimension).
        let outer = if inner == 0 { 0 } else { outer };
        let mut keep_shape = shape.clone();
        keep_shape[d] = 1;
        let out_shape: Vec<usize> = if keepdim || self.ndim() == 0 {
            if self.ndim() == 0 {
                vec![]
            } else {
                keep_shape.clone()
            }
        } else {
            let mut s = shape.clone();
            s.remove(d);
            s
        };
        let mut indices = vec![0usize; outer * inner];
        let host = self.host()?;
        let values = match host.slice() {
            HostSlice::F32(x) => {
                let mut vals = vec![0.0f32; outer * inner];
                for o in 0..outer {
                    for i in 0..inner {
                        let (mut best, mut at) = (x[o * n * inner + i], 0);
                        for k in 1..n {
                            let v = x[(o * n + k) * inner + i];
                            if !best.is_nan() && (v > best || v.is_nan()) {
                                best = v;
                                at = k;
                            }
                        }
                        vals[o * inner + i] = best;
                        indices[o * inner + i] = at;
                    }
                }
                CpuStorage::F32(vals)
            }
            HostSlice::I64(x) => {
                let mut vals = vec![0i64; outer * inner];
                for o in 0..outer {
                    for i in 0..inner {
                        let (mut best, mut at) = (x[o * n * inner + i], 0);
                        for k in 1..n {
                            let v = x[(o * n + k) * inner + i];
                            if v > best {
                                best = v;
                                at = k;
                            }
                        }
                        vals[o * inner + i] = best;
                        indices[o * inner + i] = at;
                    }
                }
                CpuStorage::I64(vals)
            }
        };
        drop(host);
        let idx = Tensor::from_i64(
            indices.iter().map(|&i| i as i64).collect(),
            out_shape.clone(),
        )?
        .to_device(self.device())?;
        let node = if values.dtype() == DType::F32 {
            Node::record(&[self], || Op::MaxDim {
                input: self.clone(),
                dim: d,
                indices,
                keep_shape,
            })
        } else {
            None
        };
        Ok((
            Tensor::from_cpu(values, out_shape)
                .to_device(self.device())?
                .with_grad_fn(node),
            idx,
        ))
    }

    /// Index of the maximum: over the flattened tensor, or along `dim`.
    pub fn argmax(&self, dim: Option<i64>, keepdim: bool) -> Result<Tensor> {
        let _guard = crate::autograd::NoGradGuard::new();
        match dim {
            Some(d) => Ok(self.max_dim(d, keepdim)?.1),
            None => {
                if self.numel() == 0 {
                    bail!(
                        value,
                        "argmax(): Expected reduction dim to be specified for input.numel() == 0."
                    );
                }
                let flat = self.flatten()?;
                let idx = flat.max_dim(0, false)?.1;
                if keepdim {
                    idx.reshape_to(&vec![1; self.ndim()])
                } else {
                    Ok(idx)
                }
            }
        }
    }
}
