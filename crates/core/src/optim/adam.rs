//! Adam and AdamW (decoupled weight decay), with AMSGrad.

use super::{for_each_param, DeviceUpdate, ParamState};
use crate::backend::kernel_args::{AdamArgs, KernelArgs};
use crate::kernels::dispatch::dispatch;
use crate::{Result, Tensor};

#[derive(Debug, Clone, Copy)]
pub struct AdamConfig {
    pub lr: f32,
    pub beta1: f32,
    pub beta2: f32,
    pub eps: f32,
    pub weight_decay: f32,
    pub amsgrad: bool,
    /// AdamW: decay the weights directly instead of adding to the gradient.
    pub decoupled: bool,
    pub maximize: bool,
}

pub fn adam_step(cfg: &AdamConfig, params: &[Tensor], states: &mut [ParamState]) -> Result<()> {
    for_each_param(
        if cfg.decoupled { "AdamW" } else { "Adam" },
        params,
        states,
        |p, grad, s| {
            s.step += 1.0;
            let n = p.len();
            s.buffer("exp_avg", n);
            s.buffer("exp_avg_sq", n);
            if cfg.amsgrad {
                s.buffer("max_exp_avg_sq", n);
            }
            let (step_size, bc2_sqrt) = bias_corrections(cfg, s.step);
            let mut m = s.buffers.remove("exp_avg").expect("created above");
            let mut v = s.buffers.remove("exp_avg_sq").expect("created above");
            let mut vmax = s.buffers.remove("max_exp_avg_sq").unwrap_or_default();
            let k = Scalars {
                cfg: *cfg,
                step_size,
                bc2_sqrt,
            };
            adam_update(&k, p, grad, &mut m, &mut v, &mut vmax);
            s.buffers.insert("exp_avg".into(), m);
            s.buffers.insert("exp_avg_sq".into(), v);
            if cfg.amsgrad {
                s.buffers.insert("max_exp_avg_sq".into(), vmax);
            }
        },
        |s| adam_device_update(cfg, s),
    )
}

/// How `adam_step` updates one parameter with state `s` on a GPU: the kernel, the state
/// buffers in the kernel's order and its arguments (the host tests of the kernels use it too).
pub fn adam_device_update(cfg: &AdamConfig, s: &ParamState) -> DeviceUpdate {
    let step = s.step + 1.0;
    let (step_size, bc2_sqrt) = bias_corrections(cfg, step);
    let mut buffers = vec!["exp_avg", "exp_avg_sq"];
    if cfg.amsgrad {
        buffers.push("max_exp_avg_sq");
    }
    DeviceUpdate {
        step,
        kernel: if cfg.amsgrad {
            "adam_step_amsgrad"
        } else {
            "adam_step"
        },
        buffers,
        args: KernelArgs::Adam(AdamArgs {
            lr: cfg.lr,
            beta1: cfg.beta1,
            beta2: cfg.beta2,
            eps: cfg.eps,
            weight_decay: cfg.weight_decay,
            step_size,
            bc2_sqrt,
            decoupled: cfg.decoupled.into(),
            maximize: cfg.maximize.into(),
        }),
    }
}

/// `lr / (1 - beta1^step)` and `sqrt(1 - beta2^step)`, in double as PyTorch computes them.
fn bias_corrections(cfg: &AdamConfig, step: f64) -> (f32, f32) {
    let bc1 = 1.0 - (cfg.beta1 as f64).powf(step);
    let bc2 = 1.0 - (cfg.beta2 as f64).powf(step);
    ((cfg.lr as f64 / bc1) as f32, bc2.sqrt() as f32)
}

/// The per-step constants of one parameter's update.
struct Scalars {
    cfg: AdamConfig,
    step_size: f32,
    bc2_sqrt: f32,
}

/// The moment updates of one element; returns the second moment the step divides by.
#[inline(always)]
fn moments(k: &Scalars, p: &mut f32, grad: f32, m: &mut f32, v: &mut f32) -> f32 {
    let cfg = &k.cfg;
    let mut g = if cfg.maximize { -grad } else { grad };
    if cfg.decoupled {
        *p *= 1.0 - cfg.lr * cfg.weight_decay;
    } else {
        g += cfg.weight_decay * *p;
    }
    *m += (g - *m) * (1.0 - cfg.beta1);
    *v = cfg.beta2 * *v + (1.0 - cfg.beta2) * g * g;
    *v
}

/// One parameter's update in element-wise loops that vectorise (AMSGrad when `vmax` is not
/// empty). Plain IEEE arithmetic, so every instruction set gives the same bits.
#[inline(always)]
fn adam_update_impl(
    k: &Scalars,
    p: &mut [f32],
    grad: &[f32],
    m: &mut [f32],
    v: &mut [f32],
    vmax: &mut [f32],
) {
    let n = p.len();
    let (grad, m, v) = (&grad[..n], &mut m[..n], &mut v[..n]);
    let (step_size, bc2_sqrt, eps) = (k.step_size, k.bc2_sqrt, k.cfg.eps);
    let elements = p.iter_mut().zip(grad).zip(m.iter_mut().zip(v.iter_mut()));
    if vmax.is_empty() {
        for ((p, &g), (m, v)) in elements {
            let second = moments(k, p, g, m, v);
            *p -= step_size * *m / (second.sqrt() / bc2_sqrt + eps);
        }
    } else {
        for (((p, &g), (m, v)), vm) in elements.zip(vmax[..n].iter_mut()) {
            let second = moments(k, p, g, m, v);
            *vm = vm.max(second);
            *p -= step_size * *m / (vm.sqrt() / bc2_sqrt + eps);
        }
    }
}

dispatch!(
    fn adam_update(k: &Scalars, p: &mut [f32], grad: &[f32], m: &mut [f32], v: &mut [f32], vmax: &mut [f32]) => adam_update_impl
);
