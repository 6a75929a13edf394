//! Per-parameter optimizer state with PyTorch's names (`step`, `exp_avg`, `momentum_buffer`...),
//! so a state dict can be saved and loaded to resume exactly.

use std::collections::BTreeMap;

#[derive(Debug, Clone, Default)]
pub struct ParamState {
    pub step: f64,
    pub buffers: BTreeMap<String, Vec<f32>>,
}

impl ParamState {
    /// The named buffer, created as zeros of `len` on first use.
    pub fn buffer(&mut self, name: &str, len: usize) -> &mut Vec<f32> {
        self.buffers
            .entry(name.to_string())
            .or_insert_with(|| vec![0.0; len])
    }
}
