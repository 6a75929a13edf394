//! Recurrent layers (Elman RNN, LSTM, GRU) as one fused autograd node per layer stack.
//!
//! Forward computes the input projections of all timesteps in one GEMM per layer and direction,
//! then one concatenated-gate recurrent GEMM per step followed by one fused pass of gate math.
//! Backward is BPTT over every step, layer and direction, with weight gradients as one GEMM
//! over all steps. Both directions of a bidirectional layer run in parallel.

mod composite;
mod config;
mod direction;
mod fused_cell;
#[doc(hidden)]
pub mod gates;
mod layout;
mod packing;
mod recurrent_product;
mod sequence;
mod stack;
mod step_weights;
mod stream_split;

pub use config::{RnnConfig, RnnMode};
pub use packing::{pack_padded, pad_packed};
pub use sequence::with_whole_sequence;
pub use stack::{
    prepared_weight_builds, rnn_forward, rnn_forward_reference, rnn_step, RnnInput, RnnOutput,
};
