//! Finite-difference gradient checking shared by the gradient test files.
//!
//! The loss is `sum(f(inputs) * w)` with fixed random weights `w`, so each check covers a full
//! vector-Jacobian product rather than one output. float32 throughout: step 1e-2 keeps the
//! truncation error near 1e-4, and the tolerance |analytic - numeric| <= 3e-3 + 3e-3|numeric|
//! still fails for any wrong factor, sign or transposition.
#![allow(dead_code)]

use seqtorch_core::autograd::{backward, NoGradGuard};
use seqtorch_core::rnn::{RnnConfig, RnnMode};
use seqtorch_core::{Device, Result, Tensor};

/// Deterministic values in [-1, 1) (tests must not share the global generator).
pub fn values(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect()
}

pub fn leaf(data: Vec<f32>, shape: &[usize]) -> Tensor {
    leaf_on(Device::Cpu, data, shape)
}

/// A leaf that requires grad, made on `device`.
pub fn leaf_on(device: Device, data: Vec<f32>, shape: &[usize]) -> Tensor {
    on(device, data, shape).requires_grad_(true).unwrap()
}

fn on(device: Device, data: Vec<f32>, shape: &[usize]) -> Tensor {
    Tensor::from_f32(data, shape.to_vec())
        .unwrap()
        .to_device(device)
        .unwrap()
}

fn weighted_loss(out: &Tensor, w: &Tensor) -> Result<Tensor> {
    out.mul(w)?.sum(None, false)
}

/// Checks d(sum(f(x) * w))/dx for every input against central differences, once on every
/// device this build can use (the CPU; GPUs where the CUDA backend finds one).
pub fn check(
    name: &str,
    inputs: Vec<(Vec<f32>, Vec<usize>)>,
    f: impl Fn(&[Tensor]) -> Result<Tensor>,
) {
    for device in Device::available() {
        check_on(device, &format!("{name} on {device}"), &inputs, &f);
    }
}

fn check_on(
    device: Device,
    name: &str,
    inputs: &[(Vec<f32>, Vec<usize>)],
    f: &impl Fn(&[Tensor]) -> Result<Tensor>,
) {
    let tensors: Vec<Tensor> = inputs
        .iter()
        .map(|(d, s)| leaf_on(device, d.clone(), s))
        .collect();
    let out = f(&tensors).unwrap();
    assert_eq!(out.device(), device, "{name}: result left the device");
    let w = on(device, values(out.numel(), 99), out.shape());
    backward(&weighted_loss(&out, &w).unwrap(), None, false).unwrap();

    let eps = 1e-2f32;
    let _ng = NoGradGuard::new();
    for (i, (data, shape)) in inputs.iter().enumerate() {
        let analytic = tensors[i]
            .grad()
            .unwrap_or_else(|| panic!("{name}: input {i} got no grad"))
            .to_vec_f32();
        assert_eq!(
            analytic.len(),
            data.len(),
            "{name}: grad {i} has the wrong size"
        );
        for j in 0..data.len() {
            let eval = |delta: f32| -> f64 {
                let mut args: Vec<Tensor> = inputs
                    .iter()
                    .map(|(d, s)| on(device, d.clone(), s))
                    .collect();
                let mut moved = data.clone();
                moved[j] += delta;
                args[i] = on(device, moved, shape);
                weighted_loss(&f(&args).unwrap(), &w)
                    .unwrap()
                    .item()
                    .unwrap()
            };
            let numeric = ((eval(eps) - eval(-eps)) / (2.0 * eps as f64)) as f32;
            let a = analytic[j];
            assert!(
                (a - numeric).abs() <= 3e-3 + 3e-3 * numeric.abs(),
                "{name}: d/d input{i}[{j}]: analytic {a} vs numeric {numeric}"
            );
        }
    }
}

pub fn arg(n: usize, shape: &[usize], seed: u64) -> (Vec<f32>, Vec<usize>) {
    assert_eq!(n, shape.iter().product::<usize>());
    (values(n, seed), shape.to_vec())
}

/// Values bounded away from 0 (for log, division, relu kinks).
pub fn away_from_zero(n: usize, shape: &[usize], seed: u64) -> (Vec<f32>, Vec<usize>) {
    let v = values(n, seed)
        .into_iter()
        .map(|x| if x >= 0.0 { x + 0.2 } else { x - 0.2 })
        .collect();
    (v, shape.to_vec())
}

pub fn positive(n: usize, shape: &[usize], seed: u64) -> (Vec<f32>, Vec<usize>) {
    (
        values(n, seed).into_iter().map(|x| x.abs() + 0.3).collect(),
        shape.to_vec(),
    )
}

/// A unidirectional, time-major stack with biases and no dropout or projection.
pub fn rnn_config(mode: RnnMode, input: usize, hidden: usize, layers: usize) -> RnnConfig {
    RnnConfig {
        mode,
        input_size: input,
        hidden_size: hidden,
        num_layers: layers,
        bias: true,
        batch_first: false,
        dropout: 0.0,
        bidirectional: false,
        proj_size: 0,
    }
}

/// Every weight of `cfg`'s stack as a leaf that requires grad: deterministic values scaled by
/// 0.3 to stay away from saturation (seeds 10, 11, ... in weight order).
pub fn rnn_weights(cfg: &RnnConfig) -> Vec<Tensor> {
    cfg.weight_shapes()
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let v = values(s.iter().product(), 10 + i as u64);
            leaf(v.into_iter().map(|v| v * 0.3).collect(), s)
        })
        .collect()
}

/// A training pass of `cfg`'s stack on deterministic input (time-major `x_shape`, or packed rows
/// with `batch_sizes`): loss sum(output) + sum(h_n^2). Returns the output, h_n, c_n (LSTM),
/// the input's gradient and every weight's gradient, for comparing two ways of computing them.
pub fn rnn_outputs_and_grads(
    cfg: &RnnConfig,
    x_shape: &[usize],
    batch_sizes: Option<&[usize]>,
) -> Vec<Vec<f32>> {
    rnn_results(cfg, x_shape, batch_sizes, true, false)
}

/// `rnn_outputs_and_grads`, with the input a leaf that requires grad or plain data (whose
/// gradient the first layer then does not compute), and with zero initial states or given
/// ones that require grad (their gradients follow the weights' in the results).
pub fn rnn_results(
    cfg: &RnnConfig,
    x_shape: &[usize],
    batch_sizes: Option<&[usize]>,
    input_grad: bool,
    initial_state: bool,
) -> Vec<Vec<f32>> {
    use seqtorch_core::rnn::{rnn_forward, RnnInput};
    let n: usize = x_shape.iter().product();
    let x = if input_grad {
        leaf(values(n, 1), x_shape)
    } else {
        Tensor::from_f32(values(n, 1), x_shape.to_vec()).unwrap()
    };
    let weights = rnn_weights(cfg);
    let batch = batch_sizes.map_or(x_shape[usize::from(!cfg.batch_first)], |b| b[0]);
    let states = cfg.num_layers * if cfg.bidirectional { 2 } else { 1 };
    let state =
        |size: usize, seed: u64| leaf(values(states * batch * size, seed), &[states, batch, size]);
    let (hx, cx) = if initial_state {
        let cx = (cfg.mode == seqtorch_core::rnn::RnnMode::Lstm).then(|| state(cfg.hidden_size, 3));
        (Some(state(cfg.output_size(), 2)), cx)
    } else {
        (None, None)
    };
    let out = rnn_forward(
        cfg,
        RnnInput {
            input: &x,
            batch_sizes,
            hx: hx.as_ref(),
            cx: cx.as_ref(),
            weights: &weights,
            training: true,
        },
    )
    .unwrap();
    let loss = out
        .output
        .sum(None, false)
        .unwrap()
        .add(&out.h_n.mul(&out.h_n).unwrap().sum(None, false).unwrap())
        .unwrap();
    backward(&loss, None, false).unwrap();
    let mut all = vec![out.output.to_vec_f32(), out.h_n.to_vec_f32()];
    if let Some(c_n) = &out.c_n {
        all.push(c_n.to_vec_f32());
    }
    if input_grad {
        all.push(x.grad().unwrap().to_vec_f32());
    }
    all.extend(weights.iter().map(|w| w.grad().unwrap().to_vec_f32()));
    all.extend(hx.iter().chain(&cx).map(|s| s.grad().unwrap().to_vec_f32()));
    all
}

/// Whether a GPU and every CUDA library are usable; otherwise prints why and returns false, or
/// fails when `SEQTORCH_REQUIRE_GPU` is set (the GPU check sets it).
#[cfg(feature = "cuda")]
pub fn gpu_usable() -> bool {
    let s = seqtorch_core::backend::cuda::status();
    if s.driver_devices.unwrap_or(0) > 0 && s.libraries.iter().all(|(_, ok)| *ok) {
        return true;
    }
    let why = s.reason.unwrap_or_default();
    assert!(
        std::env::var_os("SEQTORCH_REQUIRE_GPU").is_none(),
        "SEQTORCH_REQUIRE_GPU is set but no GPU is usable: {why}"
    );
    eprintln!("skipped: {why}");
    false
}

/// cuda:0 when GPU tensors can be made (a GPU, every library, and `SEQTORCH_EXPERIMENTAL_CUDA=1`);
/// otherwise prints why and returns None, or fails when `SEQTORCH_REQUIRE_GPU` is set.
#[cfg(feature = "cuda")]
pub fn gpu_device() -> Option<Device> {
    use seqtorch_core::backend::cuda;
    if cuda::is_available() {
        return Some(Device::Cuda(0));
    }
    let why = cuda::status()
        .reason
        .unwrap_or_else(|| format!("{} is not 1", cuda::EXPERIMENTAL_ENV));
    assert!(
        std::env::var_os("SEQTORCH_REQUIRE_GPU").is_none(),
        "SEQTORCH_REQUIRE_GPU is set but no GPU tensors can be made: {why}"
    );
    eprintln!("skipped: {why}");
    None
}
