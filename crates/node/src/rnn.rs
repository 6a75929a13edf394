//! The fused recurrent stack and sequence packing, for `nn.RNN`, `nn.LSTM`, `nn.GRU`, the cells
//! and `nn.utils.rnn`.

use napi::bindgen_prelude::*;
use napi_derive::napi;
use seqtorch_core::rnn::{self, RnnConfig, RnnInput, RnnMode};
use seqtorch_core::{bail, Tensor};

use crate::convert::int;
use crate::error::guard;
use crate::tensor::NativeTensor;

/// Constructor arguments of a recurrent layer, with PyTorch's meanings.
#[napi(object)]
pub struct RnnOptions {
    /// 'RNN_TANH' | 'RNN_RELU' | 'LSTM' | 'GRU'
    pub mode: String,
    pub input_size: f64,
    pub hidden_size: f64,
    pub num_layers: f64,
    pub bias: bool,
    pub batch_first: bool,
    pub dropout: f64,
    pub bidirectional: bool,
    pub proj_size: f64,
}

fn size(what: &str, v: f64) -> seqtorch_core::Result<usize> {
    let n = int("RNN", what, v)?;
    if n < 0 {
        bail!(value, "{what} must be non-negative, got {n}");
    }
    Ok(n as usize)
}

fn config(o: &RnnOptions) -> seqtorch_core::Result<RnnConfig> {
    let mode = match o.mode.as_str() {
        "RNN_TANH" => RnnMode::Tanh,
        "RNN_RELU" => RnnMode::Relu,
        "LSTM" => RnnMode::Lstm,
        "GRU" => RnnMode::Gru,
        other => bail!(value, "Unknown mode '{other}'"),
    };
    let cfg = RnnConfig {
        mode,
        input_size: size("input_size", o.input_size)?,
        hidden_size: size("hidden_size", o.hidden_size)?,
        num_layers: size("num_layers", o.num_layers)?,
        bias: o.bias,
        batch_first: o.batch_first,
        dropout: o.dropout as f32,
        bidirectional: o.bidirectional,
        proj_size: size("proj_size", o.proj_size)?,
    };
    cfg.validate()?;
    Ok(cfg)
}

#[napi(object)]
pub struct RnnWeightSpec {
    pub name: String,
    pub shape: Vec<f64>,
}

/// The names and shapes of a layer's weights (or a cell's, when `cell`), from the core: the
/// facade creates its parameters from this list and re-encodes no gate counts.
#[napi]
pub fn rnn_weight_specs(env: Env, options: RnnOptions, cell: bool) -> Result<Vec<RnnWeightSpec>> {
    guard(&env, || {
        let cfg = config(&options)?;
        cfg.check_weight_memory()?;
        let specs = if cell {
            cfg.cell_weight_specs()
        } else {
            cfg.weight_specs()
        };
        Ok(specs
            .into_iter()
            .map(|(name, shape)| RnnWeightSpec {
                name,
                shape: shape.into_iter().map(|d| d as f64).collect(),
            })
            .collect())
    })
}

/// How many prepared (transposed) recurrent weights have been built in this process: the
/// tests check that repeated steps reuse them and that an in-place write rebuilds them.
#[napi]
pub fn rnn_prepared_weight_builds() -> f64 {
    rnn::prepared_weight_builds() as f64
}

fn sizes_of(what: &str, v: &[f64]) -> seqtorch_core::Result<Vec<usize>> {
    v.iter().map(|&x| size(what, x)).collect()
}

/// A recurrent layer's configuration, parsed and checked once when the layer is made, so each
/// forward or streaming step skips reading the options object.
#[napi]
pub struct NativeRnn {
    cfg: RnnConfig,
}

fn stack_outputs(
    env: &Env,
    out: seqtorch_core::Result<rnn::RnnOutput>,
) -> Result<Vec<NativeTensor>> {
    let out = guard(env, || out)?;
    let mut result = vec![
        NativeTensor::wrap(env, out.output)?,
        NativeTensor::wrap(env, out.h_n)?,
    ];
    if let Some(c) = out.c_n {
        result.push(NativeTensor::wrap(env, c)?);
    }
    Ok(result)
}

fn tensors(list: &[&NativeTensor]) -> seqtorch_core::Result<Vec<Tensor>> {
    list.iter().map(|w| w.get()).collect()
}

#[napi]
impl NativeRnn {
    #[napi(constructor)]
    pub fn new(env: Env, options: RnnOptions) -> Result<NativeRnn> {
        guard(&env, || {
            Ok(NativeRnn {
                cfg: config(&options)?,
            })
        })
    }

    /// The whole stack over a sequence: `[output, hN]` or, for LSTM, `[output, hN, cN]`.
    #[napi]
    #[allow(clippy::too_many_arguments)]
    pub fn forward(
        &self,
        env: Env,
        input: &NativeTensor,
        batch_sizes: Option<Vec<f64>>,
        hx: Option<&NativeTensor>,
        cx: Option<&NativeTensor>,
        weights: Vec<&NativeTensor>,
        training: bool,
    ) -> Result<Vec<NativeTensor>> {
        // Run under `guard` so a panic becomes an exception; the result is wrapped after.
        let out = guard(&env, || {
            let ws = tensors(&weights)?;
            let bs = batch_sizes
                .as_deref()
                .map(|b| sizes_of("batch_sizes", b))
                .transpose()?;
            let hx = hx.map(|h| h.get()).transpose()?;
            let cx = cx.map(|c| c.get()).transpose()?;
            Ok(rnn::rnn_forward(
                &self.cfg,
                RnnInput {
                    input: &input.get()?,
                    batch_sizes: bs.as_deref(),
                    hx: hx.as_ref(),
                    cx: cx.as_ref(),
                    weights: &ws,
                    training,
                },
            ))
        })?;
        stack_outputs(&env, out)
    }

    /// One time step (streaming): input [batch, input_size] or [input_size]; returns the
    /// step's output and the new states.
    #[napi]
    pub fn step(
        &self,
        env: Env,
        input: &NativeTensor,
        hx: Option<&NativeTensor>,
        cx: Option<&NativeTensor>,
        weights: Vec<&NativeTensor>,
        training: bool,
    ) -> Result<Vec<NativeTensor>> {
        let out = guard(&env, || {
            let state = |t: Option<&NativeTensor>| t.map(|t| t.get()).transpose();
            Ok(self.run_step(input, state(hx)?, state(cx)?, &weights, training))
        })?;
        stack_outputs(&env, out)
    }

    /// One cell step (a one-layer stack, one step): input [batch, input_size] or
    /// [input_size], states shaped like the input's rows; returns `[h']` or `[h', c']` in the
    /// same shapes. The states' layer dimension is added and dropped here, as views: through
    /// the facade that was five more calls and tensors a step (an LSTMCell(16 -> 32) step
    /// 21-22 µs, now 16).
    #[napi]
    pub fn cell_step(
        &self,
        env: Env,
        input: &NativeTensor,
        hx: Option<&NativeTensor>,
        cx: Option<&NativeTensor>,
        weights: Vec<&NativeTensor>,
    ) -> Result<Vec<NativeTensor>> {
        let (h, c) = guard(&env, || {
            let layered = |t: Option<&NativeTensor>| t.map(|t| t.get()?.unsqueeze(0)).transpose();
            let out = self.run_step(input, layered(hx)?, layered(cx)?, &weights, false)?;
            // One layer: the step's output is h'.
            Ok((out.output, out.c_n.map(|c| c.select(0, 0)).transpose()?))
        })?;
        let mut result = vec![NativeTensor::wrap(&env, h)?];
        if let Some(c) = c {
            result.push(NativeTensor::wrap(&env, c)?);
        }
        Ok(result)
    }
}

impl NativeRnn {
    fn run_step(
        &self,
        input: &NativeTensor,
        hx: Option<Tensor>,
        cx: Option<Tensor>,
        weights: &[&NativeTensor],
        training: bool,
    ) -> seqtorch_core::Result<rnn::RnnOutput> {
        rnn::rnn_step(
            &self.cfg,
            RnnInput {
                input: &input.get()?,
                batch_sizes: None,
                hx: hx.as_ref(),
                cx: cx.as_ref(),
                weights: &tensors(weights)?,
                training,
            },
        )
    }
}

#[napi(object, object_from_js = false)]
pub struct PackedData {
    pub data: NativeTensor,
    pub batch_sizes: Vec<u32>,
}

/// Packs a padded batch whose lengths are sorted in decreasing order.
#[napi]
pub fn pack_padded(
    env: Env,
    input: &NativeTensor,
    lengths: Vec<f64>,
    batch_first: bool,
) -> Result<PackedData> {
    let (data, bs) = guard(&env, || {
        let lengths = lengths
            .iter()
            .map(|&l| {
                let n = int("pack_padded_sequence", "length", l)?;
                if n <= 0 {
                    bail!(
                        value,
                        "Length of all samples has to be greater than 0, but found an element in 'lengths' that is <= 0"
                    );
                }
                Ok(n as usize)
            })
            .collect::<seqtorch_core::Result<Vec<usize>>>()?;
        rnn::pack_padded(&input.get()?, &lengths, batch_first)
    })?;
    Ok(PackedData {
        data: NativeTensor::wrap(&env, data)?,
        batch_sizes: bs.iter().map(|&b| b as u32).collect(),
    })
}

#[napi]
pub fn pad_packed(
    env: Env,
    data: &NativeTensor,
    batch_sizes: Vec<f64>,
    batch_first: bool,
    padding_value: f64,
    total_length: Option<f64>,
) -> Result<NativeTensor> {
    let t = guard(&env, || {
        let bs = sizes_of("batch_sizes", &batch_sizes)?;
        let total = total_length.map(|t| size("total_length", t)).transpose()?;
        rnn::pad_packed(&data.get()?, &bs, batch_first, padding_value as f32, total)
    })?;
    NativeTensor::wrap(&env, t)
}
