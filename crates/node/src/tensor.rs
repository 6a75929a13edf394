//! `NativeTensor`: the JavaScript handle of a core tensor. Its native bytes are reported to V8
//! so garbage collection frees tensors in long loops; `dispose()` frees them early.

use std::cell::{Cell, RefCell};

use napi::bindgen_prelude::*;
use napi_derive::napi;
use seqtorch_core::{autograd, bail, DType, HostSlice, Tensor};

use crate::convert::{int, ints};
use crate::error::guard;

/// The handle is cleared through `&self` (interior mutability): napi-rs refuses a `&mut self`
/// method while another call still borrows the object, and an asynchronous `save()` keeps its
/// arguments borrowed until its promise settles, so `dispose()` during a save would throw an
/// internal borrow error. The save holds its own reference to the data, so clearing the handle
/// is safe at any time.
#[napi(custom_finalize)]
pub struct NativeTensor {
    inner: RefCell<Option<Tensor>>,
    reported_bytes: Cell<i64>,
}

impl ObjectFinalize for NativeTensor {
    fn finalize(self, env: Env) -> Result<()> {
        let bytes = self.reported_bytes.get();
        if bytes != 0 {
            env.adjust_external_memory(-bytes)?;
        }
        Ok(())
    }
}

impl NativeTensor {
    pub fn wrap(env: &Env, t: Tensor) -> Result<NativeTensor> {
        let bytes = t.memory_bytes() as i64;
        if bytes != 0 {
            env.adjust_external_memory(bytes)?;
        }
        Ok(NativeTensor {
            inner: RefCell::new(Some(t)),
            reported_bytes: Cell::new(bytes),
        })
    }

    /// Points this handle at another core tensor (PyTorch's `param.data = ...`), keeping the
    /// JavaScript object, and with it every reference to it (modules, optimizers).
    pub(crate) fn replace_tensor(&self, env: &Env, t: Tensor) -> Result<()> {
        let bytes = t.memory_bytes() as i64;
        let old = self.reported_bytes.replace(bytes);
        if bytes != old {
            env.adjust_external_memory(bytes - old)?;
        }
        self.inner.replace(Some(t));
        Ok(())
    }

    /// The core tensor (a new handle to the same data), or the disposed error.
    pub fn get(&self) -> seqtorch_core::Result<Tensor> {
        match &*self.inner.borrow() {
            Some(t) => Ok(t.clone()),
            None => bail!(value, "this tensor was disposed and can no longer be used"),
        }
    }
}

const MAX_SAFE_INTEGER: i64 = (1 << 53) - 1;

fn safe_integer(x: i64) -> bool {
    (-MAX_SAFE_INTEGER..=MAX_SAFE_INTEGER).contains(&x)
}

/// The first int64 element a double cannot hold exactly, read in place (no copy).
fn first_unsafe_integer(t: &Tensor) -> Option<i64> {
    match t.host().ok()?.slice() {
        HostSlice::I64(v) => v.iter().copied().find(|&x| !safe_integer(x)),
        HostSlice::F32(_) => None,
    }
}

/// The RangeError for int64 data that would round on its way into JavaScript numbers.
fn refuse_unsafe_integers(t: &Tensor) -> seqtorch_core::Result<()> {
    match first_unsafe_integer(t) {
        Some(v) => bail!(
            range,
            "int64 value {v} is outside the range a JavaScript number holds exactly (+-(2^53 - 1)); read it with toBigInt64Array()"
        ),
        None => Ok(()),
    }
}

/// Runs a core op that yields a tensor and wraps the result.
fn op(env: &Env, f: impl FnOnce() -> seqtorch_core::Result<Tensor>) -> Result<NativeTensor> {
    let t = guard(env, f)?;
    NativeTensor::wrap(env, t)
}

#[napi]
impl NativeTensor {
    // ----- metadata and data -----

    /// Sizes as doubles: exact, since no dimension exceeds 2^53 - 1.
    #[napi(getter)]
    pub fn shape(&self, env: Env) -> Result<Vec<f64>> {
        guard(&env, || {
            Ok(self.get()?.shape().iter().map(|&d| d as f64).collect())
        })
    }

    #[napi(getter)]
    pub fn dtype(&self, env: Env) -> Result<String> {
        guard(&env, || Ok(self.get()?.dtype().name().to_string()))
    }

    #[napi(getter)]
    pub fn disposed(&self) -> bool {
        self.inner.borrow().is_none()
    }

    #[napi]
    pub fn numel(&self, env: Env) -> Result<f64> {
        guard(&env, || Ok(self.get()?.numel() as f64))
    }

    /// float32 data (int64 converted) as a Float32Array copy, in memory V8 owns and frees in
    /// its own collections. Handed out as external buffers (a Vec lent to JavaScript), arrays
    /// were freed by finalizers that Node defers to the event loop, so a loop that never
    /// yielded kept every array it read: 20,000 reads of a 16 KB tensor grew the process by
    /// 430 MB, and the fresh pages cost 5-6 ms stalls (`__test__/memory.test.ts`).
    #[napi(ts_return_type = "Float32Array")]
    pub fn to_float32_array<'env>(&self, env: &'env Env) -> Result<Unknown<'env>> {
        let t = guard(env, || self.get())?;
        let host = guard(env, || t.host())?;
        let array = match host.slice() {
            HostSlice::F32(v) => Float32ArraySlice::copy_from(env, v)?,
            HostSlice::I64(v) => {
                Float32ArraySlice::copy_from(env, v.iter().map(|&x| x as f32).collect::<Vec<_>>())?
            }
        };
        Ok(array.to_unknown())
    }

    /// int64 data as doubles. Refuses values beyond 2^53 instead of rounding them: those
    /// come back exactly through `to_big_int64_array`.
    #[napi(ts_return_type = "Float64Array")]
    pub fn to_float64_array<'env>(&self, env: &'env Env) -> Result<Unknown<'env>> {
        let t = guard(env, || self.get())?;
        let v: Vec<f64> = guard(env, || match t.dtype() {
            DType::I64 => {
                refuse_unsafe_integers(&t)?;
                Ok(t.to_vec_i64().into_iter().map(|x| x as f64).collect())
            }
            DType::F32 => Ok(t.to_vec_f32().into_iter().map(|x| x as f64).collect()),
        })?;
        Ok(Float64ArraySlice::copy_from(env, v)?.to_unknown())
    }

    /// int64 data exactly, as a BigInt64Array (float32 data is truncated toward zero).
    #[napi(ts_return_type = "BigInt64Array")]
    pub fn to_big_int64_array<'env>(&self, env: &'env Env) -> Result<Unknown<'env>> {
        let t = guard(env, || self.get())?;
        let host = guard(env, || t.host())?;
        let array = match host.slice() {
            HostSlice::I64(v) => BigInt64ArraySlice::copy_from(env, v)?,
            HostSlice::F32(v) => {
                BigInt64ArraySlice::copy_from(env, v.iter().map(|&x| x as i64).collect::<Vec<_>>())?
            }
        };
        Ok(array.to_unknown())
    }

    /// Whether any int64 element lies outside the range a double holds exactly.
    #[napi]
    pub fn has_unsafe_integers(&self, env: Env) -> Result<bool> {
        guard(&env, || Ok(first_unsafe_integer(&self.get()?).is_some()))
    }

    #[napi]
    pub fn item(&self, env: Env) -> Result<f64> {
        guard(&env, || {
            let t = self.get()?;
            if t.numel() == 1 {
                refuse_unsafe_integers(&t)?;
            }
            t.item()
        })
    }

    /// PyTorch's `_version`: how many in-place writes this tensor's data has seen.
    #[napi(getter)]
    pub fn version(&self, env: Env) -> Result<f64> {
        guard(&env, || Ok(self.get()?.version() as f64))
    }

    /// Frees the native data now; later use of this handle throws.
    #[napi]
    pub fn dispose(&self, env: Env) -> Result<()> {
        self.inner.replace(None);
        let bytes = self.reported_bytes.replace(0);
        if bytes != 0 {
            env.adjust_external_memory(-bytes)?;
        }
        Ok(())
    }

    // ----- autograd -----

    #[napi(getter)]
    pub fn requires_grad(&self, env: Env) -> Result<bool> {
        guard(&env, || Ok(self.get()?.requires_grad()))
    }

    #[napi]
    pub fn set_requires_grad(&self, env: Env, flag: bool) -> Result<()> {
        guard(&env, || self.get()?.set_requires_grad(flag))
    }

    #[napi(getter)]
    pub fn is_leaf(&self, env: Env) -> Result<bool> {
        guard(&env, || Ok(self.get()?.is_leaf()))
    }

    #[napi(getter)]
    pub fn grad_fn_name(&self, env: Env) -> Result<Option<String>> {
        guard(&env, || {
            Ok(self.get()?.grad_fn().map(|n| n.name().to_string()))
        })
    }

    #[napi]
    pub fn grad(&self, env: Env) -> Result<Option<NativeTensor>> {
        match guard(&env, || Ok(self.get()?.grad()))? {
            Some(g) => Ok(Some(NativeTensor::wrap(&env, g)?)),
            None => Ok(None),
        }
    }

    #[napi]
    pub fn set_grad(&self, env: Env, grad: Option<&NativeTensor>) -> Result<()> {
        guard(&env, || {
            let g = match grad {
                Some(g) => Some(g.get()?.clone()),
                None => None,
            };
            self.get()?.set_grad(g)
        })
    }

    #[napi]
    pub fn backward(
        &self,
        env: Env,
        gradient: Option<&NativeTensor>,
        retain_graph: bool,
    ) -> Result<()> {
        guard(&env, || {
            let g = match gradient {
                Some(g) => Some(g.get()?.clone()),
                None => None,
            };
            autograd::backward(&self.get()?, g.as_ref(), retain_graph)
        })
    }

    /// A copy in another dtype ('float32' | 'int64'); the same tensor when it already is.
    #[napi]
    pub fn to_dtype(&self, env: Env, dtype: String) -> Result<NativeTensor> {
        op(&env, || self.get()?.to_dtype(DType::parse(&dtype)?))
    }

    #[napi]
    pub fn detach(&self, env: Env) -> Result<NativeTensor> {
        op(&env, || Ok(self.get()?.detach()))
    }

    #[napi]
    pub fn clone_tensor(&self, env: Env) -> Result<NativeTensor> {
        op(&env, || self.get()?.clone_tensor())
    }

    // ----- elementwise -----

    #[napi]
    pub fn add(&self, env: Env, other: &NativeTensor) -> Result<NativeTensor> {
        op(&env, || self.get()?.add(&other.get()?))
    }
    #[napi]
    pub fn sub(&self, env: Env, other: &NativeTensor) -> Result<NativeTensor> {
        op(&env, || self.get()?.sub(&other.get()?))
    }
    #[napi]
    pub fn mul(&self, env: Env, other: &NativeTensor) -> Result<NativeTensor> {
        op(&env, || self.get()?.mul(&other.get()?))
    }
    #[napi]
    pub fn div(&self, env: Env, other: &NativeTensor) -> Result<NativeTensor> {
        op(&env, || self.get()?.div(&other.get()?))
    }
    #[napi]
    pub fn add_scalar(&self, env: Env, value: f64) -> Result<NativeTensor> {
        op(&env, || self.get()?.add_scalar(value))
    }
    #[napi]
    pub fn sub_scalar(&self, env: Env, value: f64) -> Result<NativeTensor> {
        op(&env, || self.get()?.sub_scalar(value))
    }
    #[napi]
    pub fn mul_scalar(&self, env: Env, value: f64) -> Result<NativeTensor> {
        op(&env, || self.get()?.mul_scalar(value))
    }
    #[napi]
    pub fn div_scalar(&self, env: Env, value: f64) -> Result<NativeTensor> {
        op(&env, || self.get()?.div_scalar(value))
    }
    #[napi]
    pub fn neg(&self, env: Env) -> Result<NativeTensor> {
        op(&env, || self.get()?.neg())
    }
    #[napi]
    pub fn pow(&self, env: Env, exponent: f64) -> Result<NativeTensor> {
        op(&env, || self.get()?.pow(exponent as f32))
    }
    #[napi]
    pub fn softmax(&self, env: Env, dim: i64) -> Result<NativeTensor> {
        op(&env, || seqtorch_core::nn::softmax(&self.get()?, dim))
    }
    #[napi]
    pub fn log_softmax(&self, env: Env, dim: i64) -> Result<NativeTensor> {
        op(&env, || seqtorch_core::nn::log_softmax(&self.get()?, dim))
    }
    /// `torch.clamp` with number bounds (either may be absent, not both).
    #[napi]
    pub fn clamp(&self, env: Env, min: Option<f64>, max: Option<f64>) -> Result<NativeTensor> {
        op(&env, || self.get()?.clamp(min, max))
    }
    #[napi]
    pub fn exp(&self, env: Env) -> Result<NativeTensor> {
        op(&env, || self.get()?.exp())
    }
    #[napi]
    pub fn log(&self, env: Env) -> Result<NativeTensor> {
        op(&env, || self.get()?.log())
    }
    #[napi]
    pub fn sigmoid(&self, env: Env) -> Result<NativeTensor> {
        op(&env, || self.get()?.sigmoid())
    }
    #[napi]
    pub fn tanh(&self, env: Env) -> Result<NativeTensor> {
        op(&env, || self.get()?.tanh())
    }
    #[napi]
    pub fn relu(&self, env: Env) -> Result<NativeTensor> {
        op(&env, || self.get()?.relu())
    }
    #[napi]
    pub fn sin(&self, env: Env) -> Result<NativeTensor> {
        op(&env, || self.get()?.sin())
    }
    #[napi]
    pub fn cos(&self, env: Env) -> Result<NativeTensor> {
        op(&env, || self.get()?.cos())
    }
    #[napi]
    pub fn abs(&self, env: Env) -> Result<NativeTensor> {
        op(&env, || self.get()?.abs())
    }

    // ----- products and reductions -----

    #[napi]
    pub fn matmul(&self, env: Env, other: &NativeTensor) -> Result<NativeTensor> {
        op(&env, || self.get()?.matmul(&other.get()?))
    }

    #[napi]
    pub fn sum(&self, env: Env, dims: Option<Vec<f64>>, keepdim: bool) -> Result<NativeTensor> {
        op(&env, || {
            let d = dims.map(|d| ints("sum", "dim", &d)).transpose()?;
            self.get()?.sum(d.as_deref(), keepdim)
        })
    }

    #[napi]
    pub fn mean(&self, env: Env, dims: Option<Vec<f64>>, keepdim: bool) -> Result<NativeTensor> {
        op(&env, || {
            let d = dims.map(|d| ints("mean", "dim", &d)).transpose()?;
            self.get()?.mean(d.as_deref(), keepdim)
        })
    }

    #[napi]
    pub fn max_all(&self, env: Env) -> Result<NativeTensor> {
        op(&env, || self.get()?.max_all())
    }

    /// `[values, indices]` along `dim`.
    #[napi]
    pub fn max_dim(&self, env: Env, dim: f64, keepdim: bool) -> Result<Vec<NativeTensor>> {
        let pair = guard(&env, || {
            self.get()?.max_dim(int("max", "dim", dim)?, keepdim)
        })?;
        values_and_indices(&env, pair)
    }

    #[napi]
    pub fn argmax(&self, env: Env, dim: Option<f64>, keepdim: bool) -> Result<NativeTensor> {
        op(&env, || {
            let d = dim.map(|d| int("argmax", "dim", d)).transpose()?;
            self.get()?.argmax(d, keepdim)
        })
    }

    #[napi]
    pub fn min_all(&self, env: Env) -> Result<NativeTensor> {
        op(&env, || self.get()?.min_all())
    }

    /// `[values, indices]` along `dim`.
    #[napi]
    pub fn min_dim(&self, env: Env, dim: f64, keepdim: bool) -> Result<Vec<NativeTensor>> {
        let pair = guard(&env, || {
            self.get()?.min_dim(int("min", "dim", dim)?, keepdim)
        })?;
        values_and_indices(&env, pair)
    }

    #[napi]
    pub fn argmin(&self, env: Env, dim: Option<f64>, keepdim: bool) -> Result<NativeTensor> {
        op(&env, || {
            let d = dim.map(|d| int("argmin", "dim", d)).transpose()?;
            self.get()?.argmin(d, keepdim)
        })
    }

    // ----- shape and indexing -----

    #[napi]
    pub fn reshape(&self, env: Env, shape: Vec<f64>) -> Result<NativeTensor> {
        op(&env, || {
            self.get()?.reshape(&ints("reshape", "size", &shape)?)
        })
    }

    #[napi]
    pub fn transpose(&self, env: Env, dim0: f64, dim1: f64) -> Result<NativeTensor> {
        op(&env, || {
            self.get()?.transpose(
                int("transpose", "dim0", dim0)?,
                int("transpose", "dim1", dim1)?,
            )
        })
    }

    #[napi]
    pub fn permute(&self, env: Env, dims: Vec<f64>) -> Result<NativeTensor> {
        op(&env, || {
            self.get()?.permute(&ints("permute", "dim", &dims)?)
        })
    }

    #[napi]
    pub fn squeeze(&self, env: Env, dim: Option<f64>) -> Result<NativeTensor> {
        op(&env, || {
            let d = dim.map(|d| int("squeeze", "dim", d)).transpose()?;
            self.get()?.squeeze(d)
        })
    }

    #[napi]
    pub fn unsqueeze(&self, env: Env, dim: f64) -> Result<NativeTensor> {
        op(&env, || {
            self.get()?.unsqueeze(int("unsqueeze", "dim", dim)?)
        })
    }

    #[napi]
    pub fn expand(&self, env: Env, sizes: Vec<f64>) -> Result<NativeTensor> {
        op(&env, || {
            self.get()?.expand_sizes(&ints("expand", "size", &sizes)?)
        })
    }

    #[napi]
    pub fn select(&self, env: Env, dim: f64, index: f64) -> Result<NativeTensor> {
        op(&env, || {
            self.get()?
                .select(int("select", "dim", dim)?, int("select", "index", index)?)
        })
    }

    #[napi]
    pub fn narrow(&self, env: Env, dim: f64, start: f64, length: f64) -> Result<NativeTensor> {
        op(&env, || {
            self.get()?.narrow(
                int("narrow", "dim", dim)?,
                int("narrow", "start", start)?,
                int("narrow", "length", length)?,
            )
        })
    }

    #[napi]
    pub fn index_select(&self, env: Env, dim: f64, index: &NativeTensor) -> Result<NativeTensor> {
        op(&env, || {
            self.get()?
                .index_select(int("index_select", "dim", dim)?, &index.get()?)
        })
    }

    /// `copy_`: copies `src` into this tensor's storage in place. Records no history, so it
    /// refuses (PyTorch's checks) where grad mode would need one.
    #[napi]
    pub fn copy_from(&self, env: Env, src: &NativeTensor) -> Result<()> {
        guard(&env, || self.get()?.copy_(&src.get()?))
    }
}

/// A max/min along a dimension as the `[values, indices]` pair JavaScript receives.
fn values_and_indices(env: &Env, (v, i): (Tensor, Tensor)) -> Result<Vec<NativeTensor>> {
    Ok(vec![
        NativeTensor::wrap(env, v)?,
        NativeTensor::wrap(env, i)?,
    ])
}
