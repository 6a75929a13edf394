//! The tensor handle: shared storage on a device, a layout (shape, strides, offset) and the
//! autograd links.
//!
//! Cloning a `Tensor` clones a handle (an `Arc`), never the data. Views (reshape of contiguous
//! data, transpose, permute, narrow, select, expand, squeeze, unsqueeze, detach) share the
//! storage like PyTorch's views do, and with it the version counter that every in-place write
//! bumps (PyTorch's `_version`): backward compares it with the version a node saved, so a
//! tensor changed in place after a forward used it is an error instead of a wrong gradient.

use std::any::Any;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::autograd::Node;
use crate::backend::CpuStorage;
use crate::dtype::DType;
use crate::shape::{checked_numel, fmt_shape};
use crate::storage::Storage;
use crate::{bail, Device, Layout, Result};

pub(crate) struct TensorImpl {
    pub(crate) storage: Arc<RwLock<Storage>>,
    /// Shared by every tensor over `storage`; bumped by each in-place write.
    version: Arc<AtomicU64>,
    pub(crate) layout: Layout,
    pub(crate) dtype: DType,
    device: Device,
    requires_grad: AtomicBool,
    pub(crate) grad: Mutex<Option<Tensor>>,
    pub(crate) grad_fn: Option<Arc<Node>>,
    /// Which output of `grad_fn` this tensor is (fused nodes such as an RNN stack have several).
    pub(crate) output_nr: usize,
    /// Data kernels derived from these values (e.g. a recurrent weight transposed), one per
    /// type, each with the version it was derived at: reused until an in-place write bumps the
    /// version.
    derived: Mutex<Vec<(u64, Arc<dyn Any + Send + Sync>)>>,
}

#[derive(Clone)]
pub struct Tensor(pub(crate) Arc<TensorImpl>);

impl std::fmt::Debug for Tensor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Tensor(shape={}, dtype={}, device={})",
            fmt_shape(self.shape()),
            self.dtype(),
            self.device()
        )
    }
}

impl Tensor {
    pub(crate) fn from_storage(storage: Storage, shape: Vec<usize>) -> Tensor {
        debug_assert_eq!(storage.len(), crate::shape::numel(&shape));
        let (dtype, device) = (storage.dtype(), storage.device());
        Tensor(Arc::new(TensorImpl {
            storage: Arc::new(RwLock::new(storage)),
            version: Arc::new(AtomicU64::new(0)),
            layout: Layout::contiguous(shape),
            dtype,
            device,
            requires_grad: AtomicBool::new(false),
            grad: Mutex::new(None),
            grad_fn: None,
            output_nr: 0,
            derived: Mutex::new(Vec::new()),
        }))
    }

    /// A tensor over host data.
    pub fn from_cpu(storage: CpuStorage, shape: Vec<usize>) -> Tensor {
        Tensor::from_storage(Storage::Cpu(storage), shape)
    }

    /// A view: `self`'s storage (and version counter) under another layout.
    pub(crate) fn share_with_layout(&self, layout: Layout, grad_fn: Option<Arc<Node>>) -> Tensor {
        Tensor(Arc::new(TensorImpl {
            storage: self.0.storage.clone(),
            version: self.0.version.clone(),
            layout,
            dtype: self.0.dtype,
            device: self.0.device,
            requires_grad: AtomicBool::new(false),
            grad: Mutex::new(None),
            grad_fn,
            output_nr: 0,
            derived: Mutex::new(Vec::new()),
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
                layout: shared.layout.clone(),
                dtype: shared.dtype,
                device: shared.device,
                requires_grad: AtomicBool::new(false),
                grad: Mutex::new(None),
                grad_fn: None,
                output_nr: 0,
                derived: Mutex::new(Vec::new()),
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
        Ok(Tensor::from_cpu(CpuStorage::F32(data), shape))
    }

    pub fn from_i64(data: Vec<i64>, shape: Vec<usize>) -> Result<Tensor> {
        Self::check_len("tensor", data.len(), &shape)?;
        Ok(Tensor::from_cpu(CpuStorage::I64(data), shape))
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
        Ok(Tensor::from_cpu(
            CpuStorage::F32(crate::memory::zeroed(op, shape)?),
            shape.to_vec(),
        ))
    }

    pub fn scalar(value: f32) -> Tensor {
        Tensor::from_cpu(CpuStorage::F32(vec![value]), vec![])
    }

    pub fn shape(&self) -> &[usize] {
        self.0.layout.shape()
    }

    pub fn layout(&self) -> &Layout {
        &self.0.layout
    }

    pub fn device(&self) -> Device {
        self.0.device
    }

    pub fn is_contiguous(&self) -> bool {
        self.0.layout.is_contiguous()
    }

    pub fn ndim(&self) -> usize {
        self.shape().len()
    }

    pub fn numel(&self) -> usize {
        self.0.layout.numel()
    }

    pub fn dtype(&self) -> DType {
        self.0.dtype
    }

    /// Bytes of the elements this tensor shows (an expanded view may show far more than exist).
    pub fn size_in_bytes(&self) -> usize {
        self.numel().saturating_mul(self.0.dtype.size_in_bytes())
    }

    /// Bytes of memory this handle keeps alive: its elements, but never more than its buffer
    /// (a view, such as a huge `expand` of one value, owns no more than what it shares).
    pub fn memory_bytes(&self) -> usize {
        let buffer = self
            .storage()
            .len()
            .saturating_mul(self.0.dtype.size_in_bytes());
        self.size_in_bytes().min(buffer)
    }

    /// Size of dimension `dim` (negative counts from the end).
    pub fn size(&self, dim: i64) -> Result<usize> {
        let d = crate::shape::wrap_dim(dim, self.ndim())?;
        Ok(if self.ndim() == 0 { 1 } else { self.shape()[d] })
    }

    pub fn same_storage(&self, other: &Tensor) -> bool {
        Arc::ptr_eq(&self.0.storage, &other.0.storage)
    }

    pub fn same_tensor(&self, other: &Tensor) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    /// The whole buffer behind this tensor (its view is `layout()`).
    pub fn storage(&self) -> RwLockReadGuard<'_, Storage> {
        self.0.storage.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Write access to the whole buffer, for in-place updates that respect `layout()`.
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

    /// Data derived from this tensor's current values by `build`, cached on this handle (one
    /// value per type, so layouts that different calls prepare do not evict each other) and
    /// rebuilt only after an in-place write (an optimizer step, `copy_`, `loadStateDict`, an
    /// init function) has changed the version, so nothing stale is ever returned.
    pub fn derived<T: Any + Send + Sync>(
        &self,
        build: impl FnOnce(&Tensor) -> Result<T>,
    ) -> Result<Arc<T>> {
        self.derived_matching(|_| true, build)
    }

    /// `derived`, where a cached value also has to satisfy `matches` (it was built for other
    /// parameters, e.g. another thread count), else it is rebuilt and replaced.
    pub fn derived_matching<T: Any + Send + Sync>(
        &self,
        matches: impl Fn(&T) -> bool,
        build: impl FnOnce(&Tensor) -> Result<T>,
    ) -> Result<Arc<T>> {
        let mut slots = self.0.derived.lock().unwrap_or_else(|e| e.into_inner());
        let version = self.version();
        let mine = slots.iter().position(|(_, data)| data.is::<T>());
        if let Some(i) = mine {
            let (v, data) = &slots[i];
            if let Ok(t) = data.clone().downcast::<T>() {
                if *v == version && matches(&t) {
                    return Ok(t);
                }
            }
        }
        let data = Arc::new(build(self)?);
        // Built from the values at `version`: a write during `build` is impossible (it holds
        // no lock a writer needs), so keying by the version read before is exact.
        let entry: (u64, Arc<dyn Any + Send + Sync>) = (version, data.clone());
        match mine {
            Some(i) => slots[i] = entry,
            None => slots.push(entry),
        }
        Ok(data)
    }

    /// Whether this handle is the only way to reach its buffer and shows all of it: no other
    /// handle, view or graph shares it, so it can be kept (as a leaf's grad) without a copy.
    pub(crate) fn is_sole_owner_of_its_buffer(&self) -> bool {
        Arc::strong_count(&self.0) == 1
            && Arc::weak_count(&self.0) == 0
            && Arc::strong_count(&self.0.storage) == 1
            && Arc::weak_count(&self.0.storage) == 0
            && self.0.grad_fn.is_none()
            && self.0.layout.contiguous_range() == Some(0..self.storage().len())
    }

    /// Identifies the buffer (for caches keyed on a tensor's data together with `version`).
    pub fn storage_id(&self) -> usize {
        Arc::as_ptr(&self.0.storage) as *const () as usize
    }

    /// This tensor's elements in host memory, in row-major order: borrowed in place when the
    /// tensor is on the CPU and contiguous, else copied (and, from a GPU, transferred).
    pub fn host(&self) -> Result<HostData<'_>> {
        let guard = self.storage();
        if let (Storage::Cpu(_), Some(range)) = (&*guard, self.0.layout.contiguous_range()) {
            return Ok(HostData::Borrowed(guard, range));
        }
        Ok(HostData::Owned(guard.to_cpu(&self.0.layout)?))
    }

    /// Copies the values out as float32 (int64 converted). Panics only if a device transfer
    /// fails (the binding turns that into an internal error).
    pub fn to_vec_f32(&self) -> Vec<f32> {
        match self.host().expect("device to host copy").slice() {
            HostSlice::F32(v) => v.to_vec(),
            HostSlice::I64(v) => v.iter().map(|&x| x as f32).collect(),
        }
    }

    pub fn to_vec_i64(&self) -> Vec<i64> {
        match self.host().expect("device to host copy").slice() {
            HostSlice::F32(v) => v.iter().map(|&x| x as i64).collect(),
            HostSlice::I64(v) => v.to_vec(),
        }
    }

    /// Runs `f` over the float32 data in host memory; a TypeError for other dtypes.
    pub fn with_f32<R>(&self, op: &str, f: impl FnOnce(&[f32]) -> R) -> Result<R> {
        match self.host()?.slice() {
            HostSlice::F32(v) => Ok(f(v)),
            HostSlice::I64(_) => bail!(type, "{op}(): expected a float32 tensor, got int64"),
        }
    }

    /// Runs `f` over this float32 CPU tensor's elements in place (row-major order; a strided
    /// view is gathered and written back). An in-place write: the version goes up.
    pub fn with_f32_mut<R>(&self, op: &str, f: impl FnOnce(&mut [f32]) -> R) -> Result<R> {
        if self.dtype() != DType::F32 {
            bail!(
                type,
                "{op}(): expected a float32 tensor, got {}",
                self.dtype()
            );
        }
        let layout = self.0.layout.clone();
        if !self.device().is_cpu() {
            // A host-side edit of device memory (what has no kernel: clip_grad_norm_'s norm
            // orders other than the finite positive ones): the values come to the host,
            // change, and are written back in place.
            let mut values = match self.storage().to_cpu(&layout)? {
                CpuStorage::F32(v) => v,
                CpuStorage::I64(_) => unreachable!("checked float32"),
            };
            let out = f(&mut values);
            let src = Storage::upload(self.device(), CpuStorage::F32(values))?;
            self.storage_mut().copy_into(
                &layout,
                &src,
                &Layout::contiguous(layout.shape().to_vec()),
            )?;
            return Ok(out);
        }
        let mut guard = self.storage_mut();
        let Some(CpuStorage::F32(v)) = guard.as_cpu_mut() else {
            unreachable!("checked above")
        };
        if let Some(r) = layout.contiguous_range() {
            return Ok(f(&mut v[r]));
        }
        let mut tmp = crate::backend::cpu::strided::gather(op, v, &layout)?;
        let out = f(&mut tmp);
        crate::backend::cpu::strided::update(v, &layout, &tmp, |_, new| new);
        Ok(out)
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
        Ok(match self.host()?.slice() {
            HostSlice::F32(v) => v[0] as f64,
            HostSlice::I64(v) => v[0] as f64,
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
        self.share_with_layout(self.0.layout.clone(), None)
    }

    /// A fresh contiguous copy of the data with no autograd links.
    pub fn deep_copy(&self) -> Result<Tensor> {
        let storage = self.storage().contiguous(&self.0.layout)?;
        Ok(Tensor::from_storage(storage, self.shape().to_vec()))
    }

    /// `self` when contiguous, else a contiguous copy (in the graph, like PyTorch's).
    pub fn contiguous(&self) -> Result<Tensor> {
        if self.is_contiguous() {
            return Ok(self.clone());
        }
        self.clone_tensor()
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
        if src.device() != self.device() {
            bail!(
                device,
                "copy_(): source is on {} and destination on {}; move one with .to() first",
                src.device(),
                self.device()
            );
        }
        // Reading and writing one buffer: copy the source out first (it may overlap).
        let owned = if self.same_storage(src) {
            Some(src.deep_copy()?)
        } else {
            None
        };
        let src = owned.as_ref().unwrap_or(src);
        let src_guard = src.storage();
        let mut dst = self.storage_mut();
        dst.copy_into(&self.0.layout, &src_guard, src.layout())
    }
}

impl Tensor {
    /// A copy converted to `dtype` (float to int truncates toward zero, like PyTorch). Converting
    /// to the same dtype returns `self`; a float result is a leaf (no gradient flows through a
    /// dtype change from int).
    pub fn to_dtype(&self, dtype: crate::DType) -> Result<Tensor> {
        if dtype == self.dtype() {
            return Ok(self.clone());
        }
        let storage = self.storage().to_dtype(&self.0.layout, dtype)?;
        Ok(Tensor::from_storage(storage, self.shape().to_vec()))
    }

    /// This tensor on `device`: `self` when it is already there, else a copy. Gradients flow
    /// back through the copy to the source device, as in PyTorch.
    pub fn to_device(&self, device: Device) -> Result<Tensor> {
        if device == self.device() {
            return Ok(self.clone());
        }
        device.ensure_available()?;
        let storage = self.storage().transfer(&self.0.layout, device)?;
        let node = Node::record(&[self], || crate::autograd::Op::ToDevice {
            input: self.clone(),
        });
        Ok(Tensor::from_storage(storage, self.shape().to_vec()).with_grad_fn(node))
    }
}

/// A tensor's elements in host memory (see `Tensor::host`).
pub enum HostData<'a> {
    Borrowed(RwLockReadGuard<'a, Storage>, std::ops::Range<usize>),
    Owned(CpuStorage),
}

/// The typed elements of `HostData`.
pub enum HostSlice<'a> {
    F32(&'a [f32]),
    I64(&'a [i64]),
}

impl HostData<'_> {
    pub fn slice(&self) -> HostSlice<'_> {
        let (s, range) = match self {
            HostData::Borrowed(g, r) => {
                (g.as_cpu().expect("borrowed only from the cpu"), r.clone())
            }
            HostData::Owned(s) => (s, 0..s.len()),
        };
        match s {
            CpuStorage::F32(v) => HostSlice::F32(&v[range]),
            CpuStorage::I64(v) => HostSlice::I64(&v[range]),
        }
    }

    /// The float32 elements, or a TypeError naming `what`.
    pub fn f32(&self, what: &str) -> Result<&[f32]> {
        match self.slice() {
            HostSlice::F32(v) => Ok(v),
            HostSlice::I64(_) => bail!(type, "{what} must be float32, got int64"),
        }
    }

    pub fn i64(&self, what: &str) -> Result<&[i64]> {
        match self.slice() {
            HostSlice::I64(v) => Ok(v),
            HostSlice::F32(_) => bail!(type, "{what} must be int64, got float32"),
        }
    }
}
