//! Per-parameter optimizer state with PyTorch's names (`step`, `exp_avg`, `momentum_buffer`...),
//! so a state dict can be saved and loaded to resume exactly. Buffers are tensors on the
//! parameter's device.

use std::collections::BTreeMap;

use crate::Tensor;

#[derive(Debug, Clone, Default)]
pub struct ParamState {
    pub step: f64,
    pub buffers: BTreeMap<String, Tensor>,
}

/// The state as the CPU update loops see it: the buffers' host vectors, moved out of their
/// tensors for the duration of one update and moved back after (no copies).
#[derive(Debug, Default)]
pub(crate) struct HostState {
    pub step: f64,
    pub buffers: BTreeMap<String, Vec<f32>>,
}

impl HostState {
    /// The named buffer, created as zeros of `len` on first use.
    pub fn buffer(&mut self, name: &str, len: usize) -> &mut Vec<f32> {
        self.buffers
            .entry(name.to_string())
            .or_insert_with(|| vec![0.0; len])
    }
}
