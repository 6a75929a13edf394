//! napi-rs binding for seqtorch. Converts JavaScript values, checks handles and maps errors;
//! all math lives in `seqtorch-core`. One file per exported class or function group.
#![deny(clippy::all)]

mod autograd;
mod convert;
mod creation;
mod data;
mod device;
mod error;
mod io;
mod layers;
mod loss;
mod machine;
mod optim;
mod precision;
mod preprocessing;
mod rnn;
mod tensor;
mod threads;

/// Declares the module's Node-API version as `NAPI_VERSION_EXPERIMENTAL`. With it, Node runs
/// object finalizers synchronously inside garbage collection instead of queueing them for a
/// later `setImmediate`, so a synchronous training loop frees its tensors as it goes rather
/// than only when it returns to the event loop. Our finalizers touch no JavaScript: they free
/// Rust memory, delete a reference and adjust the external-memory count, which Node permits
/// during GC.
#[no_mangle]
pub extern "C" fn node_api_module_get_api_version_v1() -> i32 {
    i32::MAX
}

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc.h's `mi_option_e` (the Rust bindings name no constant
/// for it).
const MI_OPTION_PURGE_DELAY: std::os::raw::c_int = 15;

/// Milliseconds freed memory stays mapped before mimalloc returns it to the OS. The default
/// (1 s) returns whatever is free at each deadline, so a training loop whose step buffers are
/// free between steps faulted them back in as fresh zeroed huge pages every second: 6.5% of
/// small-lstm128's time went to `clear_page`. With a minute, a busy loop keeps its memory
/// mapped and memory that stays free longer still goes back. `MIMALLOC_PURGE_DELAY` in the
/// environment wins.
const PURGE_DELAY_MS: std::os::raw::c_long = 60_000;

#[napi_derive::module_init]
fn init() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: sets one integer option of the allocator; valid at any time.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, PURGE_DELAY_MS) };
    }
}
