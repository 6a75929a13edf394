//! Tensor operations. Each records its autograd node; the gradients live in `autograd::backprop`.

pub mod creation;
pub mod elementwise;
pub mod index;
pub mod matmul;
pub mod random;
pub mod reduce;
pub mod view;
