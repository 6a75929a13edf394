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

    /// Refuses, before any weight is listed or made, a layer whose weights together pass the
    /// memory ceiling (a huge `num_layers` must not loop for ever).
    pub fn check_weight_memory(&self) -> Result<()> {
        let g = self.mode.gates() as u128 * self.hidden_size as u128;
        let out = self.output_size() as u128;
        let dirs = self.directions() as u128;
        let proj = if self.proj_size > 0 {
            self.proj_size as u128 * self.hidden_size as u128
        } else {
            0
        };
        let bias = if self.bias { 2 * g } else { 0 };
        let per_dir = |input: u128| g * (input + out) + bias + proj;
        let total = dirs
            * (per_dir(self.input_size as u128)
                + (self.num_layers as u128 - 1) * per_dir(out * dirs));
        let limit = crate::memory::memory_limit();
        if total * 4 > limit as u128 {
            let widest = (self.input_size as u128).max(out * dirs);
            bail!(
                range,
                "{}(): cannot allocate the weights of {} layer(s) of {} units ({} bytes, the largest [{g}, {widest}]): above the memory limit of {limit} bytes (set it with setMemoryLimit())",
                self.mode.name(),
                self.num_layers,
                self.hidden_size,
                total * 4
            );
        }
        Ok(())
    }

    /// Every weight's PyTorch name (`weight_ih_l0`, `bias_hh_l1_reverse`, `weight_hr_l0`...)
    /// and shape, in the order the stack takes them. The facade builds its parameters from
    /// this list, so the structure is written down once.
    pub fn weight_specs(&self) -> Vec<(String, Vec<usize>)> {
        let shapes = self.weight_shapes();
        let mut names = Vec::with_capacity(shapes.len());
        for layer in 0..self.num_layers {
            for dir in 0..self.directions() {
                let suffix = format!("_l{layer}{}", if dir == 1 { "_reverse" } else { "" });
                names.push(format!("weight_ih{suffix}"));
                names.push(format!("weight_hh{suffix}"));
                if self.bias {
                    names.push(format!("bias_ih{suffix}"));
                    names.push(format!("bias_hh{suffix}"));
                }
                if self.proj_size > 0 {
                    names.push(format!("weight_hr{suffix}"));
                }
            }
        }
        names.into_iter().zip(shapes).collect()
    }

    /// A cell's weights: a one-layer, one-direction stack whose names carry no suffix
    /// (`weight_ih`, `weight_hh`, `bias_ih`, `bias_hh`).
    pub fn cell_weight_specs(&self) -> Vec<(String, Vec<usize>)> {
        let one = RnnConfig {
            num_layers: 1,
            bidirectional: false,
            proj_size: 0,
            ..self.clone()
        };
        one.weight_specs()
            .into_iter()
            .map(|(n, s)| (n.trim_end_matches("_l0").to_string(), s))
            .collect()
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
