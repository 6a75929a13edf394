//! losses.cu against seqtorch's CPU losses: binary cross-entropy on probabilities (with the
//! -100 log clamp at exactly 0 and 1) and on logits (with weight and pos_weight), cross-entropy
//! (class weights, an ignored row, label smoothing) and NLL, each with the reductions none, sum
//! and mean: the items from the forward kernel, the gradients from the backward kernel with
//! the same incoming gradient, compared with the CPU loss's output and autograd gradients.

mod common;

use common::{close, values};
use seqtorch_core::autograd::backward;
use seqtorch_core::nn::loss::{
    bce, bce_with_logits, class_targets, cross_entropy, nll, ClassLoss, Reduction,
};
use seqtorch_core::Tensor;
use seqtorch_kernel_check::{emulate, emulate_blocks, grids, kernels as k};

const TOL: f64 = 1e-6;
const REDUCTIONS: [Reduction; 3] = [Reduction::None, Reduction::Sum, Reduction::Mean];
/// class_loss launches (blocks, threads a block) for 6 rows of 7 classes.
const BLOCKS: [(u32, u32); 2] = [(6, 8), (2, 4)];

fn leaf(v: &[f32], shape: &[usize]) -> Tensor {
    Tensor::from_f32(v.to_vec(), shape.to_vec())
        .and_then(|t| t.requires_grad_(true))
        .unwrap()
}

fn wide(v: &[f32]) -> Vec<f64> {
    v.iter().map(|&x| x as f64).collect()
}

/// The incoming gradient for a reduction: one per item, or one value.
fn incoming(reduction: Reduction, items: usize) -> Vec<f32> {
    match reduction {
        Reduction::None => values(items, 77, 2.0),
        _ => vec![0.75],
    }
}

/// `loss_backward` on the host.
fn scale(
    d: &[f32],
    g: &[f32],
    zeros: Option<&[f32]>,
    group: usize,
    reduction: Reduction,
    norm: f64,
) -> Vec<f32> {
    let mode = match reduction {
        Reduction::None => 0,
        Reduction::Sum => 1,
        Reduction::Mean => 2,
    };
    let mut out = vec![f32::NAN; d.len()];
    let z = zeros.unwrap_or(d);
    let (grid, block) = grids(d.len())[1];
    emulate(grid, block, || unsafe {
        k::loss_backward(
            out.as_mut_ptr(),
            d.as_ptr(),
            g.as_ptr(),
            z.as_ptr(),
            d.len() as u64,
            group as u64,
            mode,
            zeros.is_some().into(),
            norm.to_bits(),
        )
    });
    out
}

/// The reduced (or not) output from the items, as the device path forms it.
fn reduce(loss: &[f32], reduction: Reduction, norm: f64) -> Vec<f64> {
    let sum: f64 = loss.iter().map(|&v| v as f64).sum();
    match reduction {
        Reduction::None => wide(loss),
        Reduction::Sum => vec![sum],
        Reduction::Mean => vec![sum / norm],
    }
}

/// Optional weight and pos_weight, each of the input's shape.
type Weighting<'a> = (Option<&'a [f32]>, Option<&'a [f32]>);

/// `pointwise_loss` with `op` against `cpu` (the CPU loss with the same weights), for each
/// weighting and every reduction: the items and both gradients.
fn check_pointwise(
    what: &str,
    op: u64,
    x: &[f32],
    t: &[f32],
    weightings: &[Weighting],
    cpu: impl Fn(&Tensor, &Tensor, Option<&[f32]>, Option<&[f32]>, Reduction) -> Tensor,
) {
    let n = x.len();
    for &(weight, pos_weight) in weightings {
        for reduction in REDUCTIONS {
            let (xt, tt) = (leaf(x, &[n]), leaf(t, &[n]));
            let out = cpu(&xt, &tt, weight, pos_weight, reduction);
            let g = incoming(reduction, n);
            let seed = Tensor::from_f32(g.clone(), out.shape().to_vec()).unwrap();
            backward(&out, Some(&seed), false).unwrap();

            let (mut loss, mut dx, mut dt) =
                (vec![f32::NAN; n], vec![f32::NAN; n], vec![f32::NAN; n]);
            let (wp, pwp) = (weight.unwrap_or(x), pos_weight.unwrap_or(x));
            let (grid, block) = grids(n)[1];
            emulate(grid, block, || unsafe {
                k::pointwise_loss(
                    loss.as_mut_ptr(),
                    dx.as_mut_ptr(),
                    dt.as_mut_ptr(),
                    x.as_ptr(),
                    t.as_ptr(),
                    wp.as_ptr(),
                    pwp.as_ptr(),
                    n as u64,
                    op,
                    weight.is_some().into(),
                    pos_weight.is_some().into(),
                )
            });
            let what = format!("{what} (weights {}, {reduction:?})", weight.is_some());
            close(
                &what,
                &out.to_vec_f32(),
                &reduce(&loss, reduction, n as f64),
                TOL,
            );
            let gx = scale(&dx, &g, None, 1, reduction, n as f64);
            let gt = scale(&dt, &g, None, 1, reduction, n as f64);
            close(
                &format!("{what} d input"),
                &gx,
                &wide(&xt.grad().unwrap().to_vec_f32()),
                TOL,
            );
            close(
                &format!("{what} d target"),
                &gt,
                &wide(&tt.grad().unwrap().to_vec_f32()),
                TOL,
            );
        }
    }
}

#[test]
fn binary_cross_entropy_matches_the_cpu() {
    let n = 40;
    let mut x: Vec<f32> = values(n, 1, 0.49).iter().map(|v| v + 0.5).collect();
    (x[0], x[1]) = (0.0, 1.0); // the clamped logs
    let t: Vec<f32> = values(n, 2, 0.5).iter().map(|v| v + 0.5).collect();
    let w: Vec<f32> = values(n, 3, 0.5).iter().map(|v| v + 1.0).collect();
    check_pointwise(
        "bce",
        0,
        &x,
        &t,
        &[(None, None), (Some(&w), None)],
        |x, t, w, _, r| bce(x, t, w, r).unwrap(),
    );
}

#[test]
fn binary_cross_entropy_with_logits_matches_the_cpu() {
    let n = 36;
    let mut x = values(n, 4, 6.0);
    (x[0], x[1]) = (-100.0, 100.0); // exp(100) overflows float32: the stable form must not
    let t: Vec<f32> = values(n, 5, 0.5).iter().map(|v| v + 0.5).collect();
    let w: Vec<f32> = values(n, 6, 0.5).iter().map(|v| v + 1.0).collect();
    let pw: Vec<f32> = values(n, 7, 1.0).iter().map(|v| v + 2.0).collect();
    let weightings = [(None, None), (Some(&w[..]), Some(&pw[..]))];
    check_pointwise(
        "bce_with_logits",
        1,
        &x,
        &t,
        &weightings,
        |x, t, w, p, r| bce_with_logits(x, t, w, p, r).unwrap(),
    );
}

#[test]
fn cross_entropy_and_nll_match_the_cpu() {
    let (n, c) = (6, 7);
    let x = values(n * c, 8, 3.0);
    let y: Vec<i64> = vec![3, 0, -100, 6, 2, 3]; // one ignored row
    let w: Vec<f32> = values(c, 9, 0.5).iter().map(|v| v + 1.0).collect();
    let cases = [
        (
            "cross-entropy",
            ClassLoss::CrossEntropy {
                label_smoothing: 0.0,
            },
            None,
        ),
        (
            "cross-entropy, weights",
            ClassLoss::CrossEntropy {
                label_smoothing: 0.0,
            },
            Some(&w[..]),
        ),
        (
            "cross-entropy, smoothing 0.1, weights",
            ClassLoss::CrossEntropy {
                label_smoothing: 0.1,
            },
            Some(&w[..]),
        ),
        ("nll", ClassLoss::Nll, None),
        ("nll, weights", ClassLoss::Nll, Some(&w[..])),
    ];
    for (what, kind, weight) in cases {
        let prep = class_targets("test", kind, c, &y, weight, -100).unwrap();
        for reduction in REDUCTIONS {
            let xt = leaf(&x, &[n, c]);
            let yt = Tensor::from_i64(y.clone(), vec![n]).unwrap();
            let out = match kind {
                ClassLoss::CrossEntropy { label_smoothing } => {
                    cross_entropy(&xt, &yt, weight, -100, label_smoothing, reduction)
                }
                ClassLoss::Nll => nll(&xt, &yt, weight, -100, reduction),
            }
            .unwrap();
            let g = incoming(reduction, n);
            backward(
                &out,
                Some(&Tensor::from_f32(g.clone(), out.shape().to_vec()).unwrap()),
                false,
            )
            .unwrap();

            // A block per row of 8 threads for 7 classes, and 2 blocks of 4 striding over
            // rows and classes; each block's threads run concurrently through the barriers.
            for (grid, block) in BLOCKS {
                // `d` starts zeroed, as the launcher allocates it.
                let (mut loss, mut d) = (vec![f32::NAN; n], vec![0.0f32; n * c]);
                let (mode, eps) = match kind {
                    ClassLoss::CrossEntropy { label_smoothing } => (0, label_smoothing),
                    ClassLoss::Nll => (1, 0.0f32),
                };
                let wp = weight.unwrap_or(&x);
                let (loss_at, d_at) = (loss.as_mut_ptr() as usize, d.as_mut_ptr() as usize);
                let (x_at, t_at, w_at) = (
                    x.as_ptr() as usize,
                    prep.targets.as_ptr() as usize,
                    wp.as_ptr() as usize,
                );
                emulate_blocks(grid, block, block as usize, || unsafe {
                    k::class_loss(
                        loss_at as *mut f32,
                        d_at as *mut f32,
                        x_at as *const f32,
                        t_at as *const f32,
                        w_at as *const f32,
                        n as u64,
                        c as u64,
                        mode,
                        weight.is_some().into(),
                        eps.to_bits() as u64,
                    )
                });
                let what = format!("{what} ({reduction:?}, {grid}x{block})");
                close(
                    &what,
                    &out.to_vec_f32(),
                    &reduce(&loss, reduction, prep.norm),
                    TOL,
                );
                let gx = scale(&d, &g, Some(&prep.zeros), c, reduction, prep.norm);
                close(
                    &format!("{what} d input"),
                    &gx,
                    &wide(&xt.grad().unwrap().to_vec_f32()),
                    TOL,
                );
            }
        }
    }
}

#[test]
fn an_all_ignored_mean_keeps_zero_gradients_like_pytorch() {
    // The mean divides by a zero total weight: the loss is NaN, the gradients stay 0.
    let (n, c) = (2, 3);
    let prep = class_targets("test", ClassLoss::Nll, c, &[-100, -100], None, -100).unwrap();
    assert_eq!(prep.norm, 0.0);
    let d = vec![0.0f32; n * c];
    let out = scale(&d, &[1.0], Some(&prep.zeros), c, Reduction::Mean, prep.norm);
    assert!(out.iter().all(|&v| v == 0.0), "{out:?}");
}

#[test]
fn class_targets_reject_an_out_of_range_class() {
    let err = class_targets("nll_loss", ClassLoss::Nll, 3, &[0, 3], None, -100).unwrap_err();
    assert!(
        err.message.contains("Target 3 is out of bounds"),
        "{}",
        err.message
    );
}
