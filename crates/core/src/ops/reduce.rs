//! Reductions: sum, mean, max/min and argmax/argmin over everything or over chosen dimensions.
//! Sums run on the tensor's device; max and min read host memory (on a GPU one copy and
//! synchronisation each: not on the recurrent training path, and softmax's shift by the
//! maximum is the one place a GPU step may meet it).

use crate::autograd::{Node, Op};
use crate::backend::CpuStorage;
use crate::shape::wrap_dim;
use crate::{bail, DType, HostSlice, Result, Tensor};

/// Which end a max/min reduction looks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Extreme {
    Max,
    Min,
}

impl Extreme {
    fn name(self) -> &'static str {
        match self {
            Extreme::Max => "max",
            Extreme::Min => "min",
        }
    }

    /// Whether `candidate` replaces `best` (strictly: the first of equal values stays).
    fn beats<T: PartialOrd>(self, candidate: T, best: T) -> bool {
        match self {
            Extreme::Max => candidate > best,
            Extreme::Min => candidate < best,
        }
    }
}

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
        self.extreme_all(Extreme::Max)
    }

    /// The smallest element (NaN wins, as in PyTorch).
    pub fn min_all(&self) -> Result<Tensor> {
        self.extreme_all(Extreme::Min)
    }

    /// `(values, indices)` of the maximum along `dim`; the first maximal index wins.
    pub fn max_dim(&self, dim: i64, keepdim: bool) -> Result<(Tensor, Tensor)> {
        self.extreme_dim(dim, keepdim, Extreme::Max)
    }

    /// `(values, indices)` of the minimum along `dim`; the first minimal index wins.
    pub fn min_dim(&self, dim: i64, keepdim: bool) -> Result<(Tensor, Tensor)> {
        self.extreme_dim(dim, keepdim, Extreme::Min)
    }

    fn extreme_all(&self, kind: Extreme) -> Result<Tensor> {
        if self.numel() == 0 {
            bail!(
                value,
                "{}(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the 'dim' argument.",
                kind.name()
            );
        }
        match self.host()?.slice() {
            HostSlice::I64(v) => {
                let first = v[0];
                let m = v
                    .iter()
                    .fold(first, |a, &b| if kind.beats(b, a) { b } else { a });
                Tensor::from_i64(vec![m], vec![])?.to_device(self.device())
            }
            HostSlice::F32(v) => {
                let m = v.iter().copied().fold(v[0], |a, b| {
                    if a.is_nan() || b.is_nan() {
                        f32::NAN
                    } else if kind.beats(b, a) {
                        b
                    } else {
                        a
                    }
                });
                let node = Node::record(&[self], || Op::ExtremeAll {
                    input: self.clone(),
                    value: m,
                    kind,
                });
                Ok(Tensor::from_f32(vec![m], vec![])?
                    .to_device(self.device())?
                    .with_grad_fn(node))
            }
        }
    }

    fn extreme_dim(&self, dim: i64, keepdim: bool, kind: Extreme) -> Result<(Tensor, Tensor)> {
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
                "{}(): Expected reduction dim {d} to have non-zero size.",
                kind.name()
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
                            if !best.is_nan() && (v.is_nan() || kind.beats(v, best)) {
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
                            if kind.beats(v, best) {
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
            Node::record(&[self], || Op::ExtremeDim {
                input: self.clone(),
                dim: d,
                indices,
                keep_shape,
                kind,
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
        self.arg_extreme(dim, keepdim, Extreme::Max)
    }

    /// Index of the minimum: over the flattened tensor, or along `dim`.
    pub fn argmin(&self, dim: Option<i64>, keepdim: bool) -> Result<Tensor> {
        self.arg_extreme(dim, keepdim, Extreme::Min)
    }

    fn arg_extreme(&self, dim: Option<i64>, keepdim: bool, kind: Extreme) -> Result<Tensor> {
        let _guard = crate::autograd::NoGradGuard::new();
        match dim {
            Some(d) => Ok(self.extreme_dim(d, keepdim, kind)?.1),
            None => {
                if self.numel() == 0 {
                    bail!(
                        value,
                        "arg{}(): Expected reduction dim to be specified for input.numel() == 0.",
                        kind.name()
                    );
                }
                let flat = self.flatten()?;
                let idx = flat.extreme_dim(0, false, kind)?.1;
                if keepdim {
                    idx.reshape_to(&vec![1; self.ndim()])
                } else {
                    Ok(idx)
                }
            }
        }
    }
}
