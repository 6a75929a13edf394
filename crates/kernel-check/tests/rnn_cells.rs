//! The recurrent cells' kernels (rnn_cells.cu) against float64 references: forward from
//! PyTorch's equations, backward as central differences of that forward contracted with the
//! incoming gradients (so the kernels' hand-derived gradients are checked by an independent
//! method). Pre-activations reach +-40 so the saturated ends of sigmoid and tanh are covered.

mod common;

use common::{central_differences, close, unwritten, values};
use seqtorch_kernel_check::{emulate, grids, kernels as k};

const TOL: f64 = 2e-6;
/// Central differences in float64 carry about 1e-9 error at this step.
const FD_TOL: f64 = 1e-5;
const EPS: f64 = 1e-5;

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// Pre-activations with a few saturated ones.
fn gates(n: usize, seed: u64) -> Vec<f32> {
    let mut v = values(n, seed, 3.0);
    for (i, x) in v.iter_mut().enumerate() {
        if i % 11 == 3 {
            *x = if i % 2 == 0 { 40.0 } else { -40.0 };
        }
    }
    v
}

/// d(sum_k weights[k] * f(x)[k]) / dx[i] by central differences.
fn numeric_grad(f: &dyn Fn(&[f64]) -> Vec<f64>, x: &[f64], weights: &[f64]) -> Vec<f64> {
    central_differences(x, EPS, &|x| {
        f(x).iter().zip(weights).map(|(a, b)| a * b).sum()
    })
}

/// Per element of [rows, hidden]: the `k` gate values of row r, unit j.
fn pick(v: &[f32], k: usize, hidden: usize, e: usize) -> Vec<f64> {
    let (r, j) = (e / hidden, e % hidden);
    (0..k)
        .map(|g| v[r * k * hidden + g * hidden + j] as f64)
        .collect()
}

/// Like `gates` but away from where a derivative jumps or vanishes numerically: the finite
/// differences need |x| small enough that sigmoid' is not below float64's resolution.
fn moderate(n: usize, seed: u64) -> Vec<f32> {
    values(n, seed, 3.0)
}

#[test]
fn elman_cell_forward_and_backward() {
    let (rows, hid) = (5, 13);
    let n = rows * hid;
    for relu in [false, true] {
        let (gi, gh) = (gates(n, 1), gates(n, 2));
        let want: Vec<f64> = gi
            .iter()
            .zip(&gh)
            .map(|(&a, &b)| {
                let v = a as f64 + b as f64;
                if relu {
                    v.max(0.0)
                } else {
                    v.tanh()
                }
            })
            .collect();
        for (grid, block) in grids(n) {
            let mut h = unwritten(n);
            emulate(grid, block, || unsafe {
                k::elman_cell_forward(
                    h.as_mut_ptr(),
                    gi.as_ptr(),
                    gh.as_ptr(),
                    rows as u64,
                    hid as u64,
                    relu as u64,
                )
            });
            close(&format!("elman h (relu {relu})"), &h, &want, TOL);
        }

        // Backward from the kernel's own h, against the derivative of the activation.
        let a = moderate(n, 3);
        let zeros = vec![0.0f32; n];
        let mut h = unwritten(n);
        emulate(1, 64, || unsafe {
            k::elman_cell_forward(
                h.as_mut_ptr(),
                a.as_ptr(),
                zeros.as_ptr(),
                rows as u64,
                hid as u64,
                relu as u64,
            )
        });
        let dh = values(n, 4, 1.0);
        let act = |x: &[f64]| vec![if relu { x[0].max(0.0) } else { x[0].tanh() }];
        let want: Vec<f64> = (0..n)
            .map(|e| numeric_grad(&act, &[a[e] as f64], &[dh[e] as f64])[0])
            .collect();
        for (grid, block) in grids(n) {
            let mut da = unwritten(n);
            emulate(grid, block, || unsafe {
                k::elman_cell_backward(
                    da.as_mut_ptr(),
                    h.as_ptr(),
                    dh.as_ptr(),
                    rows as u64,
                    hid as u64,
                    relu as u64,
                )
            });
            close(&format!("elman da (relu {relu})"), &da, &want, FD_TOL);
        }
    }
}

#[test]
fn elman_relu_keeps_nan_like_pytorch() {
    let gi = [f32::NAN, -1.0, 2.0];
    let gh = [0.0f32; 3];
    let mut h = unwritten(3);
    emulate(1, 4, || unsafe {
        k::elman_cell_forward(h.as_mut_ptr(), gi.as_ptr(), gh.as_ptr(), 1, 3, 1)
    });
    assert!(h[0].is_nan() && h[1] == 0.0 && h[2] == 2.0, "{h:?}");
}

/// One LSTM element: gates (i, f, g, o) from gi + gh, and c_prev -> (m, c).
fn lstm(x: &[f64]) -> Vec<f64> {
    let g: Vec<f64> = (0..4).map(|k| x[k] + x[4 + k]).collect();
    let (i, f, cand, o) = (sigmoid(g[0]), sigmoid(g[1]), g[2].tanh(), sigmoid(g[3]));
    let c = f * x[8] + i * cand;
    vec![o * c.tanh(), c]
}

#[test]
fn lstm_cell_forward_and_backward() {
    let (rows, hid) = (4, 9);
    let n = rows * hid;
    for (gi, gh, c_prev, fd) in [
        (gates(4 * n, 5), gates(4 * n, 6), values(n, 7, 2.0), false),
        (
            moderate(4 * n, 8),
            moderate(4 * n, 9),
            values(n, 10, 2.0),
            true,
        ),
    ] {
        let inputs = |e: usize| -> Vec<f64> {
            let mut x = pick(&gi, 4, hid, e);
            x.extend(pick(&gh, 4, hid, e));
            x.push(c_prev[e] as f64);
            x
        };
        let want: Vec<Vec<f64>> = (0..n).map(|e| lstm(&inputs(e))).collect();
        let want_m: Vec<f64> = want.iter().map(|v| v[0]).collect();
        let want_c: Vec<f64> = want.iter().map(|v| v[1]).collect();
        let forward = |(grid, block): (u32, u32)| {
            let (mut m, mut c, mut act) = (unwritten(n), unwritten(n), unwritten(4 * n));
            emulate(grid, block, || unsafe {
                k::lstm_cell_forward(
                    m.as_mut_ptr(),
                    c.as_mut_ptr(),
                    act.as_mut_ptr(),
                    gi.as_ptr(),
                    gh.as_ptr(),
                    c_prev.as_ptr(),
                    rows as u64,
                    hid as u64,
                )
            });
            close("lstm m", &m, &want_m, TOL);
            close("lstm c", &c, &want_c, TOL);
            assert!(
                act.iter().all(|v| v.is_finite()),
                "lstm act not all written"
            );
            (c, act)
        };
        let (c, act) = grids(n).map(forward)[0].clone();
        if !fd {
            continue;
        }
        // Gradients: every combination of incoming dm and dc (zero stands for "not used").
        for (dm, dc) in [
            (values(n, 11, 1.0), values(n, 12, 1.0)),
            (values(n, 13, 1.0), vec![0.0; n]),
            (vec![0.0; n], values(n, 14, 1.0)),
        ] {
            let grads: Vec<Vec<f64>> = (0..n)
                .map(|e| numeric_grad(&lstm, &inputs(e), &[dm[e] as f64, dc[e] as f64]))
                .collect();
            for (grid, block) in grids(n) {
                let (mut dgates, mut dc_prev) = (unwritten(4 * n), unwritten(n));
                emulate(grid, block, || unsafe {
                    k::lstm_cell_backward(
                        dgates.as_mut_ptr(),
                        dc_prev.as_mut_ptr(),
                        act.as_ptr(),
                        c.as_ptr(),
                        c_prev.as_ptr(),
                        dm.as_ptr(),
                        dc.as_ptr(),
                        rows as u64,
                        hid as u64,
                    )
                });
                for (e, g) in grads.iter().enumerate() {
                    let got: Vec<f32> =
                        pick(&dgates, 4, hid, e).iter().map(|&v| v as f32).collect();
                    // The same gradient for the input side (0..4) and the hidden side (4..8).
                    close(&format!("lstm dgates (gi) at {e}"), &got, &g[0..4], FD_TOL);
                    close(&format!("lstm dgates (gh) at {e}"), &got, &g[4..8], FD_TOL);
                }
                let want: Vec<f64> = grads.iter().map(|g| g[8]).collect();
                close("lstm dc_prev", &dc_prev, &want, FD_TOL);
            }
        }
    }
}

/// One GRU element: (r, z, n) sides from gi and gh, and h_prev -> h.
fn gru(x: &[f64]) -> Vec<f64> {
    let r = sigmoid(x[0] + x[3]);
    let z = sigmoid(x[1] + x[4]);
    let n = (x[2] + r * x[5]).tanh();
    vec![(1.0 - z) * n + z * x[6]]
}

#[test]
fn gru_cell_forward_and_backward() {
    let (rows, hid) = (3, 11);
    let n = rows * hid;
    for (gi, gh, h_prev, fd) in [
        (
            gates(3 * n, 15),
            gates(3 * n, 16),
            values(n, 17, 1.0),
            false,
        ),
        (
            moderate(3 * n, 18),
            moderate(3 * n, 19),
            values(n, 20, 1.0),
            true,
        ),
    ] {
        let inputs = |e: usize| -> Vec<f64> {
            let mut x = pick(&gi, 3, hid, e);
            x.extend(pick(&gh, 3, hid, e));
            x.push(h_prev[e] as f64);
            x
        };
        let want: Vec<f64> = (0..n).map(|e| gru(&inputs(e))[0]).collect();
        let want_ghn: Vec<f64> = (0..n).map(|e| inputs(e)[5]).collect();
        let forward = |(grid, block): (u32, u32)| {
            let (mut h, mut act, mut ghn) = (unwritten(n), unwritten(3 * n), unwritten(n));
            emulate(grid, block, || unsafe {
                k::gru_cell_forward(
                    h.as_mut_ptr(),
                    act.as_mut_ptr(),
                    ghn.as_mut_ptr(),
                    gi.as_ptr(),
                    gh.as_ptr(),
                    h_prev.as_ptr(),
                    rows as u64,
                    hid as u64,
                )
            });
            close("gru h", &h, &want, TOL);
            close("gru ghn", &ghn, &want_ghn, 0.0);
            assert!(act.iter().all(|v| v.is_finite()), "gru act not all written");
            (act, ghn)
        };
        let (act, ghn) = grids(n).map(forward)[0].clone();
        if !fd {
            continue;
        }
        let dh = values(n, 21, 1.0);
        let grads: Vec<Vec<f64>> = (0..n)
            .map(|e| numeric_grad(&gru, &inputs(e), &[dh[e] as f64]))
            .collect();
        for (grid, block) in grids(n) {
            let (mut dgi, mut dgh, mut dh_prev) =
                (unwritten(3 * n), unwritten(3 * n), unwritten(n));
            emulate(grid, block, || unsafe {
                k::gru_cell_backward(
                    dgi.as_mut_ptr(),
                    dgh.as_mut_ptr(),
                    dh_prev.as_mut_ptr(),
                    act.as_ptr(),
                    ghn.as_ptr(),
                    h_prev.as_ptr(),
                    dh.as_ptr(),
                    rows as u64,
                    hid as u64,
                )
            });
            for (e, g) in grads.iter().enumerate() {
                let gi_got: Vec<f32> = pick(&dgi, 3, hid, e).iter().map(|&v| v as f32).collect();
                let gh_got: Vec<f32> = pick(&dgh, 3, hid, e).iter().map(|&v| v as f32).collect();
                close(&format!("gru dgi at {e}"), &gi_got, &g[0..3], FD_TOL);
                close(&format!("gru dgh at {e}"), &gh_got, &g[3..6], FD_TOL);
            }
            // The direct path only: h_prev enters the element as z * h_prev.
            let want: Vec<f64> = grads.iter().map(|g| g[6]).collect();
            close("gru dh_prev", &dh_prev, &want, FD_TOL);
        }
    }
}
