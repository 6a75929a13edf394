//! The tensor handle: shared, contiguous storage plus shape, and the autograd links.
//!
//! Cloning a `Tensor` clones a handle (an `Arc`), never the data. Views that keep the data
//! contiguous (reshape, squeeze, unsqueeze, detach) share the storage like PyTorch's views do,
//! and with it the version counter that every in-place write bumps (PyTorch's `_version`):
//! backward compares it with the version a node saved, so a tensor changed in place after a
//! forward used it is an error instead of a wrong gradient.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::autograd::Node;
use crate::dtype::DType;
use crate::shape::{checked_numel, fmt_shape, numel};
use crate::storage::Storage;
use crate::{bail, Result};

pub(crate) struct TensorImpl {
    pub(crate) storage: Arc<RwLock<Storage>>,
    /// Shared by every tensor over `storage`; bumped by each in-place write.
    version: Arc<AtomicU64>,
    pub(crate) shape: Vec<usize>,
    pub(crate) dtype: DType,
    requires_grad: AtomicBool,
    pub(crate) grad: Mutex<Option<Tensor>>,
    pub(crate) grad_fn: Option<Arc<Node>>,
    /// Which output of `grad_fn` this tensor is (fused nodes such as an RNN stack have several).
    pub(crate) output_nr: usize,
}

#[derive(Clone)]
pub struct Tensor(pub(crate) Arc<TensorImpl>);

impl std::fmt::Debug for Tensor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Tensor(shape={}, dtype={})",
            fmt_shape(self.shape()),
            self.dtype()
        )
    }
}

impl Tensor {
    pub(crate) fn from_storage(storage: Storage, shape: Vec<usize>) -> Tensor {
        debug_assert_eq!(storage.len(), numel(&shape));
        let dtype = storage.dtype();
        Tensor(Arc::new(TensorImpl {
            storage: Arc::new(RwLock::new(storage)),
            version: Arc::new(AtomicU64::new(0)),
            shape,
            dtype,
            requires_grad: AtomicBool::new(false),
            grad: Mutex::new(None),
            grad_fn: None,
            output_nr: 0,
        }))
    }

    /// A tensor that shares `self`'s storage under another shape (same element count).
    pub(crate) fn share_with_shape(&self, shape: Vec<usize>, grad_fn: Option<Arc<Node>>) -> Tensor {
        debug_assert_eq!(numel(&shape), self.numel());
        Tensor(Arc::new(TensorImpl {
            storage: self.0.storage.clone(),
            version: self.0.version.clone(),
            shape,
            dtype: self.0.dtype,
            requires_grad: AtomicBool::new(false),
            grad: Mutex::new(None),
            grad_fn,
            output_nr: 0,
        }))
    }

    /// Attaches an autograd node to a freshly computed result.
    pub(crate) fn with_grad_fn(self, node: Option<Arc<Node>>) -> Tensor {
        self.with_grad_fn_output(node, 0)
    }

    /// Attaches output `output_nr` of a (possibly multi-output) node to a computed result.
    pub fn with_grad_fn_output(self, node: Option<Arc<Node>>, output_nr: usize) -> Tensor {
        let Some(n) = node else { return self };
        let inner = match Arc::try_unwrap(self.0) {
            Ok(inner) => inner,
            // Another handle exists: make a fresh one over the same storage.
            Err(shared) => TensorImpl {
                storage: shared.storage.clone(),
                version: shared.version.clone(),
                shape: shared.shape.clone(),
                dtype: shared.dtype,
                requires_grad: AtomicBool::new(false),
                grad: Mutex::new(None),
                grad_fn: None,
                output_nr: 0,
            },
        };
        Tensor(Arc::new(TensorImpl {
            grad_fn: Some(n),
            output_nr,
            ..inner
        }))
    }

    pub fn output_nr(&self) -> usize {
        self.0.output_nr
    }

    pub fn from_f32(data: Vec<f32>, shape: Vec<usize>) -> Result<Tensor> {
        Self::check_len("tensor", data.len(), &shape)?;
        Ok(Tensor::from_storage(Storage::F32(data), shape))
    }

    pub fn from_i64(data: Vec<i64>, shape: Vec<usize>) -> Result<Tensor> {
        Self::check_len("tensor", data.len(), &shape)?;
        Ok(Tensor::from_storage(Storage::I64(data), shape))
    }

    fn check_len(op: &str, len: usize, shape: &[usize]) -> Result<()> {
        let n = checked_numel(op, shape)?;
        if n != len {
            bail!(
                value,
                "{op}(): shape {} needs {n} elements, but {len} were given",
                fmt_shape(shape)
            );
        }
        Ok(())
    }

    /// A float32 tensor whose buffer is allocated through the checked path (see `memory`).
    pub fn zeros_f32(op: &str, shape: &[usize]) -> Result<Tensor> {
        Ok(Tensor::from_storage(
            Storage::F32(crate::memory::zeroed(op, shape)?),
            shape.to_vec(),
        ))
    }

    pub fn scalar(value: f32) -> Tensor {
        Tensor::from_storage(Storage::F32(vec![value]), vec![])
    }

    pub fn shape(&self) -> &[usize] {
        &self.0.shape
    }

    pub fn ndim(&self) -> usize {
        self.0.shape.len()
    }

    pub fn numel(&self) -> usize {
        numel(&self.0.shape)
    }

    pub fn dtype(&self) -> DType {
        self.0.dtype
    }

    pub fn size_in_bytes(&self) -> usize {
        self.numel() * self.0.dtype.size_in_bytes()
    }

    /// Size of dimension `dim` (negative counts from the end).
    pub fn size(&self, dim: i64) -> Result<usize> {
        let d = crate::shape::wrap_dim(dim, self.ndim())?;
        Ok(if self.ndim() == 0 { 1 } else { self.0.shape[d] })
    }

    pub fn same_storage(&self, other: &Tensor) -> bool {
        Arc::ptr_eq(&self.0.storage, &other.0.storage)
    }

    pub fn same_tensor(&self, other: &Tensor) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    pub fn storage(&self) -> RwLockReadGuard<'_, Storage> {
        self.0.storage.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Write access to the data, for in-place updates (optimizers, gradient accumulation, init).
    /// Counts as an in-place write: the version goes up.
    pub fn storage_mut(&self) -> RwLockWriteGuard<'_, Storage> {
        let guard = self.0.storage.write().unwrap_or_else(|e| e.into_inner());
        self.0.version.fetch_add(1, Ordering::Relaxed);
        guard
    }

    /// How many in-place writes the data has seen (shared with every view of it).
    pub fn version(&self) -> u64 {
        self.0.version.load(Ordering::Relaxed)
    }

    /// Copies the values out as float32 (int64 converted).
    pub fn to_vec_f32(&self) -> Vec<f32> {
        self.storage().to_f32_vec()
    }

    pub fn to_vec_i64(&self) -> Vec<i64> {
        self.storage().to_i64_vec()
    }

    /// Runs `f` over the float32 data; a TypeError for other dtypes.
    pub fn with_f32<R>(&self, op: &str, f: impl FnOnce(&[f32]) -> R) -> Result<R> {
        match &*self.storage() {
            Storage::F32(v) => Ok(f(v)),
            other => bail!(
                type,
                "{op}(): expected a float32 tensor, got {}",
                other.dtype()
            ),
        }
    }

    /// The single value of a one-element tensor, PyTorch's message otherwise.
    pub fn item(&self) -> Result<f64> {
        if self.numel() != 1 {
            bail!(
                value,
                "a Tensor with {} elements cannot be converted to Scalar",
                self.numel()
            );
        }
        Ok(match &*self.storage() {
            Storage::F32(v) => v[0] as f64,
            Storage::I64(v) => v[0] as f64,
        })
    }

    // ----- autograd state -----

    pub fn requires_grad(&self) -> bool {
        self.0.grad_fn.is_some() || self.0.requires_grad.load(Ordering::Relaxed)
    }

    pub fn is_leaf(&self) -> bool {
        self.0.grad_fn.is_none()
    }

    pub fn grad_fn(&self) -> Option<&Arc<Node>> {
        self.0.grad_fn.as_ref()
    }

    /// Sets `requires_grad` on a leaf, with PyTorch's messages for non-leaves and integer tensors.
    pub fn set_requires_grad(&self, flag: bool) -> Result<()> {
        if !self.is_leaf() {
            if flag {
                return Ok(());
            }
            bail!(
                value,
                "you can only change requires_grad flags of leaf variables. If you want to use a computed variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach()."
            );
        }
        if flag && !self.dtype().is_floating_point() {
            bail!(
                type,
                "Only Tensors of floating point and complex dtype can require gradients"
            );
        }
        self.0.requires_grad.store(flag, Ordering::Relaxed);
        Ok(())
    }

    /// Builder form of `set_requires_grad` for creation code.
    pub fn requires_grad_(self, flag: bool) -> Result<Tensor> {
        self.set_requires_grad(flag)?;
        Ok(self)
    }

    pub fn grad(&self) -> Option<Tensor> {
        self.0
            .grad
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn set_grad(&self, grad: Option<Tensor>) -> Result<()> {
        if let Some(g) = &grad {
            if g.shape() != self.shape() {
                bail!(
                    value,
                    "assigned grad has data of a different size: expected {}, got {}",
                    fmt_shape(self.shape()),
                    fmt_shape(g.shape())
                );
            }
            if g.dtype() != self.dtype() {
                bail!(type, "assigned grad has data of a different type");
            }
        }
        *self.0.grad.lock().unwrap_or_else(|e| e.into_inner()) = grad;
        Ok(())
    }

    /// A new leaf that shares the data and records no history.
    pub fn detach(&self) -> Tensor {
        self.share_with_shape(self.0.shape.clone(), None)
    }

    /// A fresh copy of the data with no autograd links.
    pub fn deep_copy(&self) -> Tensor {
        Tensor::from_storage(self.storage().clone(), self.0.shape.clone())
    }
}

impl Tensor {
    /// `copy_` as users call it: PyTorch's checks, then `copy_from`. seqtorch's copy records no
    /// history, so where PyTorch would record one (grad mode on, and the destination or the
    /// source in a graph) it refuses instead of giving gradients that ignore the copy.
    pub fn copy_(&self, src: &Tensor) -> Result<()> {
        if crate::autograd::is_grad_enabled() {
            if self.is_leaf() && self.requires_grad() {
                bail!(
                    value,
                    "a leaf Variable that requires grad is being used in an in-place operation."
                );
            }
            if self.requires_grad() || src.requires_grad() {
                bail!(
                    value,
                    "copy_(): seqtorch records no history for in-place copies, so copying into or from a tensor that requires grad is refused while grad mode is on. Wrap the copy in noGrad(), or copy from src.detach() into a tensor outside the graph."
                );
            }
        }
        self.copy_from(src)
    }

    /// Overwrites this tensor's values with `src`'s (same shape), recording no history:
    /// loading a state dict, or an optimizer writing parameters.
    pub fn copy_from(&self, src: &Tensor) -> Result<()> {
        if src.shape() != self.shape() {
            bail!(
                value,
                "copy_(): size mismatch, expected {}, got {}",
                fmt_shape(self.shape()),
                fmt_shape(src.shape())
            );
        }
        if self.same_storage(src) {
            // Still an in-place write as far as saved versions are concerned.
            self.0.version.fetch_add(1, Ordering::Relaxed);
            return Ok(());
        }
        let values = src.storage().clone();
        let mut dst = self.storage_mut();
        *dst = match (&*dst, values) {
            (Storage::F32(_), Storage::F32(v)) => Storage::F32(v),
            (Storage::F32(_), Storage::I64(v)) => {
                Storage::F32(v.into_iter().map(|x| x as f32).collect())
            }
            (Storage::I64(_), Storage::I64(v)) => Storage::I64(v),
            (Storage::I64(_), Storage::F32(v)) => {
                Storage::I64(v.into_iter().map(|x| x as i64).collect())
            }
        };
        Ok(())
    }
}

impl Tensor {
    /// A copy converted to `dtype` (float to int truncates toward zero, like PyTorch). Converting
    /// to the same dtype returns `self`; a float result is a leaf (no gradient flows through a
    /// dtype change from int).
    pub fn to_dtype(&self, dtype: crate::DType) -> Tensor {
        if dtype == self.dtype() {
            return self.clone();
        }
        let storage = match dtype {
            crate::DType::F32 => Storage::F32(self.to_vec_f32()),
            crate::DType::I64 => Storage::I64(self.to_vec_i64()),
        };
        Tensor::from_storage(storage, self.shape().to_vec())
    }
}
