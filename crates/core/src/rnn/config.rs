//! Which recurrence, and the sizes that fix every weight's shape (PyTorch's constructor arguments).

use crate::{bail, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RnnMode {
    /// Elman RNN with tanh.
    Tanh,
    /// Elman RNN with ReLU.
    Relu,
    Lstm,
    Gru,
}

impl RnnMode {
    /// Gates stacked in `weight_ih` / `weight_hh`: LSTM i,f,g,o; GRU r,z,n; Elman one.
    pub fn gates(self) -> usize {
        match self {
            RnnMode::Tanh | RnnMode::Relu => 1,
            RnnMode::Lstm => 4,
            RnnMode::Gru => 3,
        }
    }

    /// The class name PyTorch uses in messages.
    pub fn name(self) -> &'static str {
        match self {
            RnnMode::Tanh | RnnMode::Relu => "RNN",
            RnnMode::Lstm => "LSTM",
            RnnMode::Gru => "GRU",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct RnnConfig {
    pub mode: RnnMode,
    pub input_size: usize,
    pub hidden_size: usize,
    pub num_layers: usize,
    pub bias: bool,
    pub batch_first: bool,
    /// Dropout on the outputs of every layer but the last, in training only.
    pub dropout: f32,
    pub bidirectional: bool,
    /// LSTM only: project each hidden state to this size (0 = no projection).
    pub proj_size: usize,
}

impl RnnConfig {
    pub fn directions(&self) -> usize {
        if self.bidirectional {
            2
        } else {
            1
        }
    }

    /// Size of the hidden state `h` (the projection size when projecting).
    pub fn output_size(&self) -> usize {
        if self.proj_size > 0 {
            self.proj_size
        } else {
            self.hidden_size
        }
    }

    pub fn layer_input_size(&self, layer: usize) -> usize {
        if layer == 0 {
            self.input_size
        } else {
            self.directions() * self.output_size()
        }
    }

    /// Weights per layer and direction, in PyTorch's order:
    /// weight_ih, weight_hh, [bias_ih, bias_hh], [weight_hr].
    pub fn weights_per_direction(&self) -> usize {
        2 + if self.bias { 2 } else { 0 } + usize::from(self.proj_size > 0)
    }

    /// Expected shape of every weight, in order.
    pub fn weight_shapes(&self) -> Vec<Vec<usize>> {
        let g = self.mode.gates() * self.hidden_size;
        let mut shapes = Vec::new();
        for layer in 0..self.num_layers {
            for _ in 0..self.directions() {
                shapes.push(vec![g, self.layer_input_size(layer)]);
                shapes.push(vec![g, self.output_size()]);
                if self.bias {
                    shapes.push(vec![g]);
                    shapes.push(vec![g]);
                }
                if self.proj_size > 0 {
                    shapes.push(vec![self.proj_size, self.hidden_size]);
                }
            }
        }
        shapes
    }

    /// PyTorch's constructor checks, with its messages.
    pub fn validate(&self) -> Result<()> {
        if !(0.0..=1.0).contains(&self.dropout) || self.dropout.is_nan() {
            bail!(
                value,
                "dropout should be a number in range [0, 1] representing the probability of an element being zeroed"
            );
        }
        if self.hidden_size == 0 {
            bail!(value, "hidden_size must be greater than zero");
        }
        if self.num_layers == 0 {
            bail!(value, "num_layers must be greater than zero");
        }
        if self.proj_size > 0 {
            if self.mode != RnnMode::Lstm {
                bail!(
                    value,
                    "proj_size argument is only supported for LSTM, not RNN or GRU"
                );
            }
            if self.proj_size >= self.hidden_size {
                bail!(value, "proj_size has to be smaller than hidden_size");
            }
        }
        Ok(())
    }
}
