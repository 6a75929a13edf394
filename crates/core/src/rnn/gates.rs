//! The fused elementwise gate math of one timestep over a block of batch rows, forward and
//! backward, for each recurrence. Inputs are pre-activations already summed from the input and
//! recurrent projections; one pass per row computes every gate and the new state.
//!
//! Each kernel is written once as plain loops over slices with branch-free activations, and
//! compiled three times: for AVX-512, for AVX2+FMA and for the baseline; the widest one the
//! processor supports is picked at run time. Their tanh is `tanh_rational`, a rational
//! function without exp (absolute error 4e-7 where the tensor op's `tanh` has 2e-7): tanh
//! was half of the LSTM's gate math.

use crate::kernels::activation::{sigmoid, tanh_rational, MulAdd};
use crate::kernels::dispatch::dispatch;

/// Splits a row of `k * hidden` values into its `k` gate slices.
#[inline(always)]
fn gates_of<const K: usize>(row: &[f32], hidden: usize) -> [&[f32]; K] {
    std::array::from_fn(|i| &row[i * hidden..(i + 1) * hidden])
}

#[inline(always)]
fn gates_of_mut<const K: usize>(row: &mut [f32], hidden: usize) -> [&mut [f32]; K] {
    let mut rest = row;
    std::array::from_fn(|_| {
        let (head, tail) = std::mem::take(&mut rest).split_at_mut(hidden);
        rest = tail;
        head
    })
}

#[inline(always)]
fn elman_forward_impl<M: MulAdd>(relu: bool, xw: &[f32], hw: &[f32], bias: &[f32], h: &mut [f32]) {
    let hidden = bias.len();
    let (xw, hw) = (&xw[..h.len()], &hw[..h.len()]);
    for ((hr, xr), wr) in h
        .chunks_exact_mut(hidden)
        .zip(xw.chunks_exact(hidden))
        .zip(hw.chunks_exact(hidden))
    {
        let sums = hr.iter_mut().zip(xr).zip(wr).zip(bias);
        if relu {
            for (((o, &a), &b), &c) in sums {
                let v = a + b + c;
                // Not `max(0.0)`, which turns NaN into 0: PyTorch's relu keeps it.
                *o = if v < 0.0 { 0.0 } else { v };
            }
        } else {
            for (((o, &a), &b), &c) in sums {
                *o = tanh_rational::<M>(a + b + c);
            }
        }
    }
}

#[inline(always)]
fn elman_backward_impl(relu: bool, h: &[f32], dh: &[f32], da: &mut [f32]) {
    let (h, dh) = (&h[..da.len()], &dh[..da.len()]);
    if relu {
        for ((d, &y), &g) in da.iter_mut().zip(h).zip(dh) {
            *d = if y <= 0.0 { 0.0 } else { g };
        }
    } else {
        for ((d, &y), &g) in da.iter_mut().zip(h).zip(dh) {
            *d = g * (1.0 - y * y);
        }
    }
}

/// LSTM step over `rows` rows. Pre-activations `xw + hw + bias` (gates i, f, g, o, each
/// `hidden` wide; `bias` one row, added here rather than by a pass over the whole-sequence
/// projection) give activations saved in `act`; `c` receives c_t, from c_{t-1} in `c_in`, or in
/// place when `c_in` is None; `m` receives `o * tanh(c_t)` (the hidden state before any
/// projection).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn lstm_forward_impl<M: MulAdd>(
    hidden: usize,
    xw: &[f32],
    hw: &[f32],
    bias: &[f32],
    c_in: Option<&[f32]>,
    c: &mut [f32],
    act: &mut [f32],
    m: &mut [f32],
) {
    let g4 = 4 * hidden;
    let [bi, bf, bg, bo] = gates_of::<4>(&bias[..g4], hidden);
    for (r, (cr, mr)) in c
        .chunks_exact_mut(hidden)
        .zip(m.chunks_exact_mut(hidden))
        .enumerate()
    {
        let [xi, xf, xg, xo] = gates_of::<4>(&xw[r * g4..(r + 1) * g4], hidden);
        let [hi, hf, hg, ho] = gates_of::<4>(&hw[r * g4..(r + 1) * g4], hidden);
        let [ai, af, ag, ao] = gates_of_mut::<4>(&mut act[r * g4..(r + 1) * g4], hidden);
        // One simple loop per gate: each vectorises (a single loop with five transcendental
        // functions did not).
        for (((a, &x), &h), &b) in ai.iter_mut().zip(xi).zip(hi).zip(bi) {
            *a = sigmoid::<M>(x + h + b);
        }
        for (((a, &x), &h), &b) in af.iter_mut().zip(xf).zip(hf).zip(bf) {
            *a = sigmoid::<M>(x + h + b);
        }
        for (((a, &x), &h), &b) in ag.iter_mut().zip(xg).zip(hg).zip(bg) {
            *a = tanh_rational::<M>(x + h + b);
        }
        for (((a, &x), &h), &b) in ao.iter_mut().zip(xo).zip(ho).zip(bo) {
            *a = sigmoid::<M>(x + h + b);
        }
        let gates = ai.iter().zip(af.iter()).zip(ag.iter().zip(ao.iter()));
        match c_in {
            Some(c_in) => {
                let c_in = &c_in[r * hidden..(r + 1) * hidden];
                let cells = cr.iter_mut().zip(c_in).zip(mr.iter_mut());
                for (((c, &c_prev), m), ((&i, &f), (&g, &o))) in cells.zip(gates) {
                    let c_new = f * c_prev + i * g;
                    *c = c_new;
                    *m = o * tanh_rational::<M>(c_new);
                }
            }
            None => {
                for ((c, m), ((&i, &f), (&g, &o))) in cr.iter_mut().zip(mr.iter_mut()).zip(gates) {
                    let c_new = f * *c + i * g;
                    *c = c_new;
                    *m = o * tanh_rational::<M>(c_new);
                }
            }
        }
    }
}

/// LSTM step backward. `dm` is the gradient of `o * tanh(c_t)`; `dc` comes in as the gradient
/// of c_t from the next step and leaves as the gradient of c_{t-1}; `dgates` receives the
/// pre-activation gradients (i, f, g, o).
#[inline(always)]
fn lstm_backward_impl<M: MulAdd>(
    hidden: usize,
    act: &[f32],
    c: &[f32],
    c_prev: &[f32],
    dm: &[f32],
    dc: &mut [f32],
    dgates: &mut [f32],
) {
    let g4 = 4 * hidden;
    for (r, dcr) in dc.chunks_exact_mut(hidden).enumerate() {
        let [ai, af, ag, ao] = gates_of::<4>(&act[r * g4..(r + 1) * g4], hidden);
        let [di, df, dg, d_o] = gates_of_mut::<4>(&mut dgates[r * g4..(r + 1) * g4], hidden);
        let span = r * hidden..(r + 1) * hidden;
        let (cr, cp, dmr) = (&c[span.clone()], &c_prev[span.clone()], &dm[span]);
        lstm_backward_row::<M>([ai, af, ag, ao], cr, cp, dmr, dcr, [di, df, dg, d_o]);
    }
}

/// One row of `lstm_backward_impl`. A function of its own so that the slices arrive as
/// distinct references: inlined, the compiler still knows they do not overlap and vectorises
/// without run-time overlap checks (which had sent the loop down its scalar path).
#[inline(always)]
fn lstm_backward_row<M: MulAdd>(
    [ai, af, ag, ao]: [&[f32]; 4],
    c: &[f32],
    c_prev: &[f32],
    dm: &[f32],
    dc: &mut [f32],
    [di, df, dg, d_o]: [&mut [f32]; 4],
) {
    let n = dc.len();
    let (ai, af, ag, ao) = (&ai[..n], &af[..n], &ag[..n], &ao[..n]);
    let (c, c_prev, dm) = (&c[..n], &c_prev[..n], &dm[..n]);
    let (di, df, dg, d_o) = (&mut di[..n], &mut df[..n], &mut dg[..n], &mut d_o[..n]);
    for j in 0..n {
        let (i, f, g, o) = (ai[j], af[j], ag[j], ao[j]);
        let tc = tanh_rational::<M>(c[j]);
        let dct = dc[j] + dm[j] * o * (1.0 - tc * tc);
        di[j] = dct * g * i * (1.0 - i);
        df[j] = dct * c_prev[j] * f * (1.0 - f);
        dg[j] = dct * i * (1.0 - g * g);
        d_o[j] = dm[j] * tc * o * (1.0 - o);
        dc[j] = dct * f;
    }
}

/// GRU step over `rows` rows. `xw` holds W_ih x and `hw` W_hh h, without biases; `bias` is
/// one row of four parts: b_ir + b_hr, b_iz + b_hz, b_in, and b_hn, the hidden bias of the n
/// gate, which PyTorch applies inside `r * (W_hn h + b_hn)`. `h` receives h_t, from h_{t-1}
/// in `h_in`, or in place when `h_in` is None; r, z, n are saved in `act` and `W_hn h + b_hn`
/// in `ghn`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn gru_forward_impl<M: MulAdd>(
    hidden: usize,
    xw: &[f32],
    hw: &[f32],
    bias: &[f32],
    h_in: Option<&[f32]>,
    h: &mut [f32],
    act: &mut [f32],
    ghn: &mut [f32],
) {
    let g3 = 3 * hidden;
    let [br, bz, bn_in, bn] = gates_of::<4>(&bias[..4 * hidden], hidden);
    for (r, (hr, gr)) in h
        .chunks_exact_mut(hidden)
        .zip(ghn.chunks_exact_mut(hidden))
        .enumerate()
    {
        let [xr, xz, xn] = gates_of::<3>(&xw[r * g3..(r + 1) * g3], hidden);
        let [hr_, hz, hn] = gates_of::<3>(&hw[r * g3..(r + 1) * g3], hidden);
        let [ar, az, an] = gates_of_mut::<3>(&mut act[r * g3..(r + 1) * g3], hidden);
        for (((a, &x), &h), &b) in ar.iter_mut().zip(xr).zip(hr_).zip(br) {
            *a = sigmoid::<M>(x + h + b);
        }
        for (((a, &x), &h), &b) in az.iter_mut().zip(xz).zip(hz).zip(bz) {
            *a = sigmoid::<M>(x + h + b);
        }
        for ((g, &h), &b) in gr.iter_mut().zip(hn).zip(bn) {
            *g = h + b;
        }
        let n_in = an.iter_mut().zip(xn).zip(bn_in);
        for ((((n, &x), &b), &r), &g) in n_in.zip(ar.iter()).zip(gr.iter()) {
            *n = tanh_rational::<M>(x + b + r * g);
        }
        match h_in {
            Some(h_in) => {
                let h_prev = &h_in[r * hidden..(r + 1) * hidden];
                let states = hr.iter_mut().zip(h_prev);
                for ((h, &h_prev), (&z, &n)) in states.zip(az.iter().zip(an.iter())) {
                    *h = (1.0 - z) * n + z * h_prev;
                }
            }
            None => {
                for ((h, &z), &n) in hr.iter_mut().zip(az.iter()).zip(an.iter()) {
                    *h = (1.0 - z) * n + z * *h;
                }
            }
        }
    }
}

/// GRU step backward. `dh` comes in as the gradient of h_t and leaves holding only the direct
/// path `dh * z` to h_{t-1} (the caller adds the recurrent-GEMM path). `dgi` receives the
/// gradients of the input-side pre-activations, `dgh` those of the hidden side (they differ
/// in the n gate by the factor r).
#[inline(always)]
fn gru_backward_impl(
    hidden: usize,
    act: &[f32],
    ghn: &[f32],
    h_prev: &[f32],
    dh: &mut [f32],
    dgi: &mut [f32],
    dgh: &mut [f32],
) {
    let g3 = 3 * hidden;
    for (r, dhr) in dh.chunks_exact_mut(hidden).enumerate() {
        let [ar, az, an] = gates_of::<3>(&act[r * g3..(r + 1) * g3], hidden);
        let [dir, diz, din] = gates_of_mut::<3>(&mut dgi[r * g3..(r + 1) * g3], hidden);
        let [dhr_, dhz, dhn] = gates_of_mut::<3>(&mut dgh[r * g3..(r + 1) * g3], hidden);
        let span = r * hidden..(r + 1) * hidden;
        let (gr, hp) = (&ghn[span.clone()], &h_prev[span]);
        gru_backward_row([ar, az, an], gr, hp, dhr, [dir, diz, din], [dhr_, dhz, dhn]);
    }
}

/// One row of `gru_backward_impl` (a function of its own for the reason given at
/// `lstm_backward_row`).
#[inline(always)]
fn gru_backward_row(
    [ar, az, an]: [&[f32]; 3],
    ghn: &[f32],
    h_prev: &[f32],
    dh: &mut [f32],
    [dir, diz, din]: [&mut [f32]; 3],
    [dhr, dhz, dhn]: [&mut [f32]; 3],
) {
    let n = dh.len();
    let (ar, az, an, ghn, h_prev) = (&ar[..n], &az[..n], &an[..n], &ghn[..n], &h_prev[..n]);
    let (dir, diz, din) = (&mut dir[..n], &mut diz[..n], &mut din[..n]);
    let (dhr, dhz, dhn) = (&mut dhr[..n], &mut dhz[..n], &mut dhn[..n]);
    for j in 0..n {
        let (rg, z, nv) = (ar[j], az[j], an[j]);
        let g = dh[j];
        let dan = g * (1.0 - z) * (1.0 - nv * nv);
        let daz = g * (h_prev[j] - nv) * z * (1.0 - z);
        let dar = dan * ghn[j] * rg * (1.0 - rg);
        dir[j] = dar;
        diz[j] = daz;
        din[j] = dan;
        dhr[j] = dar;
        dhz[j] = daz;
        dhn[j] = dan * rg;
        dh[j] = g * z;
    }
}

dispatch!(
    /// Elman step: `h = act(xw + hw + bias)`, `bias` one row of `hidden` values.
    pub fn elman_forward(relu: bool, xw: &[f32], hw: &[f32], bias: &[f32], h: &mut [f32]) => elman_forward_impl::<MulAdd>
);
dispatch!(
    /// Elman backward: pre-activation gradient from `dh` and the step's output `h`.
    pub fn elman_backward(relu: bool, h: &[f32], dh: &[f32], da: &mut [f32]) => elman_backward_impl
);
dispatch!(
    /// LSTM step (see `lstm_forward_impl`).
    pub fn lstm_forward(hidden: usize, xw: &[f32], hw: &[f32], bias: &[f32], c_in: Option<&[f32]>, c: &mut [f32], act: &mut [f32], m: &mut [f32]) => lstm_forward_impl::<MulAdd>
);
dispatch!(
    /// LSTM step backward (see `lstm_backward_impl`).
    pub fn lstm_backward(hidden: usize, act: &[f32], c: &[f32], c_prev: &[f32], dm: &[f32], dc: &mut [f32], dgates: &mut [f32]) => lstm_backward_impl::<MulAdd>
);
dispatch!(
    /// GRU step (see `gru_forward_impl`).
    pub fn gru_forward(hidden: usize, xw: &[f32], hw: &[f32], bias: &[f32], h_in: Option<&[f32]>, h: &mut [f32], act: &mut [f32], ghn: &mut [f32]) => gru_forward_impl::<MulAdd>
);
dispatch!(
    /// GRU step backward (see `gru_backward_impl`).
    pub fn gru_backward(hidden: usize, act: &[f32], ghn: &[f32], h_prev: &[f32], dh: &mut [f32], dgi: &mut [f32], dgh: &mut [f32]) => gru_backward_impl
);
