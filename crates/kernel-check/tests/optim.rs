//! optim.cu against seqtorch's CPU optimizers, bit for bit: for every variant of SGD, Adam/AdamW
//! and RMSprop, three steps of the CPU `*_step` and three host runs of the kernel that the
//! optimizer's own `*_device_update` names, with the buffers and arguments it gives. Plain IEEE
//! arithmetic in the same order on both sides (the host build does not contract to FMA), so the
//! parameters and every state buffer must agree exactly. On a GPU, FMA contraction may change
//! the last bit; the GPU check compares with a tolerance.

mod common;

use std::collections::BTreeMap;

use common::values;
use seqtorch_core::backend::kernel_args::KernelArgs;
use seqtorch_core::optim::{
    adam_device_update, adam_step, rmsprop_device_update, rmsprop_step, sgd_device_update,
    sgd_step, AdamConfig, DeviceUpdate, ParamState, RmsPropConfig, SgdConfig,
};
use seqtorch_core::{Result, Tensor};
use seqtorch_kernel_check::{emulate, grids, kernels as k};

const N: usize = 37;
const STEPS: usize = 3;

/// Runs the kernel `call` names over `p` and the buffers (in `call.buffers` order).
fn run_kernel(call: &DeviceUpdate, p: &mut [f32], bufs: &mut [Vec<f32>], grad: &[f32]) {
    let n = p.len() as u64;
    let b: Vec<*mut f32> = bufs.iter_mut().map(|v| v.as_mut_ptr()).collect();
    let (pp, g) = (p.as_mut_ptr(), grad.as_ptr());
    let (grid, block) = grids(p.len())[1];
    emulate(grid, block, || unsafe {
        match (call.kernel, call.args) {
            ("sgd_step", KernelArgs::Sgd(a)) => k::sgd_step(pp, g, a, n),
            ("sgd_step_momentum", KernelArgs::Sgd(a)) => k::sgd_step_momentum(pp, b[0], g, a, n),
            ("adam_step", KernelArgs::Adam(a)) => k::adam_step(pp, b[0], b[1], g, a, n),
            ("adam_step_amsgrad", KernelArgs::Adam(a)) => {
                k::adam_step_amsgrad(pp, b[0], b[1], b[2], g, a, n)
            }
            ("rmsprop_step", KernelArgs::RmsProp(a)) => k::rmsprop_step(pp, b[0], g, a, n),
            ("rmsprop_step_centered", KernelArgs::RmsProp(a)) => {
                k::rmsprop_step_centered(pp, b[0], b[1], g, a, n)
            }
            ("rmsprop_step_momentum", KernelArgs::RmsProp(a)) => {
                k::rmsprop_step_momentum(pp, b[0], b[1], g, a, n)
            }
            ("rmsprop_step_centered_momentum", KernelArgs::RmsProp(a)) => {
                k::rmsprop_step_centered_momentum(pp, b[0], b[1], b[2], g, a, n)
            }
            (name, args) => panic!("no host launch for {name} with {args:?}"),
        }
    });
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// Three steps on the CPU optimizer and on the kernel; parameters, buffers and step counts
/// must be identical.
fn compare(
    what: &str,
    cpu_step: impl Fn(&[Tensor], &mut [ParamState]) -> Result<()>,
    device_update: impl Fn(&ParamState) -> DeviceUpdate,
) {
    let p0 = values(N, 1, 1.0);
    let param = Tensor::from_f32(p0.clone(), vec![N])
        .and_then(|t| t.requires_grad_(true))
        .unwrap();
    let mut cpu_states = vec![ParamState::default()];
    let mut p = p0;
    let mut state = ParamState::default();
    let mut host_bufs: BTreeMap<&str, Vec<f32>> = BTreeMap::new();
    for step in 0..STEPS {
        let grad = values(N, 10 + step as u64, 0.5);
        param
            .set_grad(Some(Tensor::from_f32(grad.clone(), vec![N]).unwrap()))
            .unwrap();
        cpu_step(std::slice::from_ref(&param), &mut cpu_states).unwrap();

        let call = device_update(&state);
        let mut bufs: Vec<Vec<f32>> = call
            .buffers
            .iter()
            .map(|name| host_bufs.remove(name).unwrap_or_else(|| vec![0.0; N]))
            .collect();
        run_kernel(&call, &mut p, &mut bufs, &grad);
        for (name, v) in call.buffers.iter().zip(bufs) {
            state.buffers.insert(
                name.to_string(),
                Tensor::from_f32(v.clone(), vec![N]).unwrap(),
            );
            host_bufs.insert(name, v);
        }
        state.step = call.step;

        let cpu = param.to_vec_f32();
        assert_eq!(bits(&p), bits(&cpu), "{what}: parameter after step {step}");
        assert_eq!(state.step, cpu_states[0].step, "{what}: step count");
        let names: Vec<&String> = cpu_states[0].buffers.keys().collect();
        assert_eq!(
            names,
            state.buffers.keys().collect::<Vec<_>>(),
            "{what}: state buffers"
        );
        for (name, t) in &cpu_states[0].buffers {
            assert_eq!(
                bits(&host_bufs[name.as_str()]),
                bits(&t.to_vec_f32()),
                "{what}: buffer {name} after step {step}"
            );
        }
    }
}

#[test]
fn sgd_kernels_match_the_cpu_optimizer() {
    let base = SgdConfig {
        lr: 0.1,
        momentum: 0.0,
        dampening: 0.0,
        nesterov: false,
        weight_decay: 0.0,
        maximize: false,
    };
    for (what, cfg) in [
        ("plain", base),
        (
            "weight decay, maximize",
            SgdConfig {
                weight_decay: 0.01,
                maximize: true,
                ..base
            },
        ),
        (
            "momentum",
            SgdConfig {
                momentum: 0.9,
                ..base
            },
        ),
        (
            "momentum, dampening",
            SgdConfig {
                momentum: 0.9,
                dampening: 0.3,
                ..base
            },
        ),
        (
            "nesterov, decay",
            SgdConfig {
                momentum: 0.8,
                nesterov: true,
                weight_decay: 0.1,
                ..base
            },
        ),
    ] {
        compare(
            &format!("SGD {what}"),
            |p, s| sgd_step(&cfg, p, s),
            |s| sgd_device_update(&cfg, s),
        );
    }
}

#[test]
fn adam_kernels_match_the_cpu_optimizer() {
    let base = AdamConfig {
        lr: 0.01,
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        weight_decay: 0.0,
        amsgrad: false,
        decoupled: false,
        maximize: false,
    };
    for (what, cfg) in [
        ("plain", base),
        (
            "weight decay",
            AdamConfig {
                weight_decay: 0.05,
                ..base
            },
        ),
        (
            "AdamW",
            AdamConfig {
                weight_decay: 0.05,
                decoupled: true,
                ..base
            },
        ),
        (
            "amsgrad, maximize",
            AdamConfig {
                amsgrad: true,
                maximize: true,
                ..base
            },
        ),
        (
            "AdamW amsgrad",
            AdamConfig {
                amsgrad: true,
                decoupled: true,
                weight_decay: 0.01,
                ..base
            },
        ),
    ] {
        compare(
            &format!("Adam {what}"),
            |p, s| adam_step(&cfg, p, s),
            |s| adam_device_update(&cfg, s),
        );
    }
}

#[test]
fn rmsprop_kernels_match_the_cpu_optimizer() {
    let base = RmsPropConfig {
        lr: 0.01,
        alpha: 0.99,
        eps: 1e-8,
        weight_decay: 0.0,
        momentum: 0.0,
        centered: false,
        maximize: false,
    };
    for (what, cfg) in [
        ("plain", base),
        (
            "decay, maximize",
            RmsPropConfig {
                weight_decay: 0.1,
                maximize: true,
                ..base
            },
        ),
        (
            "centered",
            RmsPropConfig {
                centered: true,
                ..base
            },
        ),
        (
            "momentum",
            RmsPropConfig {
                momentum: 0.9,
                ..base
            },
        ),
        (
            "centered momentum",
            RmsPropConfig {
                centered: true,
                momentum: 0.5,
                ..base
            },
        ),
    ] {
        compare(
            &format!("RMSprop {what}"),
            |p, s| rmsprop_step(&cfg, p, s),
            |s| rmsprop_device_update(&cfg, s),
        );
    }
}

#[test]
fn argument_structs_have_the_c_layout() {
    use seqtorch_kernel_check::kernels::{AdamArgs, RmsPropArgs, SgdArgs};
    use std::mem::{offset_of, size_of};
    let rust = [
        (size_of::<SgdArgs>(), offset_of!(SgdArgs, fresh)),
        (size_of::<AdamArgs>(), offset_of!(AdamArgs, maximize)),
        (size_of::<RmsPropArgs>(), offset_of!(RmsPropArgs, maximize)),
    ];
    for (which, (size, last)) in rust.into_iter().enumerate() {
        let (mut c_size, mut c_last) = (0u64, 0u64);
        unsafe { k::host_args_layout(which as i32, &mut c_size, &mut c_last) };
        assert_eq!(
            (size as u64, last as u64),
            (c_size, c_last),
            "struct {which}"
        );
    }
}
