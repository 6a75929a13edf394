//! One direction of an LSTM or GRU layer over every step as one op: the recurrence that follows
//! the input projection, from every step's input-side pre-activations `gi` ([rows, G],
//! step-major, packed or not) to the outputs and final states, with one backward node for all
//! steps. On CUDA each way is one launch of rnn_sequence.cu (a block owns a few batch rows for
//! the whole sequence), where the tensor-op stack spends two launches and an autograd node per
//! step: small models are launch-bound there. On the CPU the body is plain loops over the same
//! formulas, the reference the composite tests hold against the fused CPU kernels and PyTorch's
//! fixtures (the CPU stack itself runs `direction.rs`).
//!
//! W_hh's gradient (and the GRU's b_hh's) come from the saved rows in one product after the
//! backward kernel, as in the CPU kernels.

use std::cell::Cell;
use std::sync::Arc;

use super::config::{RnnConfig, RnnMode};
use super::gates;
use crate::autograd::{CustomBackward, Node};
use crate::backend::fused::{self, PerDevice};
use crate::kernels::gemm::{sgemm, Transpose};
use crate::storage::Storage;
use crate::Device;
use crate::{bail, DType, Result, Tensor};

/// Batch rows per CUDA block (`SEQ_ROWS` in rnn_sequence.cu).
const SEQ_ROWS: usize = 4;

/// Gate units per CUDA block at most: one thread per gate unit.
const MAX_GATES: usize = 1024;

thread_local! {
    /// Tests run the tensor-op stack both ways on one device (see `with_whole_sequence`).
    static WHOLE_SEQUENCE: Cell<Option<bool>> = const { Cell::new(None) };
}

/// Runs `f` with the composite stack's whole-sequence recurrence switched on or off on this
/// thread (it is on wherever it applies): how the tests check both paths of the stack.
#[doc(hidden)]
pub fn with_whole_sequence<R>(enabled: bool, f: impl FnOnce() -> R) -> R {
    let before = WHOLE_SEQUENCE.with(|c| c.replace(Some(enabled)));
    let out = f();
    WHOLE_SEQUENCE.with(|c| c.set(before));
    out
}

/// Whether the tensor-op stack runs this layer's directions through `recurrence`: LSTM and GRU
/// without projections, with one CUDA thread per gate unit.
pub(crate) fn applies(cfg: &RnnConfig) -> bool {
    let fits = matches!(cfg.mode, RnnMode::Lstm | RnnMode::Gru)
        && cfg.proj_size == 0
        && cfg.mode.gates() * cfg.hidden_size <= MAX_GATES;
    fits && WHOLE_SEQUENCE.with(|c| c.get()).unwrap_or(true)
}

/// One direction's operands.
pub(crate) struct Recurrence<'a> {
    pub mode: RnnMode,
    /// [rows, G]: W_ih x + b_ih, and b_hh where it folds in (LSTM).
    pub gi: &'a Tensor,
    /// [G, H].
    pub w_hh: &'a Tensor,
    /// GRU: [3H], added to the hidden side at every step. LSTM: None (folded into `gi`).
    pub b_hh: Option<&'a Tensor>,
    /// [batch, H].
    pub h0: &'a Tensor,
    /// LSTM: [batch, H].
    pub c0: Option<&'a Tensor>,
    pub batch_sizes: &'a [usize],
    pub reverse: bool,
}

/// What backward reads, one row per (step, active batch row), on the op's device.
struct Saved {
    /// LSTM i, f, g, o; GRU r, z, n.
    act: Tensor,
    /// The hidden state entering each step.
    h_prev: Tensor,
    /// LSTM: c after and before each step.
    c: Option<Tensor>,
    c_prev: Option<Tensor>,
    /// GRU: W_hn h + b_hn.
    ghn: Option<Tensor>,
}

/// The sizes of one launch: batch, hidden, gates (G), rows.
#[derive(Clone, Copy)]
struct Dims {
    batch: usize,
    hidden: usize,
    gates: usize,
    rows: usize,
}

/// (y [rows, H], h_n, c_n), with one backward node for every input that requires grad.
pub(crate) fn recurrence(r: &Recurrence) -> Result<(Tensor, Tensor, Option<Tensor>)> {
    let lstm = r.mode == RnnMode::Lstm;
    if !matches!(r.mode, RnnMode::Lstm | RnnMode::Gru) || lstm != r.c0.is_some() {
        bail!(
            internal,
            "whole-sequence recurrence: LSTM with c0 or GRU without"
        );
    }
    let (batch, hidden) = (r.h0.shape()[0], r.h0.shape()[1]);
    let dims = Dims {
        batch,
        hidden,
        gates: r.mode.gates() * hidden,
        rows: r.batch_sizes.iter().sum(),
    };
    let mut operands = vec![r.gi, r.w_hh, r.h0];
    operands.extend(r.b_hh);
    operands.extend(r.c0);
    let (y, h_n, c_n, saved) = fused::run(PerDevice {
        name: "rnn",
        operands,
        cpu: || forward_cpu(r, dims),
        cuda: |ordinal| forward_cuda(r, dims, ordinal),
    })?;
    let mut inputs = vec![r.gi, r.w_hh];
    inputs.extend(r.b_hh);
    inputs.push(r.h0);
    inputs.extend(r.c0);
    let node = Node::record_custom(&inputs, || {
        Box::new(RecurrenceBackward {
            mode: r.mode,
            inputs: inputs.iter().map(|&t| t.clone()).collect(),
            has_b_hh: r.b_hh.is_some(),
            batch_sizes: r.batch_sizes.to_vec(),
            reverse: r.reverse,
            dims,
            saved,
        })
    });
    let Some(node) = node else {
        return Ok((y, h_n, c_n));
    };
    let node: Option<Arc<Node>> = Some(node);
    Ok((
        y.with_grad_fn_output(node.clone(), 0),
        h_n.with_grad_fn_output(node.clone(), 1),
        c_n.map(|c| c.with_grad_fn_output(node, 2)),
    ))
}

/// Per step in processing order: (first row, active rows).
fn step_rows(batch_sizes: &[usize], reverse: bool) -> Vec<(usize, usize)> {
    let mut off = 0;
    let mut v: Vec<(usize, usize)> = batch_sizes
        .iter()
        .map(|&b| {
            off += b;
            (off - b, b)
        })
        .collect();
    if reverse {
        v.reverse();
    }
    v
}

/// The per-step table the kernels read: (first row, active rows) by step, as floats. Kept on
/// the device for the last few shapes, so a training loop uploads it once rather than at every
/// forward and backward (an upload from pageable memory may wait for the stream to drain).
fn steps_tensor(batch_sizes: &[usize], device: Device) -> Result<Tensor> {
    use std::sync::Mutex;
    /// (device, batch sizes, table), most recent last.
    type Tables = Vec<(Device, Vec<usize>, Tensor)>;
    static TABLES: Mutex<Tables> = Mutex::new(Vec::new());
    const KEEP: usize = 16;
    let rows: usize = batch_sizes.iter().sum();
    if rows >= 1 << 24 {
        bail!(
            value,
            "rnn on CUDA: at most 2^24 rows (steps x batch) per layer, got {rows}"
        );
    }
    let mut tables = TABLES.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, _, t)) = tables
        .iter()
        .find(|(d, sizes, _)| *d == device && sizes == batch_sizes)
    {
        return Ok(t.clone());
    }
    let v: Vec<f32> = step_rows(batch_sizes, false)
        .into_iter()
        .flat_map(|(o, b)| [o as f32, b as f32])
        .collect();
    let t = Tensor::from_f32(v, vec![batch_sizes.len(), 2])?.to_device(device)?;
    if tables.len() == KEEP {
        tables.remove(0);
    }
    tables.push((device, batch_sizes.to_vec(), t.clone()));
    Ok(t)
}

type Forward = (Tensor, Tensor, Option<Tensor>, Saved);

fn host(t: &Tensor) -> Result<Vec<f32>> {
    t.with_f32("rnn", |v| v.to_vec())
}

fn forward_cpu(r: &Recurrence, d: Dims) -> Result<Forward> {
    let Dims {
        batch,
        hidden: hid,
        gates: g,
        rows,
    } = d;
    let lstm = r.mode == RnnMode::Lstm;
    let (gi, w) = (host(r.gi)?, host(r.w_hh)?);
    let mut h = host(r.h0)?;
    let mut c = match r.c0 {
        Some(c0) => host(c0)?,
        None => Vec::new(),
    };
    // The gate kernels take one bias row: zero for the LSTM (folded into gi); for the GRU
    // b_hr, b_hz (joining the input side, as PyTorch's sum allows), 0 for n's input side, b_hn.
    let mut bias = vec![0.0f32; if lstm { g } else { g + hid }];
    if let Some(b) = r.b_hh {
        let b = host(b)?;
        bias[..2 * hid].copy_from_slice(&b[..2 * hid]);
        bias[g..].copy_from_slice(&b[2 * hid..]);
    }
    let mut y = vec![0.0f32; rows * hid];
    let mut act = vec![0.0f32; rows * g];
    let mut h_prev = vec![0.0f32; rows * hid];
    let (mut c_all, mut c_prev) = if lstm {
        (vec![0.0f32; rows * hid], vec![0.0f32; rows * hid])
    } else {
        (Vec::new(), Vec::new())
    };
    let mut ghn = vec![0.0f32; if lstm { 0 } else { rows * hid }];
    let mut gh = vec![0.0f32; batch * g];
    let mut m = vec![0.0f32; batch * hid];
    for (off, b) in step_rows(r.batch_sizes, r.reverse) {
        let (rs, rg) = (off * hid..(off + b) * hid, off * g..(off + b) * g);
        h_prev[rs.clone()].copy_from_slice(&h[..b * hid]);
        // gh = h W_hh^T for the active rows.
        let gh = &mut gh[..b * g];
        sgemm(
            b,
            hid,
            g,
            &h[..b * hid],
            Transpose::No,
            &w,
            Transpose::Yes,
            gh,
            0.0,
        );
        if lstm {
            c_prev[rs.clone()].copy_from_slice(&c[..b * hid]);
            gates::lstm_forward(
                hid,
                &gi[rg.clone()],
                gh,
                &bias,
                None,
                &mut c[..b * hid],
                &mut act[rg],
                &mut m[..b * hid],
            );
            c_all[rs.clone()].copy_from_slice(&c[..b * hid]);
            h[..b * hid].copy_from_slice(&m[..b * hid]);
        } else {
            gates::gru_forward(
                hid,
                &gi[rg.clone()],
                gh,
                &bias,
                None,
                &mut h[..b * hid],
                &mut act[rg],
                &mut ghn[rs.clone()],
            );
        }
        y[rs].copy_from_slice(&h[..b * hid]);
    }
    let t = |v: Vec<f32>, width: usize| {
        let len = v.len();
        Tensor::from_f32(v, vec![len / width, width])
    };
    let saved = Saved {
        act: t(act, g)?,
        h_prev: t(h_prev, hid)?,
        c: lstm.then(|| t(c_all, hid)).transpose()?,
        c_prev: lstm.then(|| t(c_prev, hid)).transpose()?,
        ghn: (!lstm).then(|| t(ghn, hid)).transpose()?,
    };
    Ok((
        t(y, hid)?,
        t(h, hid)?,
        lstm.then(|| t(c, hid)).transpose()?,
        saved,
    ))
}

fn launch_shape(d: Dims, lstm: bool) -> (u32, u32, u32) {
    let per_row = if lstm { 2 * d.hidden } else { d.hidden } + d.gates;
    (
        d.batch.div_ceil(SEQ_ROWS) as u32,
        d.gates as u32,
        (per_row * SEQ_ROWS * 4) as u32,
    )
}

fn forward_cuda(r: &Recurrence, d: Dims, ordinal: usize) -> Result<Forward> {
    use crate::backend::cuda::launch::launch_f32_blocks;
    let device = Device::Cuda(ordinal);
    let lstm = r.mode == RnnMode::Lstm;
    let (rows_h, rows_g, states) = ([d.rows, d.hidden], [d.rows, d.gates], [d.batch, d.hidden]);
    // W_hh^T for coalesced reads, kept on the weight until an optimizer step changes it (a
    // training loop transposes once per step, inference once): no launch per forward.
    let w_t = r.w_hh.derived(|w| w.detach().t()?.contiguous())?;
    let steps = steps_tensor(r.batch_sizes, device)?;
    let params = [
        d.batch as u64,
        d.hidden as u64,
        r.batch_sizes.len() as u64,
        r.reverse as u64,
    ];
    let shape = launch_shape(d, lstm);
    if lstm {
        let c0 = r.c0.expect("checked by recurrence");
        let mut o = launch_f32_blocks(
            ordinal,
            "rnn_sequence",
            "lstm_seq_forward",
            &[
                &rows_h, &states, &states, &rows_g, &rows_h, &rows_h, &rows_h,
            ],
            &[r.gi, &*w_t, r.h0, c0, &steps],
            &params,
            shape,
        )?
        .into_iter();
        let mut next = || o.next().expect("seven outputs");
        let (y, h_n, c_n, act, c, c_prev, h_prev) =
            (next(), next(), next(), next(), next(), next(), next());
        let saved = Saved {
            act,
            h_prev,
            c: Some(c),
            c_prev: Some(c_prev),
            ghn: None,
        };
        Ok((y, h_n, Some(c_n), saved))
    } else {
        let zeros;
        let b_hh = match r.b_hh {
            Some(b) => b,
            None => {
                zeros = Tensor::from_f32(vec![0.0; d.gates], vec![d.gates])?.to_device(device)?;
                &zeros
            }
        };
        let mut o = launch_f32_blocks(
            ordinal,
            "rnn_sequence",
            "gru_seq_forward",
            &[&rows_h, &states, &rows_g, &rows_h, &rows_h],
            &[r.gi, &*w_t, b_hh, r.h0, &steps],
            &params,
            shape,
        )?
        .into_iter();
        let mut next = || o.next().expect("five outputs");
        let (y, h_n, act, ghn, h_prev) = (next(), next(), next(), next(), next());
        let saved = Saved {
            act,
            h_prev,
            c: None,
            c_prev: None,
            ghn: Some(ghn),
        };
        Ok((y, h_n, None, saved))
    }
}

struct RecurrenceBackward {
    mode: RnnMode,
    /// gi, W_hh, b_hh (GRU, when given), h0, c0 (LSTM).
    inputs: Vec<Tensor>,
    has_b_hh: bool,
    batch_sizes: Vec<usize>,
    reverse: bool,
    dims: Dims,
    saved: Saved,
}

/// (d gi, d of the hidden side's pre-activations, dh0, dc0).
type Gradients = (Tensor, Tensor, Tensor, Option<Tensor>);

impl RecurrenceBackward {
    fn w_hh(&self) -> &Tensor {
        &self.inputs[1]
    }

    fn backward_cpu(&self, dy: &Tensor, dh_n: &Tensor, dc_n: Option<&Tensor>) -> Result<Gradients> {
        let Dims {
            hidden: hid,
            gates: g,
            rows,
            ..
        } = self.dims;
        let lstm = self.mode == RnnMode::Lstm;
        let s = &self.saved;
        let (w, dy) = (host(self.w_hh())?, host(dy)?);
        let (act, h_prev) = (host(&s.act)?, host(&s.h_prev)?);
        let mut dh = host(dh_n)?;
        let mut dc = match dc_n {
            Some(t) => host(t)?,
            None => Vec::new(),
        };
        let (c_all, c_prev, ghn) = (
            s.c.as_ref().map(host).transpose()?.unwrap_or_default(),
            s.c_prev.as_ref().map(host).transpose()?.unwrap_or_default(),
            s.ghn.as_ref().map(host).transpose()?.unwrap_or_default(),
        );
        let mut dgi = vec![0.0f32; rows * g];
        let mut dgh = vec![0.0f32; if lstm { 0 } else { rows * g }];
        let mut dm = vec![0.0f32; if lstm { dh.len() } else { 0 }];
        let mut order = step_rows(&self.batch_sizes, self.reverse);
        order.reverse();
        for (off, b) in order {
            let (rs, rg) = (off * hid..(off + b) * hid, off * g..(off + b) * g);
            dh[..b * hid]
                .iter_mut()
                .zip(&dy[rs.clone()])
                .for_each(|(d, &v)| *d += v);
            if lstm {
                dm[..b * hid].copy_from_slice(&dh[..b * hid]);
                gates::lstm_backward(
                    hid,
                    &act[rg.clone()],
                    &c_all[rs.clone()],
                    &c_prev[rs],
                    &dm[..b * hid],
                    &mut dc[..b * hid],
                    &mut dgi[rg.clone()],
                );
                let dg = &dgi[rg];
                sgemm(
                    b,
                    g,
                    hid,
                    dg,
                    Transpose::No,
                    &w,
                    Transpose::No,
                    &mut dh[..b * hid],
                    0.0,
                );
            } else {
                gates::gru_backward(
                    hid,
                    &act[rg.clone()],
                    &ghn[rs.clone()],
                    &h_prev[rs],
                    &mut dh[..b * hid],
                    &mut dgi[rg.clone()],
                    &mut dgh[rg.clone()],
                );
                let dg = &dgh[rg];
                sgemm(
                    b,
                    g,
                    hid,
                    dg,
                    Transpose::No,
                    &w,
                    Transpose::No,
                    &mut dh[..b * hid],
                    1.0,
                );
            }
        }
        let t = |v: Vec<f32>, width: usize| {
            let len = v.len();
            Tensor::from_f32(v, vec![len / width, width])
        };
        let dgi_t = t(dgi, g)?;
        let dgh_t = if lstm { dgi_t.clone() } else { t(dgh, g)? };
        let dc0 = lstm.then(|| t(dc, hid)).transpose()?;
        Ok((dgi_t, dgh_t, t(dh, hid)?, dc0))
    }

    fn backward_cuda(
        &self,
        ordinal: usize,
        dy: &Tensor,
        dh_n: &Tensor,
        dc_n: Option<&Tensor>,
    ) -> Result<Gradients> {
        use crate::backend::cuda::launch::launch_f32_blocks;
        let d = self.dims;
        let lstm = self.mode == RnnMode::Lstm;
        let s = &self.saved;
        let steps = steps_tensor(&self.batch_sizes, Device::Cuda(ordinal))?;
        let (rows_g, states) = ([d.rows, d.gates], [d.batch, d.hidden]);
        let params = [
            d.batch as u64,
            d.hidden as u64,
            self.batch_sizes.len() as u64,
            self.reverse as u64,
        ];
        let shape = launch_shape(d, lstm);
        if lstm {
            let (Some(c), Some(c_prev), Some(dc_n)) = (&s.c, &s.c_prev, dc_n) else {
                bail!(internal, "LSTM backward without its cell states");
            };
            let mut o = launch_f32_blocks(
                ordinal,
                "rnn_sequence",
                "lstm_seq_backward",
                &[&rows_g, &states, &states],
                &[&s.act, c, c_prev, self.w_hh(), dy, dh_n, dc_n, &steps],
                &params,
                shape,
            )?
            .into_iter();
            let mut next = || o.next().expect("three outputs");
            let (dgates, dh0, dc0) = (next(), next(), next());
            Ok((dgates.clone(), dgates, dh0, Some(dc0)))
        } else {
            let Some(ghn) = &s.ghn else {
                bail!(internal, "GRU backward without W_hn h + b_hn");
            };
            let mut o = launch_f32_blocks(
                ordinal,
                "rnn_sequence",
                "gru_seq_backward",
                &[&rows_g, &rows_g, &states],
                &[&s.act, ghn, &s.h_prev, self.w_hh(), dy, dh_n, &steps],
                &params,
                shape,
            )?
            .into_iter();
            let mut next = || o.next().expect("three outputs");
            let (dgi, dgh, dh0) = (next(), next(), next());
            Ok((dgi, dgh, dh0, None))
        }
    }
}

impl CustomBackward for RecurrenceBackward {
    fn name(&self) -> &'static str {
        match self.mode {
            RnnMode::Lstm => "LstmBackward0",
            _ => "GruBackward0",
        }
    }

    fn inputs(&self) -> Vec<Tensor> {
        self.inputs.clone()
    }

    fn num_outputs(&self) -> usize {
        if self.mode == RnnMode::Lstm {
            3
        } else {
            2
        }
    }

    /// Only W_hh is read again (the rest of what backward needs was saved by forward).
    fn saved_tensors(&self) -> Vec<Tensor> {
        vec![self.w_hh().clone()]
    }

    fn backward(&self, grads: &[Option<Tensor>]) -> Result<Vec<Option<Tensor>>> {
        let d = self.dims;
        let device = self.inputs[0].device();
        let lstm = self.mode == RnnMode::Lstm;
        // An output that reached no loss has no gradient: zeros made on the device.
        let or_zeros = |g: Option<&Option<Tensor>>, shape: [usize; 2]| -> Result<Tensor> {
            match g.cloned().flatten() {
                Some(t) => t.contiguous(),
                None => Ok(Tensor::from_storage(
                    Storage::full(device, &shape, 0.0, DType::F32)?,
                    shape.to_vec(),
                )),
            }
        };
        let dy = or_zeros(grads.first(), [d.rows, d.hidden])?;
        let dh_n = or_zeros(grads.get(1), [d.batch, d.hidden])?;
        let dc_n = lstm
            .then(|| or_zeros(grads.get(2), [d.batch, d.hidden]))
            .transpose()?;
        let (dgi, dgh, dh0, dc0) = fused::run(PerDevice {
            name: self.name(),
            operands: vec![&dy, &dh_n, self.w_hh()],
            cpu: || self.backward_cpu(&dy, &dh_n, dc_n.as_ref()),
            cuda: |ordinal| self.backward_cuda(ordinal, &dy, &dh_n, dc_n.as_ref()),
        })?;
        // W_hh's gradient in one product over every step's rows: dgh^T h_prev.
        let dw_hh = dgh.t()?.matmul(&self.saved.h_prev)?;
        let mut out = vec![Some(dgi), Some(dw_hh)];
        if self.has_b_hh {
            out.push(Some(dgh.sum(Some(&[0]), false)?));
        }
        out.push(Some(dh0));
        if lstm {
            out.push(dc0);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_tables_hold_first_rows_and_active_rows_and_are_kept() {
        let a = steps_tensor(&[3, 3, 2, 1], Device::Cpu).unwrap();
        assert_eq!(a.to_vec_f32(), [0.0, 3.0, 3.0, 3.0, 6.0, 2.0, 8.0, 1.0]);
        let again = steps_tensor(&[3, 3, 2, 1], Device::Cpu).unwrap();
        assert!(again.same_storage(&a), "the table was uploaded twice");
        let other = steps_tensor(&[3, 3, 2], Device::Cpu).unwrap();
        assert!(!other.same_storage(&a));
        assert!(steps_tensor(&[1 << 23, 1 << 23], Device::Cpu).is_err());
    }
}
