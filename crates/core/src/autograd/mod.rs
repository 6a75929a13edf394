//! Define-by-run reverse-mode autograd: ops record `Node`s, `backward` walks them.

mod backprop;
pub(crate) use backprop::index_add_into;
mod engine;
mod grad_mode;
mod node;

pub use engine::backward;
pub(crate) use engine::current_backward_pass;
pub use grad_mode::{is_grad_enabled, set_grad_enabled, NoGradGuard};
pub use node::{CustomBackward, Node, Op};
