//! The size of the kernel thread pool.

use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::convert::int;
use crate::error::guard;

#[napi]
pub fn set_num_threads(env: Env, n: f64) -> Result<()> {
    guard(&env, || {
        let n = int("setNumThreads", "n", n)?;
        if n < 1 {
            seqtorch_core::bail!(range, "setNumThreads expects a positive integer, got {n}");
        }
        seqtorch_core::threads::set_num_threads(n as usize)
    })
}

#[napi]
pub fn get_num_threads() -> u32 {
    seqtorch_core::threads::get_num_threads() as u32
}
