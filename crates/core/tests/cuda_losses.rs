//! The losses' CUDA kernels (losses.cu) against the CPU losses: binary cross-entropy on
//! probabilities and on logits, cross-entropy (weights, an ignored row, label smoothing) and
//! NLL, every reduction, the output and the gradients of input and (where it has one) target
//! (|a - b| <= 1e-5 + 1e-4 |b|). Needs GPU tensors (see `common::gpu_device`); skipped, saying
//! why, otherwise.
#![cfg(feature = "cuda")]

mod common;

use seqtorch_core::autograd::backward;
use seqtorch_core::nn::loss::{bce, bce_with_logits, cross_entropy, nll, Reduction};
use seqtorch_core::{Device, Result, Tensor};

type Loss = Box<dyn Fn(&Tensor, &Tensor, Reduction) -> Result<Tensor>>;

fn close(what: &str, a: &[f32], b: &[f32]) {
    assert_eq!(a.len(), b.len(), "{what}: length");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!(
            (x - y).abs() <= 1e-5 + 1e-4 * y.abs() || (x.is_nan() && y.is_nan()),
            "{what}[{i}]: gpu {x} vs cpu {y}"
        );
    }
}

/// Runs `loss` on `device` and returns the output and the gradients of input and target.
fn run(loss: &Loss, x: &Tensor, t: &Tensor, reduction: Reduction, device: Device) -> Vec<Vec<f32>> {
    let x = x
        .to_device(device)
        .and_then(|v| v.requires_grad_(true))
        .unwrap();
    let t = t.to_device(device).unwrap();
    let t = if t.dtype() == seqtorch_core::DType::F32 {
        t.requires_grad_(true).unwrap()
    } else {
        t
    };
    let out = loss(&x, &t, reduction).unwrap();
    assert_eq!(out.device(), device);
    let g = Tensor::from_f32(common::values(out.numel(), 5), out.shape().to_vec())
        .and_then(|g| g.to_device(device))
        .unwrap();
    backward(&out, Some(&g), false).unwrap();
    let mut v = vec![out.to_vec_f32(), x.grad().unwrap().to_vec_f32()];
    v.extend(t.grad().map(|g| g.to_vec_f32()));
    v
}

#[test]
fn every_kernel_loss_matches_the_cpu() {
    let (n, c) = (8, 5);
    let probs: Vec<f32> = common::values(n * c, 1)
        .iter()
        .map(|v| 0.5 + 0.49 * v)
        .collect();
    let logits = Tensor::from_f32(
        common::values(n * c, 2).iter().map(|v| 4.0 * v).collect(),
        vec![n, c],
    )
    .unwrap();
    let soft_t = Tensor::from_f32(
        common::values(n * c, 3)
            .iter()
            .map(|v| 0.5 + 0.5 * v)
            .collect(),
        vec![n, c],
    )
    .unwrap();
    let classes = Tensor::from_i64(vec![1, 0, -100, 4, 2, 3, 3, 0], vec![n]).unwrap();
    let w: Vec<f32> = (0..c).map(|k| 0.5 + k as f32 * 0.25).collect();
    let wide: Vec<f32> = (0..n * c).map(|k| 0.5 + (k % 3) as f32 * 0.5).collect();
    let cases: Vec<(&str, Tensor, Tensor, Loss)> = vec![
        (
            "bce",
            Tensor::from_f32(probs, vec![n, c]).unwrap(),
            soft_t.clone(),
            Box::new(|x, t, r| bce(x, t, None, r)),
        ),
        ("bce_with_logits weighted", logits.clone(), soft_t, {
            let w = wide.clone();
            Box::new(move |x, t, r| bce_with_logits(x, t, Some(&w), Some(&w), r))
        }),
        (
            "cross_entropy smoothing",
            logits.clone(),
            classes.clone(),
            {
                let w = w.clone();
                Box::new(move |x, t, r| cross_entropy(x, t, Some(&w), -100, 0.1, r))
            },
        ),
        (
            "nll",
            logits,
            classes,
            Box::new(|x, t, r| nll(x, t, None, -100, r)),
        ),
    ];
    // The CPU runs first, GPU or not, so the harness itself is exercised everywhere.
    let reductions = [Reduction::None, Reduction::Sum, Reduction::Mean];
    let cpu: Vec<Vec<Vec<f32>>> = cases
        .iter()
        .flat_map(|(_, x, t, loss)| reductions.map(|r| run(loss, x, t, r, Device::Cpu)))
        .collect();
    let Some(gpu) = common::gpu_device() else {
        return;
    };
    let mut expected = cpu.iter();
    for (name, x, t, loss) in &cases {
        for reduction in reductions {
            let on_gpu = run(loss, x, t, reduction, gpu);
            let on_cpu = expected.next().expect("one CPU run per case and reduction");
            assert_eq!(on_gpu.len(), on_cpu.len(), "{name}: gradients present");
            for (k, (a, b)) in on_gpu.iter().zip(on_cpu.iter()).enumerate() {
                close(&format!("{name} {reduction:?} part {k}"), a, b);
            }
        }
    }
}
