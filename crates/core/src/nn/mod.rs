//! Layer primitives around the recurrent stack, each one fused autograd node: linear maps,
//! embedding lookups, dropout and the losses; softmax and log-softmax in tensor ops.

pub(crate) mod dropout;
mod embedding;
pub mod init;
mod linear;
pub mod loss;
mod loss_gpu;
mod softmax;

pub use dropout::dropout;
pub use embedding::embedding;
pub use linear::{linear, linear_reference};
pub use softmax::{log_softmax, softmax};
