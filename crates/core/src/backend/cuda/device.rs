//! One GPU: its context, the one stream every op of that device is queued on (ops never wait for
//! the host between each other; a transfer to the host is the only synchronisation), the kernel
//! modules compiled for its architecture on first use, and its cuBLAS handle.
//!
//! `CudaDevice::open` is the backend's way in and what the storage tests use. `CudaDevice::new`,
//! which tensor creation calls, opens a GPU only when GPU tensors are switched on
//! (`SEQTORCH_EXPERIMENTAL_CUDA=1`; see `super::tensors_enabled`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use cudarc::cublas::CudaBlas;
use cudarc::driver::{CudaContext, CudaFunction, CudaModule, CudaStream, LaunchConfig};

use super::kernels;
use crate::backend::memory_stats::MemoryStats;
use crate::{bail, Device, Error, Result};

/// Whether cuBLAS may use TF32 tensor cores for float32 products (PyTorch's
/// `torch.backends.cuda.matmul.allow_tf32`, false by default).
static ALLOW_TF32: AtomicBool = AtomicBool::new(false);

pub fn set_allow_tf32(allow: bool) {
    ALLOW_TF32.store(allow, Ordering::Relaxed);
}

pub fn allow_tf32() -> bool {
    ALLOW_TF32.load(Ordering::Relaxed)
}

pub(crate) fn driver<T>(
    what: &str,
    r: std::result::Result<T, cudarc::driver::DriverError>,
) -> Result<T> {
    r.map_err(|e| Error::device(format!("CUDA {what} failed: {e:?}")))
}

/// The virtual architecture NVRTC targets for a compute capability (`compute_90`, ...).
pub(crate) fn arch_for(major: i32, minor: i32) -> &'static str {
    // NVRTC wants a 'static name: the known ones, else the newest this build compiles for.
    match (major, minor) {
        (7, 5) => "compute_75",
        (8, 0) => "compute_80",
        (8, 6) => "compute_86",
        (8, 9) => "compute_89",
        (9, 0) => "compute_90",
        (10, 0) => "compute_100",
        (12, 0) => "compute_120",
        (m, _) if m >= 10 => "compute_100",
        (m, _) if m >= 9 => "compute_90",
        _ => "compute_75",
    }
}

/// A grid for a grid-stride kernel over `n` elements (the kernels loop, so the grid is capped).
pub(crate) fn grid(n: usize) -> LaunchConfig {
    const THREADS: usize = 256;
    let blocks = n.div_ceil(THREADS).clamp(1, 65_535);
    LaunchConfig {
        grid_dim: (blocks as u32, 1, 1),
        block_dim: (THREADS as u32, 1, 1),
        shared_mem_bytes: 0,
    }
}

/// A device's stream-ordered memory pool (where cudarc's `cuMemAllocAsync` allocations come
/// from).
#[derive(Clone, Copy)]
struct Pool(cudarc::driver::sys::CUmemoryPool);

// SAFETY: a driver handle valid for the whole process (a device's default pool is never
// destroyed); the driver's pool calls are thread-safe.
unsafe impl Send for Pool {}
unsafe impl Sync for Pool {}

/// The device's default memory pool, made to keep freed memory instead of returning it to the
/// driver at every synchronisation: its default release threshold is 0, which would make each
/// training step after a `loss.item()` allocate from the driver again. This is the
/// caching-allocator behaviour PyTorch users expect (memory stays reserved by the process until
/// it exits or `emptyCache()`). None on a GPU without memory pools: cudarc then allocates
/// synchronously.
fn keep_pool_memory(ctx: &Arc<CudaContext>) -> Result<Option<Pool>> {
    use cudarc::driver::sys;
    let pools = driver(
        "memory pool query",
        ctx.attribute(sys::CUdevice_attribute::CU_DEVICE_ATTRIBUTE_MEMORY_POOLS_SUPPORTED),
    )?;
    if pools == 0 {
        return Ok(None);
    }
    let mut pool: sys::CUmemoryPool = std::ptr::null_mut();
    // SAFETY: `pool` outlives the call and receives the device's default pool.
    unsafe { sys::cuDeviceGetDefaultMemPool(&mut pool, ctx.cu_device()) }
        .result()
        .map_err(|e| Error::device(format!("cuDeviceGetDefaultMemPool failed: {e:?}")))?;
    let pool = Pool(pool);
    set_pool_attribute(
        pool,
        sys::CUmemPool_attribute::CU_MEMPOOL_ATTR_RELEASE_THRESHOLD,
        u64::MAX,
    )?;
    Ok(Some(pool))
}

fn set_pool_attribute(
    pool: Pool,
    attribute: cudarc::driver::sys::CUmemPool_attribute,
    mut value: u64,
) -> Result<()> {
    // SAFETY: `value` outlives the call; the attributes set here take a cuuint64_t.
    unsafe {
        cudarc::driver::sys::cuMemPoolSetAttribute(
            pool.0,
            attribute,
            (&mut value as *mut u64).cast(),
        )
    }
    .result()
    .map_err(|e| {
        Error::device(format!(
            "setting the memory pool's {attribute:?} failed: {e:?}"
        ))
    })
}

fn pool_attribute(pool: Pool, attribute: cudarc::driver::sys::CUmemPool_attribute) -> Result<u64> {
    let mut value: u64 = 0;
    // SAFETY: `value` outlives the call; the attributes read here are cuuint64_t.
    unsafe {
        cudarc::driver::sys::cuMemPoolGetAttribute(
            pool.0,
            attribute,
            (&mut value as *mut u64).cast(),
        )
    }
    .result()
    .map_err(|e| {
        Error::device(format!(
            "reading the memory pool's {attribute:?} failed: {e:?}"
        ))
    })?;
    Ok(value)
}

struct Inner {
    ordinal: usize,
    ctx: Arc<CudaContext>,
    stream: Arc<CudaStream>,
    arch: &'static str,
    modules: Mutex<HashMap<&'static str, Arc<CudaModule>>>,
    blas: OnceLock<std::result::Result<CudaBlas, String>>,
    pool: Option<Pool>,
}

/// A GPU; clones share the device's context, stream, modules and cuBLAS handle.
#[derive(Clone)]
pub struct CudaDevice {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for CudaDevice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "CudaDevice(cuda:{}, {})",
            self.inner.ordinal, self.inner.arch
        )
    }
}

fn registry() -> &'static Mutex<HashMap<usize, CudaDevice>> {
    static DEVICES: OnceLock<Mutex<HashMap<usize, CudaDevice>>> = OnceLock::new();
    DEVICES.get_or_init(|| Mutex::new(HashMap::new()))
}

impl CudaDevice {
    /// What tensor creation on `cuda:ordinal` calls: opens the device when GPU tensors are on
    /// (`SEQTORCH_EXPERIMENTAL_CUDA=1`) and the GPU is usable, else says why not.
    pub fn new(ordinal: usize) -> Result<CudaDevice> {
        super::ensure_device(ordinal)?;
        CudaDevice::open(ordinal)
    }

    /// Opens `cuda:ordinal` (once per process; later calls share it) when the libraries and the
    /// GPU are there.
    pub fn open(ordinal: usize) -> Result<CudaDevice> {
        let mut devices = registry()
            .lock()
            .map_err(|_| Error::internal("the CUDA device registry was poisoned by a panic"))?;
        if let Some(d) = devices.get(&ordinal) {
            return Ok(d.clone());
        }
        let status = super::status();
        if !status.libraries.iter().all(|(_, ok)| *ok) {
            bail!(
                device,
                "cannot open cuda:{ordinal}: {}",
                status.reason.unwrap_or_default()
            );
        }
        let count = status.driver_devices.unwrap_or(0);
        if ordinal >= count {
            bail!(
                device,
                "cannot open cuda:{ordinal}: the driver reports {count} GPU(s)"
            );
        }
        let ctx = driver("context creation", CudaContext::new(ordinal))?;
        let (major, minor) = driver("compute capability query", ctx.compute_capability())?;
        // cudarc's default, once a context has a stream of its own, records an event around
        // every use of every buffer and creates two per allocation, to order uses across
        // streams: driver calls on every launch and allocation that a launch-bound training
        // step pays for nothing here.
        // SAFETY: every allocation, kernel, copy and cuBLAS call of this device is queued on
        // its one stream, so stream order alone orders every use of a buffer and its free;
        // copies to the host wait for the stream, and buffers never cross devices (a copy
        // between GPUs goes through the host). Set before the stream and any buffer exist.
        unsafe { ctx.disable_event_tracking() };
        let stream = driver("stream creation", ctx.new_stream())?;
        let pool = keep_pool_memory(&ctx)?;
        let device = CudaDevice {
            inner: Arc::new(Inner {
                ordinal,
                ctx,
                stream,
                arch: arch_for(major, minor),
                modules: Mutex::new(HashMap::new()),
                blas: OnceLock::new(),
                pool,
            }),
        };
        devices.insert(ordinal, device.clone());
        Ok(device)
    }

    pub fn location(&self) -> Device {
        Device::Cuda(self.inner.ordinal)
    }

    pub fn stream(&self) -> &Arc<CudaStream> {
        &self.inner.stream
    }

    pub fn same(&self, other: &CudaDevice) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// `name` from kernel module `module`, compiled (NVRTC, for this GPU) and loaded on first use.
    pub fn function(&self, module: &'static str, name: &str) -> Result<CudaFunction> {
        let loaded = {
            let mut modules = self
                .inner
                .modules
                .lock()
                .map_err(|_| Error::internal("a CUDA module cache was poisoned by a panic"))?;
            match modules.get(module) {
                Some(m) => m.clone(),
                None => {
                    let ptx = kernels::compile(module, self.inner.arch)?;
                    let m = driver(
                        "module load",
                        self.inner
                            .ctx
                            .load_module(cudarc::nvrtc::Ptx::from_src(ptx)),
                    )?;
                    modules.insert(module, m.clone());
                    m
                }
            }
        };
        driver("kernel lookup", loaded.load_function(name))
    }

    /// Waits until every op queued on this device has run (`torch.cuda.synchronize`).
    pub fn synchronize(&self) -> Result<()> {
        driver("stream synchronisation", self.inner.stream.synchronize())
    }

    fn pool(&self) -> Result<Pool> {
        self.inner.pool.ok_or_else(|| {
            Error::device(format!(
                "cuda:{}: this GPU or driver has no stream-ordered memory pool, so its memory use cannot be reported",
                self.inner.ordinal
            ))
        })
    }

    /// The memory pool's use, after the queued ops have run (frees take effect in stream
    /// order, so the numbers are settled only then).
    pub fn memory_stats(&self) -> Result<MemoryStats> {
        use cudarc::driver::sys::CUmemPool_attribute as A;
        let pool = self.pool()?;
        self.synchronize()?;
        let allocated = pool_attribute(pool, A::CU_MEMPOOL_ATTR_USED_MEM_CURRENT)?;
        let reserved = pool_attribute(pool, A::CU_MEMPOOL_ATTR_RESERVED_MEM_CURRENT)?;
        // A peak is never below the current use, whatever a reset left the mark at.
        Ok(MemoryStats {
            allocated,
            peak_allocated: pool_attribute(pool, A::CU_MEMPOOL_ATTR_USED_MEM_HIGH)?.max(allocated),
            reserved,
            peak_reserved: pool_attribute(pool, A::CU_MEMPOOL_ATTR_RESERVED_MEM_HIGH)?
                .max(reserved),
        })
    }

    /// Starts both peaks again from the current use (the driver resets a high-water mark
    /// only to zero; `memory_stats` reports no peak below the current use).
    pub fn reset_peak_memory_stats(&self) -> Result<()> {
        use cudarc::driver::sys::CUmemPool_attribute as A;
        let pool = self.pool()?;
        self.synchronize()?;
        set_pool_attribute(pool, A::CU_MEMPOOL_ATTR_USED_MEM_HIGH, 0)?;
        set_pool_attribute(pool, A::CU_MEMPOOL_ATTR_RESERVED_MEM_HIGH, 0)
    }

    /// Returns the pool's memory that no buffer uses to the driver
    /// (`torch.cuda.empty_cache`); buffers in use stay.
    pub fn empty_cache(&self) -> Result<()> {
        let pool = self.pool()?;
        self.synchronize()?;
        // SAFETY: trimming only releases memory no allocation holds.
        unsafe { cudarc::driver::sys::cuMemPoolTrimTo(pool.0, 0) }
            .result()
            .map_err(|e| Error::device(format!("cuMemPoolTrimTo failed: {e:?}")))
    }

    /// The device's cuBLAS handle, bound to its stream, with the TF32 setting applied.
    pub fn blas(&self) -> Result<&CudaBlas> {
        let blas = self
            .inner
            .blas
            .get_or_init(|| CudaBlas::new(self.inner.stream.clone()).map_err(|e| format!("{e:?}")))
            .as_ref()
            .map_err(|e| Error::device(format!("cuBLAS could not be initialised: {e}")))?;
        let mode = if allow_tf32() {
            cudarc::cublas::sys::cublasMath_t::CUBLAS_TF32_TENSOR_OP_MATH
        } else {
            cudarc::cublas::sys::cublasMath_t::CUBLAS_DEFAULT_MATH
        };
        // SAFETY: the handle is valid for the device's lifetime; setting its math mode only
        // affects products queued after this call on the same stream.
        unsafe { cudarc::cublas::sys::cublasSetMathMode(*blas.handle(), mode) }
            .result()
            .map_err(|e| Error::device(format!("cublasSetMathMode failed: {e:?}")))?;
        Ok(blas)
    }
}
