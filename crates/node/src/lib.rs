//! napi-rs binding for seqtorch. Converts JavaScript values, checks handles and maps errors;
//! all math lives in `seqtorch-core`. One file per exported class or function group.
#![deny(clippy::all)]

mod autograd;
mod convert;
mod creation;
mod data;
mod error;
mod io;
mod layers;
mod loss;
mod optim;
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
