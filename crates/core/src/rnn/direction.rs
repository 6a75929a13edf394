//! One layer in one direction over the whole sequence: forward with the state saved for BPTT,
//! and the backward pass that consumes it. All buffers are sized once, outside the time loop.

use super::config::{RnnConfig, RnnMode};
use super::gates;
use super::layout::StepLayout;
use crate::kernels::gemm::{sgemm, Transpose};

/// Borrowed weights of one layer and direction (PyTorch's shapes, row-major).
pub struct DirWeights<'a> {
    pub w_ih: &'a [f32],
    pub w_hh: &'a [f32],
    pub b_ih: Option<&'a [f32]>,
    pub b_hh: Option<&'a [f32]>,
    pub w_hr: Option<&'a [f32]>,
}

/// What backward needs, one row per (step, active batch row) like the layer input.
#[derive(Default)]
pub struct DirSaved {
    /// Gate activations: LSTM i,f,g,o; GRU r,z,n (empty for Elman, which uses the output).
    act: Vec<f32>,
    /// LSTM cell state after and before each step.
    c: Vec<f32>,
    c_prev: Vec<f32>,
    /// Hidden state entering each step.
    h_prev: Vec<f32>,
    /// LSTM with projection: the state before projection.
    m: Vec<f32>,
    /// GRU: W_hn h + b_hn.
    ghn: Vec<f32>,
}

pub struct DirForward {
    /// Hidden state after every step, [rows, out].
    pub y: Vec<f32>,
    pub h_n: Vec<f32>,
    pub c_n: Vec<f32>,
    saved: Option<DirSaved>,
}

pub struct DirGrads {
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

    // Input projections of every step at once, with the biases folded in where PyTorch's
    // formula allows (the GRU's hidden bias of n stays apart: it is scaled by r).
    let mut xw = vec![0.0f32; n * g];
    sgemm(
        n,
        in_size,
        g,
        x,
        Transpose::No,
        w.w_ih,
        Transpose::Yes,
        &mut xw,
        0.0,
    );
    let mut bias = vec![0.0f32; g];
    if let Some(b) = w.b_ih {
        bias.iter_mut().zip(b).for_each(|(o, &v)| *o += v);
    }
    if let Some(b) = w.b_hh {
        let folded = if cfg.mode == RnnMode::Gru { 2 * hid } else { g };
        bias[..folded].iter_mut().zip(b).for_each(|(o, &v)| *o += v);
    }
    if w.b_ih.is_some() || w.b_hh.is_some() {
        for row in xw.chunks_exact_mut(g) {
            row.iter_mut().zip(&bias).for_each(|(o, &v)| *o += v);
        }
    }
    let b_hn = if cfg.mode == RnnMode::Gru {
        w.b_hh.map(|b| &b[2 * hid..])
    } else {
        None
    };

    let mut h = h0.to_vec();
    let mut c = c0.to_vec();
    let mut hw = vec![0.0f32; batch * g];
    let mut y = vec![0.0f32; n * out];
    let lstm = cfg.mode == RnnMode::Lstm;
    let gru = cfg.mode == RnnMode::Gru;
    let proj = w.w_hr.is_some();
    // Scratch for what is not saved (inference) and for the LSTM's pre-projection state.
    let mut act_scratch = vec![0.0f32; if save { 0 } else { batch * g }];
    let mut aux_scratch = vec![0.0f32; if save { 0 } else { batch * hid }];
    let mut m_buf = vec![0.0f32; if lstm { batch * hid } else { 0 }];
    let mut saved = save.then(|| DirSaved {
        act: if lstm || gru {
            vec![0.0; n * g]
        } else {
            Vec::new()
        },
        c: if lstm { vec![0.0; n * hid] } else { Vec::new() },
        c_prev: if lstm { vec![0.0; n * hid] } else { Vec::new() },
        h_prev: vec![0.0; n * out],
        m: if proj { vec![0.0; n * hid] } else { Vec::new() },
        ghn: if gru { vec![0.0; n * hid] } else { Vec::new() },
    });

    for t in order(lay.steps(), reverse) {
        let (b, off) = (lay.batch_sizes[t], lay.offsets[t]);
        if b == 0 {
            continue;
        }
        if let Some(s) = saved.as_mut() {
            s.h_prev[off * out..(off + b) * out].copy_from_slice(&h[..b * out]);
        }
        let hw_t = &mut hw[..b * g];
        sgemm(
            b,
            out,
            g,
            &h[..b * out],
            Transpose::No,
            w.w_hh,
            Transpose::Yes,
            hw_t,
            0.0,
        );
        let xw_t = &xw[off * g..(off + b) * g];
        match cfg.mode {
            RnnMode::Tanh | RnnMode::Relu => {
                gates::elman_forward(cfg.mode == RnnMode::Relu, xw_t, hw_t, &mut h[..b * hid]);
            }
            RnnMode::Lstm => {
                let act = match saved.as_mut() {
                    Some(s) => {
                        s.c_prev[off * hid..(off + b) * hid].copy_from_slice(&c[..b * hid]);
                        &mut s.act[off * g..(off + b) * g]
                    }
                    None => &mut act_scratch[..b * g],
                };
                gates::lstm_forward(
                    hid,
                    xw_t,
                    hw_t,
                    &mut c[..b * hid],
                    act,
                    &mut m_buf[..b * hid],
                );
                if let Some(s) = saved.as_mut() {
                    s.c[off * hid..(off + b) * hid].copy_from_slice(&c[..b * hid]);
                    if proj {
                        s.m[off * hid..(off + b) * hid].copy_from_slice(&m_buf[..b * hid]);
                    }
                }
                match w.w_hr {
                    Some(w_hr) => sgemm(
                        b,
                        hid,
                        out,
                        &m_buf[..b * hid],
                        Transpose::No,
                        w_hr,
                        Transpose::Yes,
                        &mut h[..b * out],
                        0.0,
                    ),
                    None => h[..b * hid].copy_from_slice(&m_buf[..b * hid]),
                }
            }
            RnnMode::Gru => {
                let (act, ghn) = match saved.as_mut() {
                    Some(s) => (
                        &mut s.act[off * g..(off + b) * g],
                        &mut s.ghn[off * hid..(off + b) * hid],
                    ),
                    None => (&mut act_scratch[..b * g], &mut aux_scratch[..b * hid]),
                };
                gates::gru_forward(hid, xw_t, hw_t, b_hn, &mut h[..b * hid], act, ghn);
            }
        }
        y[off * out..(off + b) * out].copy_from_slice(&h[..b * out]);
    }
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
) -> DirGrads {
    let s = fwd
        .saved
        .as_ref()
        .expect("forward saved its state for backward");
    let (hid, out) = (cfg.hidden_size, cfg.output_size());
    let g = cfg.mode.gates() * hid;
    let (n, batch) = (lay.rows, lay.batch);
    let gru = cfg.mode == RnnMode::Gru;
    let proj = w.w_hr.is_some();

    let mut dh = dh_n.to_vec();
    let mut dc = dc_n.to_vec();
    let mut dgi = vec![0.0f32; n * g];
    let mut dgh = vec![0.0f32; if gru { n * g } else { 0 }];
    let mut dm = vec![0.0f32; batch * hid];
    let mut dh_steps = vec![0.0f32; if proj { n * out } else { 0 }];

    let steps: Vec<usize> = order(lay.steps(), reverse).collect();
    for &t in steps.iter().rev() {
        let (b, off) = (lay.batch_sizes[t], lay.offsets[t]);
        if b == 0 {
            continue;
        }
        for (d, &v) in dh[..b * out]
            .iter_mut()
            .zip(&dy[off * out..(off + b) * out])
        {
            *d += v;
        }
        let rows_g = off * g..(off + b) * g;
        let rows_h = off * hid..(off + b) * hid;
        match cfg.mode {
            RnnMode::Tanh | RnnMode::Relu => {
                gates::elman_backward(
                    cfg.mode == RnnMode::Relu,
                    &fwd.y[off * out..(off + b) * out],
                    &dh[..b * hid],
                    &mut dgi[rows_g.clone()],
                );
                sgemm(
                    b,
                    g,
                    out,
                    &dgi[rows_g],
                    Transpose::No,
                    w.w_hh,
                    Transpose::No,
                    &mut dh[..b * out],
                    0.0,
                );
            }
            RnnMode::Lstm => {
                match w.w_hr {
                    Some(w_hr) => {
                        dh_steps[off * out..(off + b) * out].copy_from_slice(&dh[..b * out]);
                        sgemm(
                            b,
                            out,
                            hid,
                            &dh[..b * out],
                            Transpose::No,
                            w_hr,
                            Transpose::No,
                            &mut dm[..b * hid],
                            0.0,
                        );
                    }
                    None => dm[..b * hid].copy_from_slice(&dh[..b * hid]),
                }
                gates::lstm_backward(
                    hid,
                    &s.act[rows_g.clone()],
                    &s.c[rows_h.clone()],
                    &s.c_prev[rows_h],
                    &dm[..b * hid],
                    &mut dc[..b * hid],
                    &mut dgi[rows_g.clone()],
                );
                sgemm(
                    b,
                    g,
                    out,
                    &dgi[rows_g],
                    Transpose::No,
                    w.w_hh,
                    Transpose::No,
                    &mut dh[..b * out],
                    0.0,
                );
            }
            RnnMode::Gru => {
                gates::gru_backward(
                    hid,
                    &s.act[rows_g.clone()],
                    &s.ghn[rows_h.clone()],
                    &s.h_prev[rows_h],
                    &mut dh[..b * hid],
                    &mut dgi[rows_g.clone()],
                    &mut dgh[rows_g.clone()],
                );
                sgemm(
                    b,
                    g,
                    hid,
                    &dgh[rows_g],
                    Transpose::No,
                    w.w_hh,
                    Transpose::No,
                    &mut dh[..b * hid],
                    1.0,
                );
            }
        }
    }

    let dgh_all: &[f32] = if gru { &dgh } else { &dgi };
    let mut dx = vec![0.0f32; n * in_size];
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
    let mut dw_ih = vec![0.0f32; g * in_size];
    sgemm(
        g,
        n,
        in_size,
        &dgi,
        Transpose::Yes,
        x,
        Transpose::No,
        &mut dw_ih,
        0.0,
    );
    let mut dw_hh = vec![0.0f32; g * out];
    sgemm(
        g,
        n,
        out,
        dgh_all,
        Transpose::Yes,
        &s.h_prev,
        Transpose::No,
        &mut dw_hh,
        0.0,
    );
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
    DirGrads {
        dx,
        dw_ih,
        dw_hh,
        db_ih: w.b_ih.map(|_| column_sums(&dgi, g)),
        db_hh: w.b_hh.map(|_| column_sums(dgh_all, g)),
        dw_hr,
        dh0: dh,
        dc0: dc,
    }
}
