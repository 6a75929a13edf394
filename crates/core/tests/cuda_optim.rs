//! The optimizers' CUDA kernels against the CPU optimizers: every kernel (SGD with and without
//! momentum, Adam and AMSGrad, the four RMSprop variants), three steps from the same parameter
//! and gradients, then the parameters and every state buffer compared
//! (|a - b| <= 1e-6 + 1e-5 |b|: the GPU may contract to FMA). Also a state buffer loaded as a
//! view into a larger tensor is updated through a private copy, on the CPU and the GPU; and
//! gradient-norm clipping on the GPU agrees with the CPU's. The GPU parts need
//! GPU tensors (see `common::gpu_device`) and say why they were skipped otherwise.
#![cfg(feature = "cuda")]

mod common;

use seqtorch_core::optim::{
    adam_step, clip_grad_norm, rmsprop_step, sgd_step, AdamConfig, ParamState, RmsPropConfig,
    SgdConfig,
};
use seqtorch_core::{Device, Result, Tensor};

type Step = Box<dyn Fn(&[Tensor], &mut [ParamState]) -> Result<()>>;

fn optimizers() -> Vec<(&'static str, Step)> {
    let sgd = SgdConfig {
        lr: 0.1,
        momentum: 0.0,
        dampening: 0.0,
        nesterov: false,
        weight_decay: 0.01,
        maximize: false,
    };
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
    let rms = RmsPropConfig {
        lr: 0.01,
        alpha: 0.99,
        eps: 1e-8,
        weight_decay: 0.0,
        momentum: 0.0,
        centered: false,
        maximize: false,
    };
    let mut v: Vec<(&'static str, Step)> = Vec::new();
    v.push(("sgd", Box::new(move |p, s| sgd_step(&sgd, p, s))));
    let nesterov = SgdConfig {
        momentum: 0.9,
        nesterov: true,
        ..sgd
    };
    v.push((
        "sgd nesterov",
        Box::new(move |p, s| sgd_step(&nesterov, p, s)),
    ));
    v.push(("adam", Box::new(move |p, s| adam_step(&adam, p, s))));
    let adamw = AdamConfig {
        amsgrad: true,
        decoupled: true,
        weight_decay: 0.01,
        ..adam
    };
    v.push((
        "adamw amsgrad",
        Box::new(move |p, s| adam_step(&adamw, p, s)),
    ));
    for (name, centered, momentum) in [
        ("rmsprop", false, 0.0),
        ("rmsprop centered", true, 0.0),
        ("rmsprop momentum", false, 0.9),
        ("rmsprop centered momentum", true, 0.5),
    ] {
        let cfg = RmsPropConfig {
            centered,
            momentum,
            ..rms
        };
        v.push((name, Box::new(move |p, s| rmsprop_step(&cfg, p, s))));
    }
    v
}

fn close(what: &str, a: &[f32], b: &[f32]) {
    assert_eq!(a.len(), b.len(), "{what}: length");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!(
            (x - y).abs() <= 1e-6 + 1e-5 * y.abs(),
            "{what}[{i}]: gpu {x} vs cpu {y}"
        );
    }
}

/// Three steps of `step` on `device`; the parameter and the state after them.
fn train(step: &Step, device: Device) -> (Vec<f32>, ParamState) {
    let n = 1000;
    let p = Tensor::from_f32(common::values(n, 1), vec![n])
        .and_then(|t| t.to_device(device))
        .and_then(|t| t.requires_grad_(true))
        .unwrap();
    let mut states = vec![ParamState::default()];
    for k in 0..3 {
        let g = Tensor::from_f32(common::values(n, 10 + k), vec![n])
            .and_then(|t| t.to_device(device))
            .unwrap();
        p.set_grad(Some(g)).unwrap();
        step(std::slice::from_ref(&p), &mut states).unwrap();
    }
    (p.to_vec_f32(), states.remove(0))
}

#[test]
fn every_optimizer_kernel_matches_the_cpu() {
    let Some(gpu) = common::gpu_device() else {
        return;
    };
    for (name, step) in optimizers() {
        let (p_gpu, s_gpu) = train(&step, gpu);
        let (p_cpu, s_cpu) = train(&step, Device::Cpu);
        close(&format!("{name}: parameter"), &p_gpu, &p_cpu);
        assert_eq!(s_gpu.step, s_cpu.step, "{name}: step");
        assert_eq!(
            s_gpu.buffers.keys().collect::<Vec<_>>(),
            s_cpu.buffers.keys().collect::<Vec<_>>(),
            "{name}: state buffers"
        );
        for (key, t) in &s_cpu.buffers {
            let g = &s_gpu.buffers[key];
            assert_eq!(g.device(), gpu, "{name}: {key} left the GPU");
            close(&format!("{name}: {key}"), &g.to_vec_f32(), &t.to_vec_f32());
        }
    }
}

#[test]
fn a_shared_state_buffer_is_copied_before_the_update() {
    shared_buffer_on(Device::Cpu);
    if let Some(gpu) = common::gpu_device() {
        shared_buffer_on(gpu);
    }
}

fn shared_buffer_on(device: Device) {
    let n = 8;
    let on =
        |v: Vec<f32>| Tensor::from_f32(v.clone(), vec![v.len()]).and_then(|t| t.to_device(device));
    let p = on(vec![1.0; n])
        .and_then(|t| t.requires_grad_(true))
        .unwrap();
    p.set_grad(Some(on(vec![0.5; n]).unwrap())).unwrap();
    // A buffer that is a view into a larger tensor (as a loaded checkpoint can give).
    let whole = on(vec![0.25; 2 * n]).unwrap();
    let mut state = ParamState::default();
    state.buffers.insert(
        "momentum_buffer".into(),
        whole.narrow(0, 0, n as i64).unwrap(),
    );
    let cfg = SgdConfig {
        lr: 0.1,
        momentum: 0.9,
        dampening: 0.0,
        nesterov: false,
        weight_decay: 0.0,
        maximize: false,
    };
    let mut states = vec![state];
    sgd_step(&cfg, std::slice::from_ref(&p), &mut states).unwrap();
    // The tensor it came from keeps its values; the state holds 0.9 * 0.25 + 0.5.
    assert_eq!(whole.to_vec_f32(), vec![0.25; 2 * n], "on {device}");
    let buffer = &states[0].buffers["momentum_buffer"];
    assert_eq!(buffer.device(), device);
    close("buffer", &buffer.to_vec_f32(), &[0.725; 8]);
    close("param", &p.to_vec_f32(), &[1.0 - 0.1 * 0.725; 8]);
}

/// `clip_grad_norm` with the gradients on the GPU (tensor ops, one number read back) against the
/// CPU path: norms of order 1, 2 and 3, clipping and not clipping, over two gradients.
#[test]
fn gradient_norm_clipping_on_the_gpu_matches_the_cpu() {
    let Some(gpu) = common::gpu_device() else {
        return;
    };
    let grads_on = |device: Device| -> Vec<Tensor> {
        [(300usize, 3u64), (45, 4)]
            .iter()
            .map(|&(n, seed)| {
                let p = Tensor::from_f32(vec![0.0; n], vec![n])
                    .and_then(|t| t.to_device(device))
                    .and_then(|t| t.requires_grad_(true))
                    .unwrap();
                let g = Tensor::from_f32(common::values(n, seed), vec![n])
                    .and_then(|t| t.to_device(device))
                    .unwrap();
                p.set_grad(Some(g)).unwrap();
                p
            })
            .collect()
    };
    for norm_type in [1.0, 2.0, 3.0] {
        for max_norm in [0.5, 1e6] {
            let (on_gpu, on_cpu) = (grads_on(gpu), grads_on(Device::Cpu));
            let n_gpu = clip_grad_norm(&on_gpu, max_norm, norm_type, false).unwrap();
            let n_cpu = clip_grad_norm(&on_cpu, max_norm, norm_type, false).unwrap();
            let what = format!("order {norm_type}, max {max_norm}");
            assert!(
                (n_gpu - n_cpu).abs() <= 1e-5 * n_cpu,
                "{what}: norm {n_gpu} vs {n_cpu}"
            );
            for (a, b) in on_gpu.iter().zip(&on_cpu) {
                let (ga, gb) = (a.grad().unwrap(), b.grad().unwrap());
                assert_eq!(ga.device(), gpu);
                close(&what, &ga.to_vec_f32(), &gb.to_vec_f32());
            }
        }
    }
}
