//! The recurrent stack written in tensor ops (products, narrow, cat) around fused recurrence
//! ops, so it runs on any device whose storage has the primitives and the kernels, with
//! autograd through the ops: the stack's CUDA body. LSTM and GRU directions without
//! projections run as one whole-sequence op each (`sequence`: one launch each way on CUDA);
//! the rest step by step around one fused gate op per step (`fused_cell`: a step is its
//! products plus one gate kernel each way; W_hh's gradient is one product over all steps,
//! `recurrent_product`). The tests run it on the CPU, both ways, against the whole-stack CPU
//! kernels and PyTorch's fixtures: every mode, layers, directions, projections, packed
//! sequences, initial states, and inter-layer dropout (the same mask: it draws from the
//! generator in the same order as the CPU kernels).

use super::config::{RnnConfig, RnnMode};
use super::fused_cell::{elman_cell, gru_cell, lstm_cell};
use super::recurrent_product::RecurrentProducts;
use super::sequence::{self, Recurrence};
use super::stack::{RnnInput, RnnOutput};
use crate::storage::Storage;
use crate::{bail, DType, Device, Result, Tensor};

fn zeros_on(device: Device, shape: &[usize]) -> Result<Tensor> {
    Ok(Tensor::from_storage(
        Storage::full(device, shape, 0.0, DType::F32)?,
        shape.to_vec(),
    ))
}

/// One layer's weights for one direction, in PyTorch's order.
struct DirectionWeights<'a> {
    w_ih: &'a Tensor,
    w_hh: &'a Tensor,
    b_ih: Option<&'a Tensor>,
    b_hh: Option<&'a Tensor>,
    w_hr: Option<&'a Tensor>,
}

fn direction_weights<'a>(
    cfg: &RnnConfig,
    weights: &'a [Tensor],
    index: usize,
) -> DirectionWeights<'a> {
    let per = cfg.weights_per_direction();
    let w = &weights[index * per..(index + 1) * per];
    let (b_ih, b_hh, next) = if cfg.bias {
        (Some(&w[2]), Some(&w[3]), 4)
    } else {
        (None, None, 2)
    };
    DirectionWeights {
        w_ih: &w[0],
        w_hh: &w[1],
        b_ih,
        b_hh,
        w_hr: (cfg.proj_size > 0).then(|| &w[next]),
    }
}

/// `x @ w^T (+ b)`.
fn affine(x: &Tensor, w: &Tensor, b: Option<&Tensor>) -> Result<Tensor> {
    let y = x.matmul(&w.t()?)?;
    match b {
        Some(b) => y.add(b),
        None => Ok(y),
    }
}

/// One direction of one layer over step-major rows `x` ([rows, in]; `batch_sizes[t]` rows at
/// step t), backwards in time when `reverse`. Returns the outputs ([rows, out], step-major) and the final states.
fn run_direction(
    cfg: &RnnConfig,
    w: &DirectionWeights,
    x: &Tensor,
    batch_sizes: &[usize],
    reverse: bool,
    mut h: Tensor,
    mut c: Option<Tensor>,
) -> Result<(Tensor, Tensor, Option<Tensor>)> {
    let batch = h.shape()[0];
    // Where the gates take gi + gh, b_hh joins the all-steps projection: one kernel less a step.
    // The GRU's n gate needs W_hn h + b_hn on its own, so its b_hh stays with the step.
    let fold_b_hh = cfg.mode != RnnMode::Gru;
    let mut gi_all = affine(x, w.w_ih, w.b_ih)?;
    if let (true, Some(b_hh)) = (fold_b_hh, w.b_hh) {
        gi_all = gi_all.add(b_hh)?;
    }
    let b_hh_step = if fold_b_hh { None } else { w.b_hh };
    if sequence::applies(cfg) {
        // Every step in one op (one launch each way on CUDA).
        return sequence::recurrence(&Recurrence {
            mode: cfg.mode,
            gi: &gi_all,
            w_hh: w.w_hh,
            b_hh: b_hh_step,
            h0: &h,
            c0: c.as_ref(),
            batch_sizes,
            reverse,
        });
    }
    // One split node for all steps: backward concatenates the steps' gradients once.
    let gi_steps = gi_all.split_with_sizes(batch_sizes, 0)?;
    let count = batch_sizes.len();
    let mut outputs: Vec<Option<Tensor>> = vec![None; count];
    let order: Vec<usize> = if reverse {
        (0..count).rev().collect()
    } else {
        (0..count).collect()
    };
    // h W_hh^T per step; W_hh's gradient comes as one product over all steps.
    let mut products = RecurrentProducts::new(w.w_hh, count);
    for t in order {
        let n = batch_sizes[t];
        let gi = &gi_steps[t];
        // Packed batches shrink over time: only the first n sequences are still running.
        let active = |s: &Tensor| -> Result<Tensor> {
            if n == batch {
                Ok(s.clone())
            } else {
                s.narrow(0, 0, n as i64)
            }
        };
        let h_a = active(&h)?;
        let mut gh = products.step(&h_a)?;
        if let Some(b) = b_hh_step {
            gh = gh.add(b)?;
        }
        let (h_new, c_new) = match cfg.mode {
            RnnMode::Tanh | RnnMode::Relu => {
                (elman_cell(cfg.mode == RnnMode::Relu, gi, &gh)?, None)
            }
            RnnMode::Lstm => {
                let Some(c_prev) = &c else {
                    bail!(internal, "LSTM step without a cell state");
                };
                let (mut h_new, c_new) = lstm_cell(gi, &gh, &active(c_prev)?)?;
                if let Some(w_hr) = w.w_hr {
                    h_new = h_new.matmul(&w_hr.t()?)?;
                }
                (h_new, Some(c_new))
            }
            RnnMode::Gru => (gru_cell(gi, &gh, &h_a)?, None),
        };
        let keep = |old: &Tensor, new: Tensor| -> Result<Tensor> {
            if n == batch {
                Ok(new)
            } else {
                Tensor::cat(&[new, old.narrow(0, n as i64, (batch - n) as i64)?], 0)
            }
        };
        outputs[t] = Some(h_new.clone());
        h = keep(&h, h_new)?;
        if let (Some(old), Some(new)) = (&c, c_new) {
            c = Some(keep(old, new)?);
        }
    }
    let outputs: Vec<Tensor> = outputs.into_iter().flatten().collect();
    Ok((Tensor::cat(&outputs, 0)?, h, c))
}

/// The stack in tensor ops. Inputs are validated by the caller (`rnn_forward`'s checks).
pub(crate) fn rnn_forward_composite(
    cfg: &RnnConfig,
    inp: &RnnInput,
    steps: usize,
    batch: usize,
    unbatched: bool,
    batch_sizes: &[usize],
) -> Result<RnnOutput> {
    let device = inp.input.device();
    let (d, out, hid, layers) = (
        cfg.directions(),
        cfg.output_size(),
        cfg.hidden_size,
        cfg.num_layers,
    );
    let rows: usize = batch_sizes.iter().sum();
    let packed = inp.batch_sizes.is_some();
    // Step-major rows [rows, input_size].
    let mut x = if packed || unbatched {
        inp.input.clone()
    } else if cfg.batch_first {
        inp.input
            .transpose(0, 1)?
            .reshape(&[rows as i64, cfg.input_size as i64])?
    } else {
        inp.input.reshape(&[rows as i64, cfg.input_size as i64])?
    };
    // Initial states as [L * D, B, size].
    let state = |given: Option<&Tensor>, size: usize| -> Result<Tensor> {
        match given {
            Some(s) if unbatched => s.unsqueeze(1),
            Some(s) => Ok(s.clone()),
            None => zeros_on(device, &[layers * d, batch, size]),
        }
    };
    let h0 = state(inp.hx, out)?;
    let c0 = if cfg.mode == RnnMode::Lstm {
        Some(state(inp.cx, hid)?)
    } else {
        None
    };
    let (mut h_n, mut c_n) = (Vec::new(), Vec::new());
    for l in 0..layers {
        let mut ys = Vec::with_capacity(d);
        for k in 0..d {
            let i = l * d + k;
            let w = direction_weights(cfg, inp.weights, i);
            let h = h0.select(0, i as i64)?;
            let c = c0.as_ref().map(|c| c.select(0, i as i64)).transpose()?;
            let (y, h_last, c_last) = run_direction(cfg, &w, &x, batch_sizes, k == 1, h, c)?;
            ys.push(y);
            h_n.push(h_last);
            c_n.extend(c_last);
        }
        let mut y = if d == 1 {
            ys.pop().expect("one direction")
        } else {
            Tensor::cat(&ys, 1)?
        };
        if inp.training && cfg.dropout > 0.0 && l + 1 < layers {
            // The fused kernels' mask, drawn the same way (same generator, same order).
            let feat = d * out;
            let m = crate::nn::dropout::mask(&[rows, feat], cfg.dropout as f64)?;
            let mask = Tensor::from_f32(m, vec![rows, feat])?.to_device(device)?;
            y = y.mul(&mask)?;
        }
        x = y;
    }
    let feat = (d * out) as i64;
    let output = if packed || unbatched {
        x
    } else if cfg.batch_first {
        x.reshape(&[steps as i64, batch as i64, feat])?
            .transpose(0, 1)?
            .contiguous()?
    } else {
        x.reshape(&[steps as i64, batch as i64, feat])?
    };
    let finish = |states: Vec<Tensor>| -> Result<Tensor> {
        let s = Tensor::stack(&states, 0)?;
        if unbatched {
            s.squeeze(Some(1))
        } else {
            Ok(s)
        }
    };
    Ok(RnnOutput {
        output,
        h_n: finish(h_n)?,
        c_n: if cfg.mode == RnnMode::Lstm {
            Some(finish(c_n)?)
        } else {
            None
        },
    })
}
