//! Grad mode switches for `noGrad` / `enableGrad`.

use napi_derive::napi;
use seqtorch_core::autograd;

#[napi]
pub fn is_grad_enabled() -> bool {
    autograd::is_grad_enabled()
}

/// Sets grad mode and returns the previous one, so the facade can restore it.
#[napi]
pub fn set_grad_enabled(enabled: bool) -> bool {
    let previous = autograd::is_grad_enabled();
    autograd::set_grad_enabled(enabled);
    previous
}
