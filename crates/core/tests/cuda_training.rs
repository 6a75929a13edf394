//! Training on a GPU against the same training on the CPU: the seed notebook's two model shapes
//! (an LSTM forecaster with MSE, an embedding + GRU classifier with BCE-with-logits), Adam, and
//! gradient clipping, five steps from the same initial weights; every step's loss and the final
//! weights must agree (|a - b| <= 1e-4 + 1e-3 |b|: cuBLAS and the CPU kernels sum in different
//! orders, and the difference grows over steps). Needs a GPU and GPU tensors switched on
//! (`SEQTORCH_EXPERIMENTAL_CUDA=1`, set by `tools/gpu_check.sh run`); skipped, saying why,
//! otherwise, and `SEQTORCH_REQUIRE_GPU` turns the skip into a failure.
#![cfg(feature = "cuda")]

mod common;

use seqtorch_core::autograd::backward;
use seqtorch_core::nn::loss::{bce_with_logits, mse, Reduction};
use seqtorch_core::nn::{embedding, linear};
use seqtorch_core::optim::{adam_step, clip_grad_norm, AdamConfig, ParamState};
use seqtorch_core::rnn::{rnn_forward, RnnConfig, RnnInput, RnnMode};
use seqtorch_core::{Device, Result, Tensor};

fn values(n: usize, seed: u64, scale: f32) -> Vec<f32> {
    let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0) * scale
        })
        .collect()
}

fn param(shape: &[usize], seed: u64, device: Device) -> Tensor {
    let n = shape.iter().product();
    Tensor::from_f32(values(n, seed, 0.4), shape.to_vec())
        .unwrap()
        .to_device(device)
        .unwrap()
        .requires_grad_(true)
        .unwrap()
}

fn data(t: &Tensor) -> Vec<f32> {
    t.host().unwrap().f32("test").unwrap().to_vec()
}

fn lstm_config() -> RnnConfig {
    RnnConfig {
        mode: RnnMode::Lstm,
        input_size: 1,
        hidden_size: 16,
        num_layers: 2,
        bias: true,
        batch_first: true,
        dropout: 0.0,
        bidirectional: false,
        proj_size: 0,
    }
}

/// Five Adam steps of an LSTM forecaster on `device`: the losses and the final weights.
fn train_forecaster(device: Device) -> Result<(Vec<f32>, Vec<Vec<f32>>)> {
    let cfg = lstm_config();
    let mut params: Vec<Tensor> = cfg
        .weight_shapes()
        .iter()
        .enumerate()
        .map(|(i, s)| param(s, 10 + i as u64, device))
        .collect();
    params.push(param(&[1, 16], 50, device));
    params.push(param(&[1], 51, device));
    let (batch, steps) = (8, 12);
    let series: Vec<f32> = (0..batch * (steps + 1))
        .map(|i| (i as f32 / 5.0).sin())
        .collect();
    let x: Vec<f32> = (0..batch)
        .flat_map(|b| series[b * (steps + 1)..b * (steps + 1) + steps].to_vec())
        .collect();
    let y: Vec<f32> = (0..batch)
        .map(|b| series[b * (steps + 1) + steps])
        .collect();
    let x = Tensor::from_f32(x, vec![batch, steps, 1])?.to_device(device)?;
    let y = Tensor::from_f32(y, vec![batch, 1])?.to_device(device)?;
    let adam = AdamConfig {
        lr: 0.01,
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        weight_decay: 0.0,
        amsgrad: false,
        decoupled: false,
        maximize: false,
    };
    let mut states = vec![ParamState::default(); params.len()];
    let n_rnn = cfg.weight_shapes().len();
    let mut losses = Vec::new();
    for _ in 0..5 {
        params.iter().try_for_each(|p| p.set_grad(None))?;
        let out = rnn_forward(
            &cfg,
            RnnInput {
                input: &x,
                batch_sizes: None,
                hx: None,
                cx: None,
                weights: &params[..n_rnn],
                training: true,
            },
        )?;
        let last = out.output.select(1, -1)?;
        let pred = linear(&last, &params[n_rnn], Some(&params[n_rnn + 1]))?;
        let loss = mse(&pred, &y, Reduction::Mean)?;
        losses.push(loss.item()? as f32);
        backward(&loss, None, false)?;
        clip_grad_norm(&params, 1.0, 2.0, false)?;
        adam_step(&adam, &params, &mut states)?;
    }
    Ok((losses, params.iter().map(data).collect()))
}

/// Five Adam steps of an embedding + GRU sentiment classifier on `device`.
fn train_classifier(device: Device) -> Result<(Vec<f32>, Vec<Vec<f32>>)> {
    let cfg = RnnConfig {
        mode: RnnMode::Gru,
        input_size: 8,
        hidden_size: 12,
        num_layers: 1,
        bias: true,
        batch_first: true,
        dropout: 0.0,
        bidirectional: false,
        proj_size: 0,
    };
    let mut params = vec![param(&[20, 8], 5, device)];
    params.extend(
        cfg.weight_shapes()
            .iter()
            .enumerate()
            .map(|(i, s)| param(s, 30 + i as u64, device)),
    );
    params.push(param(&[1, 12], 60, device));
    params.push(param(&[1], 61, device));
    let tokens: Vec<i64> = (0..6 * 7).map(|i| (i * 7 % 19 + 1) as i64).collect();
    let tokens = Tensor::from_i64(tokens, vec![6, 7])?.to_device(device)?;
    let labels =
        Tensor::from_f32(vec![1.0, 0.0, 1.0, 1.0, 0.0, 0.0], vec![6, 1])?.to_device(device)?;
    let adam = AdamConfig {
        lr: 0.02,
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        weight_decay: 0.01,
        amsgrad: false,
        decoupled: true,
        maximize: false,
    };
    let mut states = vec![ParamState::default(); params.len()];
    let n = params.len();
    let mut losses = Vec::new();
    for _ in 0..5 {
        params.iter().try_for_each(|p| p.set_grad(None))?;
        let emb = embedding(&params[0], &tokens, Some(0))?;
        let out = rnn_forward(
            &cfg,
            RnnInput {
                input: &emb,
                batch_sizes: None,
                hx: None,
                cx: None,
                weights: &params[1..n - 2],
                training: true,
            },
        )?;
        let logits = linear(&out.h_n.select(0, 0)?, &params[n - 2], Some(&params[n - 1]))?;
        let loss = bce_with_logits(&logits, &labels, None, None, Reduction::Mean)?;
        losses.push(loss.item()? as f32);
        backward(&loss, None, false)?;
        adam_step(&adam, &params, &mut states)?;
    }
    Ok((losses, params.iter().map(data).collect()))
}

fn agree(what: &str, gpu: &[f32], cpu: &[f32]) {
    assert_eq!(gpu.len(), cpu.len(), "{what}: length");
    for (i, (a, b)) in gpu.iter().zip(cpu).enumerate() {
        assert!(
            (a - b).abs() <= 1e-4 + 1e-3 * b.abs(),
            "{what}: element {i}: gpu {a} vs cpu {b}"
        );
    }
}

#[test]
fn lstm_forecaster_trains_on_the_gpu_as_on_the_cpu() {
    let Some(device) = common::gpu_device() else {
        return;
    };
    let (cpu_losses, cpu_params) = train_forecaster(Device::Cpu).unwrap();
    let (gpu_losses, gpu_params) = train_forecaster(device).unwrap_or_else(|e| panic!("{e}"));
    eprintln!("losses cpu {cpu_losses:?}\n       gpu {gpu_losses:?}");
    agree("losses", &gpu_losses, &cpu_losses);
    for (i, (g, c)) in gpu_params.iter().zip(&cpu_params).enumerate() {
        agree(&format!("parameter {i}"), g, c);
    }
}

#[test]
fn embedding_gru_classifier_trains_on_the_gpu_as_on_the_cpu() {
    let Some(device) = common::gpu_device() else {
        return;
    };
    let (cpu_losses, cpu_params) = train_classifier(Device::Cpu).unwrap();
    let (gpu_losses, gpu_params) = train_classifier(device).unwrap_or_else(|e| panic!("{e}"));
    eprintln!("losses cpu {cpu_losses:?}\n       gpu {gpu_losses:?}");
    agree("losses", &gpu_losses, &cpu_losses);
    for (i, (g, c)) in gpu_params.iter().zip(&cpu_params).enumerate() {
        agree(&format!("parameter {i}"), g, c);
    }
}

#[test]
fn the_training_runs_themselves_work_on_the_cpu() {
    // The scaffolding of the two checks above, run where every machine can: losses fall.
    for (name, (losses, _)) in [
        ("forecaster", train_forecaster(Device::Cpu).unwrap()),
        ("classifier", train_classifier(Device::Cpu).unwrap()),
    ] {
        assert!(losses.iter().all(|l| l.is_finite()), "{name}: {losses:?}");
        assert!(losses[4] < losses[0], "{name}: {losses:?}");
    }
}
