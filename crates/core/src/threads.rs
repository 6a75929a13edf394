//! The thread pool every parallel kernel runs in. Its own pool rather than rayon's global one,
//! so `set_num_threads` can resize it at any time (the global pool can be built only once).

use std::sync::{Arc, RwLock};

use rayon::{ThreadPool, ThreadPoolBuilder};

use crate::{bail, Result};

static POOL: RwLock<Option<Arc<ThreadPool>>> = RwLock::new(None);

fn default_threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

fn build(n: usize) -> Result<Arc<ThreadPool>> {
    ThreadPoolBuilder::new()
        .num_threads(n)
        .thread_name(|i| format!("seqtorch-{i}"))
        .build()
        .map(Arc::new)
        .map_err(|e| {
            crate::Error::value(format!("set_num_threads(): could not start threads: {e}"))
        })
}

pub fn pool() -> Arc<ThreadPool> {
    if let Some(p) = POOL.read().unwrap_or_else(|e| e.into_inner()).as_ref() {
        return p.clone();
    }
    let mut slot = POOL.write().unwrap_or_else(|e| e.into_inner());
    if slot.is_none() {
        // Falling back to one thread keeps the library usable if the OS refuses threads.
        *slot = Some(
            build(default_threads())
                .or_else(|_| build(1))
                .expect("a one-thread pool"),
        );
    }
    slot.as_ref().cloned().expect("pool was just set")
}

/// Sets how many threads parallel kernels use (like `torch.set_num_threads`).
pub fn set_num_threads(n: usize) -> Result<()> {
    if n == 0 {
        bail!(range, "set_num_threads expects a positive integer, got {n}");
    }
    if n > 1024 {
        bail!(
            range,
            "set_num_threads(): {n} threads is more than the supported 1024"
        );
    }
    let new_pool = build(n)?;
    *POOL.write().unwrap_or_else(|e| e.into_inner()) = Some(new_pool);
    Ok(())
}

pub fn get_num_threads() -> usize {
    pool().current_num_threads()
}

/// Runs `f` inside the pool, so rayon calls in it use the configured thread count.
pub fn install<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    pool().install(f)
}
