//! The fused elementwise gate math of one timestep over a block of batch rows, forward and
//! backward, for each recurrence. Inputs are pre-activations already summed from the input and
//! recurrent projections; one pass per row computes every gate and the new state.
//!
//! Each kernel is written once as plain loops over slices with branch-free activations, and
//! compiled three times: for AVX-512, for AVX2+FMA and for the baseline; the widest one the
//! processor supports is picked at run time.

use crate::kernels::activation::{sigmoid, tanh};

/// Defines `pub fn $name` that runs `$imp` compiled for the best available instruction set.
macro_rules! dispatch {
    ($(#[$meta:meta])* pub fn $name:ident($($arg:ident: $ty:ty),* $(,)?) => $imp:ident) => {
        $(#[$meta])*
        #[allow(clippy::too_many_arguments)]
        pub fn $name($($arg: $ty),*) {
            #[cfg(target_arch = "x86_64")]
            {
                if std::arch::is_x86_feature_detected!("avx512f") {
                    #[target_feature(enable = "avx512f,avx2,fma")]
                    unsafe fn wide($($arg: $ty),*) {
                        $imp($($arg),*)
                    }
                    // SAFETY: the processor supports the features `wide` was compiled for.
                    return unsafe { wide($($arg),*) };
                }
                if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
                    #[target_feature(enable = "avx2,fma")]
                    unsafe fn avx2($($arg: $ty),*) {
                        $imp($($arg),*)
                    }
                    // SAFETY: the processor supports the features `avx2` was compiled for.
                    return unsafe { avx2($($arg),*) };
                }
            }
            $imp($($arg),*)
        }
    };
}

/// Elman step: `h = act(xw + hw)`, written to `h`.
#[inline(always)]
fn elman_forward_impl(relu: bool, xw: &[f32], hw: &[f32], h: &mut [f32]) {
    for ((o, &a), &b) in h.iter_mut().zip(xw).zip(hw) {
        let z = a + b;
        *o = if relu { z.max(0.0) } else { tanh(z) };
    }
}

/// Elman backward: pre-activation gradient from `dh` and the step's output `h`.
#[inline(always)]
fn elman_backward_impl(relu: bool, h: &[f32], dh: &[f32], da: &mut [f32]) {
    for ((d, &y), &g) in da.iter_mut().zip(h).zip(dh) {
        *d = if relu {
            if y > 0.0 {
                g
            } else {
                0.0
            }
        } else {
            g * (1.0 - y * y)
        };
    }
}

/// LSTM step over `rows` rows. Pre-activations `xw + hw` (gates i, f, g, o, each `hidden`
/// wide) give activations saved in `act`; `c` goes from c_{t-1} to c_t in place; `m` receives
/// `o * tanh(c_t)` (the hidden state before any projection).
#[inline(always)]
fn lstm_forward_impl(
    hidden: usize,
    xw: &[f32],
    hw: &[f32],
    c: &mut [f32],
    act: &mut [f32],
    m: &mut [f32],
) {
    let g4 = 4 * hidden;
    for r in 0..c.len() / hidden {
        let pre_x = &xw[r * g4..(r + 1) * g4];
        let pre_h = &hw[r * g4..(r + 1) * g4];
        let a = &mut act[r * g4..(r + 1) * g4];
        let cr = &mut c[r * hidden..(r + 1) * hidden];
        let mr = &mut m[r * hidden..(r + 1) * hidden];
        for j in 0..hidden {
            let i = sigmoid(pre_x[j] + pre_h[j]);
            let f = sigmoid(pre_x[hidden + j] + pre_h[hidden + j]);
            let g = tanh(pre_x[2 * hidden + j] + pre_h[2 * hidden + j]);
            let o = sigmoid(pre_x[3 * hidden + j] + pre_h[3 * hidden + j]);
            let c_new = f * cr[j] + i * g;
            cr[j] = c_new;
            mr[j] = o * tanh(c_new);
            a[j] = i;
            a[hidden + j] = f;
            a[2 * hidden + j] = g;
            a[3 * hidden + j] = o;
        }
    }
}

/// LSTM step backward. `dm` is the gradient of `o * tanh(c_t)`; `dc` comes in as the gradient
/// of c_t from the next step and leaves as the gradient of c_{t-1}; `dgates` receives the
/// pre-activation gradients (i, f, g, o).
#[inline(always)]
fn lstm_backward_impl(
    hidden: usize,
    act: &[f32],
    c: &[f32],
    c_prev: &[f32],
    dm: &[f32],
    dc: &mut [f32],
    dgates: &mut [f32],
) {
    let g4 = 4 * hidden;
    for r in 0..dc.len() / hidden {
        let a = &act[r * g4..(r + 1) * g4];
        let d = &mut dgates[r * g4..(r + 1) * g4];
        for j in 0..hidden {
            let k = r * hidden + j;
            let (i, f, g, o) = (a[j], a[hidden + j], a[2 * hidden + j], a[3 * hidden + j]);
            let tc = tanh(c[k]);
            let dct = dc[k] + dm[k] * o * (1.0 - tc * tc);
            d[j] = dct * g * i * (1.0 - i);
            d[hidden + j] = dct * c_prev[k] * f * (1.0 - f);
            d[2 * hidden + j] = dct * i * (1.0 - g * g);
            d[3 * hidden + j] = dm[k] * tc * o * (1.0 - o);
            dc[k] = dct * f;
        }
    }
}

/// GRU step over `rows` rows. `xw` holds W_ih x + b_ih (+ b_hh for r and z), `hw` holds
/// W_hh h without bias; `b_hn` is the hidden bias of the n gate, which PyTorch applies inside
/// `r * (W_hn h + b_hn)`. `h` goes from h_{t-1} to h_t in place; r, z, n are saved in `act`
/// and `W_hn h + b_hn` in `ghn`.
#[inline(always)]
fn gru_forward_impl(
    hidden: usize,
    xw: &[f32],
    hw: &[f32],
    b_hn: Option<&[f32]>,
    h: &mut [f32],
    act: &mut [f32],
    ghn: &mut [f32],
) {
    let g3 = 3 * hidden;
    for r in 0..h.len() / hidden {
        let px = &xw[r * g3..(r + 1) * g3];
        let ph = &hw[r * g3..(r + 1) * g3];
        let a = &mut act[r * g3..(r + 1) * g3];
        for j in 0..hidden {
            let k = r * hidden + j;
            let rg = sigmoid(px[j] + ph[j]);
            let z = sigmoid(px[hidden + j] + ph[hidden + j]);
            let hn = ph[2 * hidden + j] + b_hn.map_or(0.0, |b| b[j]);
            let n = tanh(px[2 * hidden + j] + rg * hn);
            h[k] = (1.0 - z) * n + z * h[k];
            a[j] = rg;
            a[hidden + j] = z;
            a[2 * hidden + j] = n;
            ghn[k] = hn;
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
    for r in 0..dh.len() / hidden {
        let a = &act[r * g3..(r + 1) * g3];
        let di = &mut dgi[r * g3..(r + 1) * g3];
        let dhh = &mut dgh[r * g3..(r + 1) * g3];
        for j in 0..hidden {
            let k = r * hidden + j;
            let (rg, z, n) = (a[j], a[hidden + j], a[2 * hidden + j]);
            let g = dh[k];
            let dan = g * (1.0 - z) * (1.0 - n * n);
            let daz = g * (h_prev[k] - n) * z * (1.0 - z);
            let dar = dan * ghn[k] * rg * (1.0 - rg);
            di[j] = dar;
            di[hidden + j] = daz;
            di[2 * hidden + j] = dan;
            dhh[j] = dar;
            dhh[hidden + j] = daz;
            dhh[2 * hidden + j] = dan * rg;
            dh[k] = g * z;
        }
    }
}

dispatch!(
    /// Elman step: `h = act(xw + hw)`.
    pub fn elman_forward(relu: bool, xw: &[f32], hw: &[f32], h: &mut [f32]) => elman_forward_impl
);
dispatch!(
    /// Elman backward: pre-activation gradient from `dh` and the step's output `h`.
    pub fn elman_backward(relu: bool, h: &[f32], dh: &[f32], da: &mut [f32]) => elman_backward_impl
);
dispatch!(
    /// LSTM step (see `lstm_forward_impl`).
    pub fn lstm_forward(hidden: usize, xw: &[f32], hw: &[f32], c: &mut [f32], act: &mut [f32], m: &mut [f32]) => lstm_forward_impl
);
dispatch!(
    /// LSTM step backward (see `lstm_backward_impl`).
    pub fn lstm_backward(hidden: usize, act: &[f32], c: &[f32], c_prev: &[f32], dm: &[f32], dc: &mut [f32], dgates: &mut [f32]) => lstm_backward_impl
);
dispatch!(
    /// GRU step (see `gru_forward_impl`).
    pub fn gru_forward(hidden: usize, xw: &[f32], hw: &[f32], b_hn: Option<&[f32]>, h: &mut [f32], act: &mut [f32], ghn: &mut [f32]) => gru_forward_impl
);
dispatch!(
    /// GRU step backward (see `gru_backward_impl`).
    pub fn gru_backward(hidden: usize, act: &[f32], ghn: &[f32], h_prev: &[f32], dh: &mut [f32], dgi: &mut [f32], dgh: &mut [f32]) => gru_backward_impl
);
