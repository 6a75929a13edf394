//! The one place core errors and panics become JavaScript exceptions.
//!
//! Core errors are thrown as TypeError, RangeError or Error by kind; a panic (a bug in seqtorch,
//! never the caller's fault) is caught and thrown as an Error instead of aborting Node.

use std::panic::{catch_unwind, AssertUnwindSafe};

use napi::{Env, Status};
use seqtorch_core::{Error as CoreError, ErrorKind};

/// Throws `e` as the right JavaScript class and returns the marker that tells napi-rs the
/// exception is already pending.
fn throw(env: &Env, e: &CoreError) -> napi::Error {
    let thrown = match e.kind {
        ErrorKind::Type => env.throw_type_error(&e.message, None),
        ErrorKind::Range => env.throw_range_error(&e.message, None),
        ErrorKind::Value => env.throw_error(&e.message, None),
        ErrorKind::Device => env.throw_error(&e.message, Some("SEQTORCH_DEVICE")),
        ErrorKind::Internal => env.throw_error(&e.message, Some("SEQTORCH_INTERNAL")),
    };
    match thrown {
        Ok(()) => napi::Error::new(Status::PendingException, e.message.clone()),
        Err(_) => napi::Error::new(Status::GenericFailure, e.message.clone()),
    }
}

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    let detail = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into());
    format!("seqtorch internal error (please report): {detail}")
}

/// Runs core work, turning its errors and any panic into a thrown JavaScript error.
pub fn guard<T>(env: &Env, f: impl FnOnce() -> seqtorch_core::Result<T>) -> napi::Result<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(throw(env, &e)),
        Err(payload) => Err(throw(env, &CoreError::internal(panic_message(payload)))),
    }
}

/// Panics inside `guard`, on purpose. Tests call it to prove that a panic in native code becomes a
/// thrown `SEQTORCH_INTERNAL` error in each shipped binary (unwinding depends on how the binary
/// was linked: the release builds use zig's linker and C runtime).
#[napi_derive::napi(js_name = "debugPanic")]
pub fn debug_panic(env: Env) -> napi::Result<()> {
    guard(&env, || -> seqtorch_core::Result<()> {
        panic!("deliberate panic from debugPanic()")
    })
}
