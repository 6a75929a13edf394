//! One layer in one direction over the whole sequence: forward with the state saved for BPTT,
//! and the backward pass that consumes it. All buffers are sized once, outside the time loop.
//!
//! Batch rows are independent through time, so the time loop runs on contiguous blocks of rows
//! in parallel, one block per thread, with no synchronisation between steps (the per-step
//! products are too small to split profitably; whole sequences of rows are not).

use rayon::prelude::*;

use super::config::{RnnConfig, RnnMode};
use super::gates;
use super::layout::StepLayout;
use super::step_weights::StepWeights;
use crate::buffer_pool::PooledBuffer;
use crate::kernels::bf16_shared_a::{sgemm_shared_a, SharedA};
use crate::kernels::gemm::{may_split, panel_a_for, runs_on_bf16, sgemm, sgemm_panel_a, Transpose};
use crate::kernels::gemm_ab::gemm_ab;
use crate::kernels::gemm_bf16::{sgemm_bf16_packed, PackedB};
use crate::kernels::panel_a::PanelA;
use crate::threads;

/// Borrowed weights of one layer and direction (PyTorch's shapes, row-major), with W_hh and
/// W_hr in the layouts the step products read (prepared once per weight version, see
/// `stack::WeightViews`).
pub struct DirWeights<'a> {
    pub w_ih: &'a [f32],
    pub b_ih: Option<&'a [f32]>,
    pub b_hh: Option<&'a [f32]>,
    pub w_hr: Option<&'a [f32]>,
    /// W_hh as the step products read it (prepared once per weight version).
    pub step: StepWeights<'a>,
    pub w_hr_t: Option<&'a [f32]>,
    /// W_ih transposed, prepared only for short inputs (streaming steps): there the packed
    /// GEMM would repack all of W_ih for a handful of rows on every call.
    pub w_ih_t: Option<&'a [f32]>,
    /// W_ih^T packed in bf16, prepared where the input projection runs on bf16 operands.
    pub w_ih_bf16: Option<&'a PackedB>,
}

/// What backward needs, one row per (step, active batch row) like the layer input. Forward
/// writes every row of each buffer, so they come from the pool without a zero fill.
#[derive(Default)]
pub struct DirSaved {
    /// Gate activations: LSTM i,f,g,o; GRU r,z,n (empty for Elman, which uses the output).
    act: PooledBuffer,
    /// LSTM cell state after and before each step. Without packing `c_prev` is not kept
    /// (`chained`): a step's c_{t-1} is the previous step's row of `c`, or `c0` at the first.
    c: PooledBuffer,
    c_prev: PooledBuffer,
    c0: Vec<f32>,
    chained: bool,
    /// Hidden state entering each step; when `chained`, the previous step's output row or
    /// `h0` instead.
    h_prev: PooledBuffer,
    h0: Vec<f32>,
    /// LSTM with projection: the state before projection.
    m: PooledBuffer,
    /// GRU: W_hn h + b_hn.
    ghn: PooledBuffer,
}

pub struct DirForward {
    /// Hidden state after every step, [rows, out].
    pub y: PooledBuffer,
    pub h_n: Vec<f32>,
    pub c_n: Vec<f32>,
    saved: Option<DirSaved>,
}

pub struct DirGrads {
    /// Empty when the caller did not ask for the input's gradient.
    pub dx: Vec<f32>,
    pub dw_ih: Vec<f32>,
    pub dw_hh: Vec<f32>,
    pub db_ih: Option<Vec<f32>>,
    pub db_hh: Option<Vec<f32>>,
    pub dw_hr: Option<Vec<f32>>,
    pub dh0: Vec<f32>,
    pub dc0: Vec<f32>,
}

/// Step indices in processing order.
fn order(steps: usize, reverse: bool) -> Box<dyn Iterator<Item = usize>> {
    if reverse {
        Box::new((0..steps).rev())
    } else {
        Box::new(0..steps)
    }
}

fn column_sums(m: &[f32], cols: usize) -> Vec<f32> {
    let mut out = vec![0.0f32; cols];
    for row in m.chunks_exact(cols) {
        for (o, &v) in out.iter_mut().zip(row) {
            *o += v;
        }
    }
    out
}

/// Panels of dG^T (`PanelA`) that a step's rows may be written into. Each step writes a short
/// run into every panel, each run on its own page: at small-lstm128's 86 panels and
/// mid-lstm256's 171 the backward pass ran 2-5% faster than packing each product's blocks,
/// at m-gru512's 2 x 256 and m-lstm512's 341 level to 3% slower (Zen 3, 2 threads;
/// presumably the page walks), so those keep packing per product.
const MAX_PANELS_PER_STEP: usize = 192;

/// Total multiply-adds of the recurrent products below which the time loop stays on one
/// thread: one fork per sequence costs tens of microseconds.
const SPLIT_MIN_WORK: usize = 1 << 22;

/// Contiguous blocks of batch rows, one per thread when the recurrence is big enough.
fn row_blocks(batch: usize, steps: usize, out: usize, g: usize) -> Vec<(usize, usize)> {
    let threads = threads::get_num_threads();
    let blocks = threads.min(batch / 8).max(1);
    if blocks == 1 || batch * steps * out * g < SPLIT_MIN_WORK {
        return vec![(0, batch)];
    }
    (0..blocks)
        .map(|i| (i * batch / blocks, (i + 1) * batch / blocks))
        .collect()
}

/// Runs `f` on every block, in parallel when there is more than one.
fn for_blocks(blocks: &[(usize, usize)], f: impl Fn(usize, usize) + Sync + Send) {
    if blocks.len() == 1 {
        f(blocks[0].0, blocks[0].1);
    } else {
        threads::install(|| blocks.par_iter().for_each(|&(r0, r1)| f(r0, r1)));
    }
}

/// A buffer that several row blocks write at disjoint ranges from different threads.
#[derive(Clone, Copy)]
pub(super) struct Shared {
    ptr: *mut f32,
    len: usize,
}

// SAFETY: blocks only ever touch disjoint element ranges (rows of different batch blocks), and
// the buffer outlives the parallel region that uses it.
unsafe impl Send for Shared {}
unsafe impl Sync for Shared {}

impl Shared {
    pub(super) fn new(v: &mut [f32]) -> Shared {
        Shared {
            ptr: v.as_mut_ptr(),
            len: v.len(),
        }
    }

    /// # Safety
    /// No other live reference may overlap `start..start + len`, and the buffer must outlive
    /// the returned slice.
    pub(super) unsafe fn slice<'a>(self, start: usize, len: usize) -> &'a mut [f32] {
        assert!(start + len <= self.len, "row range outside its buffer");
        unsafe { std::slice::from_raw_parts_mut(self.ptr.add(start), len) }
    }

    /// # Safety
    /// Nothing may write `start..start + len` while the returned slice lives, and the buffer
    /// must outlive it.
    pub(super) unsafe fn read<'a>(self, start: usize, len: usize) -> &'a [f32] {
        assert!(start + len <= self.len, "row range outside its buffer");
        unsafe { std::slice::from_raw_parts(self.ptr.add(start), len) }
    }
}

/// The active rows of block `r0..r1` at step `t`: (first row in the step layout, count).
fn block_rows(lay: &StepLayout, t: usize, r0: usize, r1: usize) -> Option<(usize, usize)> {
    let bt = lay.batch_sizes[t];
    (bt > r0).then(|| (lay.offsets[t] + r0, bt.min(r1) - r0))
}

/// The one row of biases the gate kernels add: b_ih + b_hh per gate where PyTorch's formula
/// allows, and for the GRU b_ih alone in the n gate followed by b_hn (scaled there by r).
pub(super) fn gate_bias(
    mode: RnnMode,
    hid: usize,
    b_ih: Option<&[f32]>,
    b_hh: Option<&[f32]>,
) -> Vec<f32> {
    let g = mode.gates() * hid;
    let mut bias = vec![0.0f32; if mode == RnnMode::Gru { g + hid } else { g }];
    if let Some(b) = b_ih {
        bias.iter_mut().zip(b).for_each(|(o, &v)| *o += v);
    }
    if let Some(b) = b_hh {
        let folded = if mode == RnnMode::Gru { 2 * hid } else { g };
        bias[..folded].iter_mut().zip(b).for_each(|(o, &v)| *o += v);
        if mode == RnnMode::Gru {
            bias[g..].copy_from_slice(&b[2 * hid..]);
        }
    }
    bias
}

#[allow(clippy::too_many_arguments)]
pub fn forward(
    cfg: &RnnConfig,
    lay: &StepLayout,
    x: &[f32],
    in_size: usize,
    w: &DirWeights,
    h0: &[f32],
    c0: &[f32],
    reverse: bool,
    save: bool,
) -> DirForward {
    let (hid, out) = (cfg.hidden_size, cfg.output_size());
    let g = cfg.mode.gates() * hid;
    let (n, batch) = (lay.rows, lay.batch);

    // Input projections of every step at once. The biases join in the gate kernels (one row,
    // read from L1 at every step) rather than seeding this buffer: a serial pass over the
    // whole-sequence buffer (52 MB at m-lstm512) and a read of it by the product saved.
    let bias = gate_bias(cfg.mode, hid, w.b_ih, w.b_hh);
    // Pooled buffers: every row of each is written below before it is read.
    let mut xw = PooledBuffer::new(n * g);
    let (w_ih, w_ih_layout) = match w.w_ih_t {
        Some(t) => (t, Transpose::No),
        None => (w.w_ih, Transpose::Yes),
    };
    match w.w_ih_bf16 {
        // What `sgemm` computes there, with W_ih^T packed once per weight version.
        Some(b) if runs_on_bf16(n, in_size, g) => {
            sgemm_bf16_packed(n, in_size, x, (in_size, 1), b, &mut xw, 0.0, may_split())
        }
        _ => sgemm(
            n,
            in_size,
            g,
            x,
            Transpose::No,
            w_ih,
            w_ih_layout,
            &mut xw,
            0.0,
        ),
    }
    let lstm = cfg.mode == RnnMode::Lstm;
    let gru = cfg.mode == RnnMode::Gru;
    let proj = w.w_hr.is_some();
    // Without packing, every step has the same rows, so an LSTM or GRU writes its states
    // straight into the rows that hold them (the output, the saved cell states) and the next
    // step reads them there: no copies into state buffers and back out per step (an Elman
    // step updates its state in place).
    let direct = (lstm || gru) && lay.rows == lay.batch * lay.steps();
    let mut h = h0.to_vec();
    let mut c = c0.to_vec();
    let mut y = PooledBuffer::new(n * out);
    let sized = |cond: bool, len: usize| if cond { vec![0.0f32; len] } else { Vec::new() };
    let pooled = |cond: bool, len: usize| {
        if cond {
            PooledBuffer::new(len)
        } else {
            PooledBuffer::default()
        }
    };
    let mut saved = save.then(|| DirSaved {
        act: pooled(lstm || gru, n * g),
        c: pooled(lstm, n * hid),
        c_prev: pooled(lstm && !direct, n * hid),
        c0: if lstm && direct {
            c0.to_vec()
        } else {
            Vec::new()
        },
        chained: direct,
        h_prev: PooledBuffer::new(if direct { 0 } else { n * out }),
        h0: if direct { h0.to_vec() } else { Vec::new() },
        m: pooled(proj, n * hid),
        ghn: pooled(gru, n * hid),
    });

    let (hs, cs, ys) = (
        Shared::new(&mut h),
        Shared::new(&mut c),
        Shared::new(&mut y),
    );
    let ss = saved.as_mut().map(|s| {
        (
            Shared::new(&mut s.act),
            Shared::new(&mut s.c),
            Shared::new(&mut s.c_prev),
        )
    });
    let ss2 = saved.as_mut().map(|s| {
        (
            Shared::new(&mut s.h_prev),
            Shared::new(&mut s.m),
            Shared::new(&mut s.ghn),
        )
    });
    let (xw, bias) = (&xw, &bias);
    let w_hr_t = w.w_hr_t;
    let blocks = row_blocks(batch, lay.steps(), out, g);
    for_blocks(&blocks, |r0, r1| {
        let rows = r1 - r0;
        let mut hw = vec![0.0f32; rows * g];
        let mut act_scratch = sized(!save, rows * g);
        let mut aux_scratch = sized(!save, rows * hid);
        // The state before projection; with neither projection nor packing it goes to `y`.
        let mut m_buf = sized(lstm && (proj || !direct), rows * hid);
        // SAFETY (every `slice` below): this block alone touches state rows r0..r1 and, at
        // each step, its own rows of the step layout.
        let h = unsafe { hs.slice(r0 * out, rows * out) };
        let c = if lstm {
            unsafe { cs.slice(r0 * hid, rows * hid) }
        } else {
            &mut [][..]
        };
        let mut prev_off = None;
        for t in order(lay.steps(), reverse) {
            let Some((off, b)) = block_rows(lay, t, r0, r1) else {
                continue;
            };
            let h_in: &[f32] = match prev_off {
                Some(p) if direct => unsafe { ys.slice(p * out, b * out) },
                _ => &h[..b * out],
            };
            if let (false, Some((h_prev, _, _))) = (direct, ss2) {
                unsafe { h_prev.slice(off * out, b * out) }.copy_from_slice(h_in);
            }
            let hw_t = &mut hw[..b * g];
            w.step.forward(b, g, out, h_in, hw_t, 0.0);
            let xw_t = &xw[off * g..(off + b) * g];
            match cfg.mode {
                RnnMode::Tanh | RnnMode::Relu => {
                    gates::elman_forward(
                        cfg.mode == RnnMode::Relu,
                        xw_t,
                        hw_t,
                        bias,
                        &mut h[..b * hid],
                    );
                }
                RnnMode::Lstm => {
                    let act = match ss {
                        Some((act, _, c_prev)) => {
                            if !direct {
                                unsafe { c_prev.slice(off * hid, b * hid) }
                                    .copy_from_slice(&c[..b * hid]);
                            }
                            unsafe { act.slice(off * g, b * g) }
                        }
                        None => &mut act_scratch[..b * g],
                    };
                    let y_t = unsafe { ys.slice(off * out, b * out) };
                    let m_out = if direct && !proj {
                        &mut y_t[..]
                    } else {
                        &mut m_buf[..b * hid]
                    };
                    match ss {
                        // c_t straight into its saved row, from the previous step's.
                        Some((_, c_save, _)) if direct => {
                            let c_in: &[f32] = match prev_off {
                                Some(p) => unsafe { c_save.slice(p * hid, b * hid) },
                                None => &c[..b * hid],
                            };
                            let c_out = unsafe { c_save.slice(off * hid, b * hid) };
                            gates::lstm_forward(
                                hid,
                                xw_t,
                                hw_t,
                                bias,
                                Some(c_in),
                                c_out,
                                act,
                                m_out,
                            );
                        }
                        _ => {
                            let c_t = &mut c[..b * hid];
                            gates::lstm_forward(hid, xw_t, hw_t, bias, None, c_t, act, m_out);
                            if let Some((_, c_save, _)) = ss {
                                unsafe { c_save.slice(off * hid, b * hid) }.copy_from_slice(c_t);
                            }
                        }
                    }
                    if let (true, Some((_, m, _))) = (proj, ss2) {
                        unsafe { m.slice(off * hid, b * hid) }.copy_from_slice(&m_buf[..b * hid]);
                    }
                    match (&w_hr_t, direct) {
                        (Some(w_hr_t), true) => {
                            gemm_ab(b, out, hid, &m_buf[..b * hid], w_hr_t, y_t, 0.0)
                        }
                        (Some(w_hr_t), false) => gemm_ab(
                            b,
                            out,
                            hid,
                            &m_buf[..b * hid],
                            w_hr_t,
                            &mut h[..b * out],
                            0.0,
                        ),
                        (None, true) => {}
                        (None, false) => h[..b * hid].copy_from_slice(&m_buf[..b * hid]),
                    }
                }
                RnnMode::Gru => {
                    let (act, ghn) = match (ss, ss2) {
                        (Some((act, _, _)), Some((_, _, ghn))) => {
                            (unsafe { act.slice(off * g, b * g) }, unsafe {
                                ghn.slice(off * hid, b * hid)
                            })
                        }
                        _ => (&mut act_scratch[..b * g], &mut aux_scratch[..b * hid]),
                    };
                    if direct {
                        let y_t = unsafe { ys.slice(off * out, b * out) };
                        gates::gru_forward(hid, xw_t, hw_t, bias, Some(h_in), y_t, act, ghn);
                    } else {
                        let h_t = &mut h[..b * hid];
                        gates::gru_forward(hid, xw_t, hw_t, bias, None, h_t, act, ghn);
                    }
                }
            }
            if !direct {
                unsafe { ys.slice(off * out, b * out) }.copy_from_slice(&h[..b * out]);
            }
            prev_off = Some(off);
        }
        if let (true, Some(p)) = (direct, prev_off) {
            h.copy_from_slice(unsafe { ys.slice(p * out, rows * out) });
            if let (true, Some((_, c_save, _))) = (lstm, ss) {
                c.copy_from_slice(unsafe { c_save.slice(p * hid, rows * hid) });
            }
        }
    });
    DirForward {
        y,
        h_n: h,
        c_n: c,
        saved,
    }
}

/// BPTT for one layer and direction. `dy` is the gradient of this direction's outputs
/// ([rows, out]); `dh_n`/`dc_n` those of its final states.
#[allow(clippy::too_many_arguments)]
pub fn backward(
    cfg: &RnnConfig,
    lay: &StepLayout,
    x: &[f32],
    in_size: usize,
    w: &DirWeights,
    fwd: &DirForward,
    dy: &[f32],
    dh_n: &[f32],
    dc_n: &[f32],
    reverse: bool,
    want_dx: bool,
) -> DirGrads {
    let s = fwd
        .saved
        .as_ref()
        .expect("forward saved its state for backward");
    let (hid, out) = (cfg.hidden_size, cfg.output_size());
    let g = cfg.mode.gates() * hid;
    let (n, batch) = (lay.rows, lay.batch);
    let lstm = cfg.mode == RnnMode::Lstm;
    let gru = cfg.mode == RnnMode::Gru;
    let proj = w.w_hr.is_some();

    let mut dh = dh_n.to_vec();
    let mut dc = dc_n.to_vec();
    // dG^T in panels for the weight gradients, written while each step's rows are in cache
    // (kernels/panel_a.rs), where the kernel plan would pack it for each product.
    let cols = in_size.min(out);
    let buffers = if gru { 2 } else { 1 };
    let mut dgi_panels = panel_a_for(g, n, cols)
        .filter(|a| buffers * a.m().div_ceil(a.panel_rows()) <= MAX_PANELS_PER_STEP);
    let mut dgh_panels = if gru && dgi_panels.is_some() {
        panel_a_for(g, n, cols)
    } else {
        None
    };
    // dG row-major for the whole sequence, unless the panels serve every later use (all but
    // the input gradient): then each step's rows are made in a scratch of the block's.
    let whole = want_dx || dgi_panels.is_none() || (gru && dgh_panels.is_none());
    let dgi_columns = dgi_panels.as_mut().map(PanelA::columns);
    let dgh_columns = dgh_panels.as_mut().map(PanelA::columns);
    // Pooled: the step loop writes every row of each before anything reads it.
    let mut dgi = PooledBuffer::new(if whole { n * g } else { 0 });
    let mut dgh = PooledBuffer::new(if gru && whole { n * g } else { 0 });
    let mut dh_steps = PooledBuffer::new(if proj { n * out } else { 0 });
    let (dhs, dcs) = (Shared::new(&mut dh), Shared::new(&mut dc));
    let (dgis, dghs, dsteps) = (
        Shared::new(&mut dgi),
        Shared::new(&mut dgh),
        Shared::new(&mut dh_steps),
    );

    let steps: Vec<usize> = order(lay.steps(), reverse).collect();
    let blocks = row_blocks(batch, lay.steps(), out, g);
    for_blocks(&blocks, |r0, r1| {
        let rows = r1 - r0;
        // The gradient of the state before projection (without one, `dh` is that gradient).
        let mut dm = vec![0.0f32; if proj { rows * hid } else { 0 }];
        let scratch = |len: usize| vec![0.0f32; if whole { 0 } else { len }];
        let (mut dgi_own, mut dgh_own) =
            (scratch(rows * g), scratch(if gru { rows * g } else { 0 }));
        // SAFETY (every `slice` below): this block alone touches state rows r0..r1 and, at
        // each step, its own rows of the step layout.
        let dh = unsafe { dhs.slice(r0 * out, rows * out) };
        let dc = if lstm {
            unsafe { dcs.slice(r0 * hid, rows * hid) }
        } else {
            &mut [][..]
        };
        for (i, &t) in steps.iter().enumerate().rev() {
            let Some((off, b)) = block_rows(lay, t, r0, r1) else {
                continue;
            };
            for (d, &v) in dh[..b * out]
                .iter_mut()
                .zip(&dy[off * out..(off + b) * out])
            {
                *d += v;
            }
            let rows_g = off * g..(off + b) * g;
            let rows_h = off * hid..(off + b) * hid;
            // Chained states: the rows of the step before this one (None at the first step).
            let prev = i
                .checked_sub(1)
                .and_then(|p| block_rows(lay, steps[p], r0, r1));
            let prev = prev.map(|(p, _)| p);
            let dgi_t = if whole {
                unsafe { dgis.slice(off * g, b * g) }
            } else {
                &mut dgi_own[..b * g]
            };
            match cfg.mode {
                RnnMode::Tanh | RnnMode::Relu => {
                    gates::elman_backward(
                        cfg.mode == RnnMode::Relu,
                        &fwd.y[off * out..(off + b) * out],
                        &dh[..b * hid],
                        dgi_t,
                    );
                    w.step.backward(b, out, g, dgi_t, &mut dh[..b * out], 0.0);
                    if let Some(columns) = dgi_columns {
                        // SAFETY: step-layout rows off..off + b are this block's alone.
                        unsafe { columns.write(off, b, dgi_t) };
                    }
                }
                RnnMode::Lstm => {
                    let dm_t: &[f32] = match w.w_hr {
                        Some(w_hr) => {
                            unsafe { dsteps.slice(off * out, b * out) }
                                .copy_from_slice(&dh[..b * out]);
                            gemm_ab(b, hid, out, &dh[..b * out], w_hr, &mut dm[..b * hid], 0.0);
                            &dm[..b * hid]
                        }
                        None => &dh[..b * hid],
                    };
                    let c_prev: &[f32] = if s.chained {
                        match prev {
                            Some(p) => &s.c[p * hid..(p + b) * hid],
                            None => &s.c0[r0 * hid..(r0 + b) * hid],
                        }
                    } else {
                        &s.c_prev[rows_h.clone()]
                    };
                    gates::lstm_backward(
                        hid,
                        &s.act[rows_g],
                        &s.c[rows_h],
                        c_prev,
                        dm_t,
                        &mut dc[..b * hid],
                        dgi_t,
                    );
                    w.step.backward(b, out, g, dgi_t, &mut dh[..b * out], 0.0);
                    if let Some(columns) = dgi_columns {
                        // SAFETY: step-layout rows off..off + b are this block's alone.
                        unsafe { columns.write(off, b, dgi_t) };
                    }
                }
                RnnMode::Gru => {
                    let dgh_t = if whole {
                        unsafe { dghs.slice(off * g, b * g) }
                    } else {
                        &mut dgh_own[..b * g]
                    };
                    let h_prev: &[f32] = match (s.chained, prev) {
                        (true, Some(p)) => &fwd.y[p * hid..(p + b) * hid],
                        (true, None) => &s.h0[r0 * hid..(r0 + b) * hid],
                        (false, _) => &s.h_prev[rows_h.clone()],
                    };
                    gates::gru_backward(
                        hid,
                        &s.act[rows_g],
                        &s.ghn[rows_h.clone()],
                        h_prev,
                        &mut dh[..b * hid],
                        dgi_t,
                        dgh_t,
                    );
                    w.step.backward(b, hid, g, dgh_t, &mut dh[..b * hid], 1.0);
                    if let (Some(i), Some(h)) = (dgi_columns, dgh_columns) {
                        // SAFETY: step-layout rows off..off + b are this block's alone.
                        unsafe {
                            i.write(off, b, dgi_t);
                            h.write(off, b, dgh_t);
                        }
                    }
                }
            }
        }
    });

    let dgh_all: &[f32] = if gru { &dgh } else { &dgi };
    // The first layer's input rarely requires grad (data): its gradient is a sixth of the
    // backward products at equal input and hidden sizes.
    let mut dx = Vec::new();
    if want_dx {
        dx = vec![0.0f32; n * in_size];
        sgemm(
            n,
            g,
            in_size,
            &dgi,
            Transpose::No,
            w.w_ih,
            Transpose::No,
            &mut dx,
            0.0,
        );
    }
    // Where both weight gradients run on bf16 AMX tiles, dG^T packed for them once (an LSTM's or
    // Elman layer's: a GRU's two read different dG).
    let dg_shared = match (&dgi_panels, gru) {
        (None, false) => SharedA::transposed_for_tiles(&dgi, g, n, cols),
        _ => None,
    };
    let mut dw_ih = vec![0.0f32; g * in_size];
    let shared_ih = dg_shared.as_ref().filter(|a| a.serves(0, n, in_size));
    match (&dgi_panels, shared_ih) {
        (Some(a), _) => sgemm_panel_a(n, in_size, a, 0, x, &mut dw_ih, 0.0),
        (None, Some(a)) => sgemm_shared_a(a, 0, n, in_size, x, &mut dw_ih, 0.0),
        (None, None) => sgemm(
            g,
            n,
            in_size,
            &dgi,
            Transpose::Yes,
            x,
            Transpose::No,
            &mut dw_ih,
            0.0,
        ),
    }
    let mut dw_hh = vec![0.0f32; g * out];
    let dgh_panels = if gru { &dgh_panels } else { &dgi_panels };
    // dW_hh (+)= dG^T's columns from..from + k against `h` (k x out): from the panels, from
    // the shared bf16 pairs (where `sgemm` would run it on tiles, from an even depth: not an
    // odd batch's later rows, nor the first step's small product), or from dG's rows.
    let mut dw_hh_part = |k: usize, from: usize, h: &[f32], beta: f32| match (
        dgh_panels,
        dg_shared.as_ref().filter(|a| a.serves(from, k, out)),
    ) {
        (Some(a), _) => sgemm_panel_a(k, out, a, from, h, &mut dw_hh, beta),
        (None, Some(a)) => sgemm_shared_a(a, from, k, out, h, &mut dw_hh, beta),
        (None, None) => sgemm(
            g,
            k,
            out,
            &dgh_all[from * g..],
            Transpose::Yes,
            h,
            Transpose::No,
            &mut dw_hh,
            beta,
        ),
    };
    if s.chained {
        // The state entering a step is the previous step's output row (every step has the
        // same rows), the first step's is h0: two products instead of a saved copy of y.
        let (batch, later) = (lay.batch, n - lay.batch);
        let (later_from, y_prev, first_from) = if reverse {
            (0, &fwd.y[batch * out..], later)
        } else {
            (batch, &fwd.y[..later * out], 0)
        };
        dw_hh_part(later, later_from, y_prev, 0.0);
        dw_hh_part(batch, first_from, &s.h0, 1.0);
    } else {
        dw_hh_part(n, 0, &s.h_prev, 0.0);
    }
    let dw_hr = proj.then(|| {
        let mut d = vec![0.0f32; out * hid];
        sgemm(
            out,
            n,
            hid,
            &dh_steps,
            Transpose::Yes,
            &s.m,
            Transpose::No,
            &mut d,
            0.0,
        );
        d
    });
    // Both biases of LSTM and Elman layers get the same gradient: sum it once. The panels
    // give the same sums in the same order as the rows.
    let sums = |panels: &Option<PanelA>, rows: &[f32]| match panels {
        Some(a) => a.row_sums(),
        None => column_sums(rows, g),
    };
    let db_ih = w.b_ih.map(|_| sums(&dgi_panels, &dgi));
    let db_hh = match (&db_ih, w.b_hh) {
        (_, None) => None,
        (Some(db), Some(_)) if !gru => Some(db.clone()),
        (_, Some(_)) => Some(sums(dgh_panels, dgh_all)),
    };
    DirGrads {
        dx,
        dw_ih,
        dw_hh,
        db_ih,
        db_hh,
        dw_hr,
        dh0: dh,
        dc0: dc,
    }
}
