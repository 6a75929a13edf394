//! The whole-direction recurrence kernels (rnn_sequence.cu) against a float64 reference:
//! forward from PyTorch's equations over every step, backward as central differences of that
//! forward (the loss is the outputs and final states contracted with random incoming
//! gradients): the gradients of the input-side pre-activations and of the initial states come
//! from the kernel, those of W_hh (and the GRU's b_hh) from its saved rows as the layer forms
//! them. Each launch runs its blocks' threads concurrently through the barriers, with 6 rows
//! over blocks of 4 (one block partly empty), packed and full batches, both directions.

mod common;

use common::{central_differences, close, values};
use seqtorch_kernel_check::{emulate_blocks, kernels as k};

/// `SEQ_ROWS` in rnn_sequence.cu.
const SEQ_ROWS: usize = 4;
const TOL: f64 = 3e-6;
const FD_TOL: f64 = 2e-5;
const EPS: f64 = 1e-5;

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn wide(v: &[f32]) -> Vec<f64> {
    v.iter().map(|&x| x as f64).collect()
}

/// A pointer that may cross into the emulated block's threads (they write disjoint elements
/// or only read, as on the GPU).
#[derive(Clone, Copy)]
struct Ptr(usize);

impl Ptr {
    fn of(v: &[f32]) -> Ptr {
        Ptr(v.as_ptr() as usize)
    }
    fn mutable(v: &mut [f32]) -> Ptr {
        Ptr(v.as_mut_ptr() as usize)
    }
    fn r(self) -> *const f32 {
        self.0 as *const f32
    }
    fn w(self) -> *mut f32 {
        self.0 as *mut f32
    }
}

struct Case {
    batch: usize,
    hidden: usize,
    batch_sizes: Vec<usize>,
    reverse: bool,
}

impl Case {
    fn rows(&self) -> usize {
        self.batch_sizes.iter().sum()
    }
    fn offsets(&self) -> Vec<usize> {
        let mut off = 0;
        self.batch_sizes
            .iter()
            .map(|&b| {
                off += b;
                off - b
            })
            .collect()
    }
    /// Per step (first row, active rows), as the kernels read them.
    fn steps(&self) -> Vec<f32> {
        self.offsets()
            .iter()
            .zip(&self.batch_sizes)
            .flat_map(|(&o, &b)| [o as f32, b as f32])
            .collect()
    }
    fn order(&self) -> Vec<usize> {
        let t = self.batch_sizes.len();
        if self.reverse {
            (0..t).rev().collect()
        } else {
            (0..t).collect()
        }
    }
    fn grid(&self) -> u32 {
        self.batch.div_ceil(SEQ_ROWS) as u32
    }
}

fn cases() -> Vec<Case> {
    let mut v = Vec::new();
    for reverse in [false, true] {
        for batch_sizes in [vec![6, 6, 6, 6], vec![6, 5, 3, 3, 1]] {
            v.push(Case {
                batch: 6,
                hidden: 5,
                batch_sizes,
                reverse,
            });
        }
    }
    v
}

fn transpose(w: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    (0..cols)
        .flat_map(|c| (0..rows).map(move |r| w[r * cols + c]))
        .collect()
}

/// (y, h_n, c_n, h_prev of every row) of an LSTM direction in float64. `w` is [4H, H].
fn lstm_reference(
    cs: &Case,
    gi: &[f64],
    w: &[f64],
    h0: &[f64],
    c0: &[f64],
) -> (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>) {
    let (hid, offsets) = (cs.hidden, cs.offsets());
    let g4 = 4 * hid;
    let (mut h, mut c) = (h0.to_vec(), c0.to_vec());
    let mut y = vec![0.0; cs.rows() * hid];
    let mut h_prev = vec![0.0; cs.rows() * hid];
    for t in cs.order() {
        for b in 0..cs.batch_sizes[t] {
            let row = offsets[t] + b;
            let hp = h[b * hid..(b + 1) * hid].to_vec();
            h_prev[row * hid..(row + 1) * hid].copy_from_slice(&hp);
            for j in 0..hid {
                let pre = |q: usize| {
                    let gate = q * hid + j;
                    gi[row * g4 + gate] + (0..hid).map(|k| hp[k] * w[gate * hid + k]).sum::<f64>()
                };
                let (i, f, g, o) = (
                    sigmoid(pre(0)),
                    sigmoid(pre(1)),
                    pre(2).tanh(),
                    sigmoid(pre(3)),
                );
                let cn = f * c[b * hid + j] + i * g;
                c[b * hid + j] = cn;
                h[b * hid + j] = o * cn.tanh();
                y[row * hid + j] = h[b * hid + j];
            }
        }
    }
    (y, h, c, h_prev)
}

/// (y, h_n, h_prev of every row) of a GRU direction in float64. `w` is [3H, H].
fn gru_reference(
    cs: &Case,
    gi: &[f64],
    w: &[f64],
    b_hh: &[f64],
    h0: &[f64],
) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let (hid, offsets) = (cs.hidden, cs.offsets());
    let g3 = 3 * hid;
    let mut h = h0.to_vec();
    let mut y = vec![0.0; cs.rows() * hid];
    let mut h_prev = vec![0.0; cs.rows() * hid];
    for t in cs.order() {
        for b in 0..cs.batch_sizes[t] {
            let row = offsets[t] + b;
            let hp = h[b * hid..(b + 1) * hid].to_vec();
            h_prev[row * hid..(row + 1) * hid].copy_from_slice(&hp);
            for j in 0..hid {
                let gh = |q: usize| {
                    let gate = q * hid + j;
                    b_hh[gate] + (0..hid).map(|k| hp[k] * w[gate * hid + k]).sum::<f64>()
                };
                let r = sigmoid(gi[row * g3 + j] + gh(0));
                let z = sigmoid(gi[row * g3 + hid + j] + gh(1));
                let n = (gi[row * g3 + 2 * hid + j] + r * gh(2)).tanh();
                h[b * hid + j] = (1.0 - z) * n + z * hp[j];
                y[row * hid + j] = h[b * hid + j];
            }
        }
    }
    (y, h, h_prev)
}

fn dot(a: &[f64], b: &[f32]) -> f64 {
    a.iter().zip(b).map(|(x, &y)| x * y as f64).sum()
}

fn numeric(x: &[f64], loss: &dyn Fn(&[f64]) -> f64) -> Vec<f64> {
    central_differences(x, EPS, loss)
}

/// sum over rows of dg[row]^T h_prev[row]: a weight gradient [G, H] as the layer forms it.
fn weight_gradient(dg: &[f32], h_prev: &[f32], g: usize, hid: usize) -> Vec<f32> {
    let rows = h_prev.len() / hid;
    let mut out = vec![0.0f32; g * hid];
    for row in 0..rows {
        for q in 0..g {
            for k in 0..hid {
                out[q * hid + k] += dg[row * g + q] * h_prev[row * hid + k];
            }
        }
    }
    out
}

#[test]
fn lstm_sequence_forward_and_backward() {
    for (ci, cs) in cases().iter().enumerate() {
        let (batch, hid, rows) = (cs.batch, cs.hidden, cs.rows());
        let g = 4 * hid;
        let seed = 10 * ci as u64;
        let gi = values(rows * g, seed + 1, 2.0);
        let w = values(g * hid, seed + 2, 0.6);
        let (h0, c0) = (
            values(batch * hid, seed + 3, 1.0),
            values(batch * hid, seed + 4, 1.0),
        );
        let (w_t, steps) = (transpose(&w, g, hid), cs.steps());
        let mut y = vec![0.0f32; rows * hid];
        let (mut h_n, mut c_n) = (vec![0.0f32; batch * hid], vec![0.0f32; batch * hid]);
        let mut act = vec![0.0f32; rows * g];
        let (mut c_all, mut c_prev, mut h_prev) = (
            vec![0.0f32; rows * hid],
            vec![0.0f32; rows * hid],
            vec![0.0f32; rows * hid],
        );
        let outs = [
            &mut y,
            &mut h_n,
            &mut c_n,
            &mut act,
            &mut c_all,
            &mut c_prev,
            &mut h_prev,
        ]
        .map(|v| Ptr::mutable(v));
        let ins = [&gi, &w_t, &h0, &c0, &steps].map(|v| Ptr::of(v));
        let shared = (2 * hid + g) * SEQ_ROWS;
        emulate_blocks(cs.grid(), g as u32, shared, || unsafe {
            k::lstm_seq_forward(
                outs[0].w(),
                outs[1].w(),
                outs[2].w(),
                outs[3].w(),
                outs[4].w(),
                outs[5].w(),
                outs[6].w(),
                ins[0].r(),
                ins[1].r(),
                ins[2].r(),
                ins[3].r(),
                ins[4].r(),
                batch as u64,
                hid as u64,
                cs.batch_sizes.len() as u64,
                cs.reverse as u64,
            )
        });
        let (gi64, w64, h064, c064) = (wide(&gi), wide(&w), wide(&h0), wide(&c0));
        let (ry, rh, rc, rh_prev) = lstm_reference(cs, &gi64, &w64, &h064, &c064);
        let what = |s: &str| format!("lstm case {ci}: {s}");
        close(&what("y"), &y, &ry, TOL);
        close(&what("h_n"), &h_n, &rh, TOL);
        close(&what("c_n"), &c_n, &rc, TOL);
        close(&what("h_prev"), &h_prev, &rh_prev, TOL);
        // The saved cell states (c_all, c_prev) are checked through the backward below.

        let dy = values(rows * hid, seed + 5, 1.0);
        let (dh_n, dc_n) = (
            values(batch * hid, seed + 6, 1.0),
            values(batch * hid, seed + 7, 1.0),
        );
        let mut dgates = vec![0.0f32; rows * g];
        let (mut dh0, mut dc0) = (vec![0.0f32; batch * hid], vec![0.0f32; batch * hid]);
        let outs = [&mut dgates, &mut dh0, &mut dc0].map(|v| Ptr::mutable(v));
        let ins = [&act, &c_all, &c_prev, &w, &dy, &dh_n, &dc_n, &steps].map(|v| Ptr::of(v));
        emulate_blocks(cs.grid(), g as u32, shared, || unsafe {
            k::lstm_seq_backward(
                outs[0].w(),
                outs[1].w(),
                outs[2].w(),
                ins[0].r(),
                ins[1].r(),
                ins[2].r(),
                ins[3].r(),
                ins[4].r(),
                ins[5].r(),
                ins[6].r(),
                ins[7].r(),
                batch as u64,
                hid as u64,
                cs.batch_sizes.len() as u64,
                cs.reverse as u64,
            )
        });
        let loss = |gi: &[f64], w: &[f64], h0: &[f64], c0: &[f64]| {
            let (y, h, c, _) = lstm_reference(cs, gi, w, h0, c0);
            dot(&y, &dy) + dot(&h, &dh_n) + dot(&c, &dc_n)
        };
        let d_gi = numeric(&gi64, &|x| loss(x, &w64, &h064, &c064));
        close(&what("d gi"), &dgates, &d_gi, FD_TOL);
        let d_h0 = numeric(&h064, &|x| loss(&gi64, &w64, x, &c064));
        close(&what("d h0"), &dh0, &d_h0, FD_TOL);
        let d_c0 = numeric(&c064, &|x| loss(&gi64, &w64, &h064, x));
        close(&what("d c0"), &dc0, &d_c0, FD_TOL);
        let d_w = numeric(&w64, &|x| loss(&gi64, x, &h064, &c064));
        let dw = weight_gradient(&dgates, &h_prev, g, hid);
        close(&what("d W_hh"), &dw, &d_w, FD_TOL);
    }
}

#[test]
fn gru_sequence_forward_and_backward() {
    for (ci, cs) in cases().iter().enumerate() {
        let (batch, hid, rows) = (cs.batch, cs.hidden, cs.rows());
        let g = 3 * hid;
        let seed = 100 + 10 * ci as u64;
        let gi = values(rows * g, seed + 1, 2.0);
        let w = values(g * hid, seed + 2, 0.6);
        let b_hh = values(g, seed + 3, 0.5);
        let h0 = values(batch * hid, seed + 4, 1.0);
        let (w_t, steps) = (transpose(&w, g, hid), cs.steps());
        let mut y = vec![0.0f32; rows * hid];
        let mut h_n = vec![0.0f32; batch * hid];
        let mut act = vec![0.0f32; rows * g];
        let (mut ghn, mut h_prev) = (vec![0.0f32; rows * hid], vec![0.0f32; rows * hid]);
        let outs = [&mut y, &mut h_n, &mut act, &mut ghn, &mut h_prev].map(|v| Ptr::mutable(v));
        let ins = [&gi, &w_t, &b_hh, &h0, &steps].map(|v| Ptr::of(v));
        let shared = (hid + g) * SEQ_ROWS;
        emulate_blocks(cs.grid(), g as u32, shared, || unsafe {
            k::gru_seq_forward(
                outs[0].w(),
                outs[1].w(),
                outs[2].w(),
                outs[3].w(),
                outs[4].w(),
                ins[0].r(),
                ins[1].r(),
                ins[2].r(),
                ins[3].r(),
                ins[4].r(),
                batch as u64,
                hid as u64,
                cs.batch_sizes.len() as u64,
                cs.reverse as u64,
            )
        });
        let (gi64, w64, b64, h064) = (wide(&gi), wide(&w), wide(&b_hh), wide(&h0));
        let (ry, rh, rh_prev) = gru_reference(cs, &gi64, &w64, &b64, &h064);
        let what = |s: &str| format!("gru case {ci}: {s}");
        close(&what("y"), &y, &ry, TOL);
        close(&what("h_n"), &h_n, &rh, TOL);
        close(&what("h_prev"), &h_prev, &rh_prev, TOL);

        let dy = values(rows * hid, seed + 5, 1.0);
        let dh_n = values(batch * hid, seed + 6, 1.0);
        let (mut dgi, mut dgh) = (vec![0.0f32; rows * g], vec![0.0f32; rows * g]);
        let mut dh0 = vec![0.0f32; batch * hid];
        let outs = [&mut dgi, &mut dgh, &mut dh0].map(|v| Ptr::mutable(v));
        let ins = [&act, &ghn, &h_prev, &w, &dy, &dh_n, &steps].map(|v| Ptr::of(v));
        emulate_blocks(cs.grid(), g as u32, shared, || unsafe {
            k::gru_seq_backward(
                outs[0].w(),
                outs[1].w(),
                outs[2].w(),
                ins[0].r(),
                ins[1].r(),
                ins[2].r(),
                ins[3].r(),
                ins[4].r(),
                ins[5].r(),
                ins[6].r(),
                batch as u64,
                hid as u64,
                cs.batch_sizes.len() as u64,
                cs.reverse as u64,
            )
        });
        let loss = |gi: &[f64], w: &[f64], b: &[f64], h0: &[f64]| {
            let (y, h, _) = gru_reference(cs, gi, w, b, h0);
            dot(&y, &dy) + dot(&h, &dh_n)
        };
        let d_gi = numeric(&gi64, &|x| loss(x, &w64, &b64, &h064));
        close(&what("d gi"), &dgi, &d_gi, FD_TOL);
        let d_h0 = numeric(&h064, &|x| loss(&gi64, &w64, &b64, x));
        close(&what("d h0"), &dh0, &d_h0, FD_TOL);
        let d_w = numeric(&w64, &|x| loss(&gi64, x, &b64, &h064));
        close(
            &what("d W_hh"),
            &weight_gradient(&dgh, &h_prev, g, hid),
            &d_w,
            FD_TOL,
        );
        let d_b = numeric(&b64, &|x| loss(&gi64, &w64, x, &h064));
        let db: Vec<f32> = (0..g)
            .map(|q| (0..rows).map(|r| dgh[r * g + q]).sum())
            .collect();
        close(&what("d b_hh"), &db, &d_b, FD_TOL);
    }
}
