//! RMSprop, plain or centered, with momentum and weight decay.

use super::{for_each_param, DeviceUpdate, ParamState};
use crate::backend::kernel_args::{KernelArgs, RmsPropArgs};
use crate::kernels::dispatch::dispatch;
use crate::{Result, Tensor};

#[derive(Debug, Clone, Copy)]
pub struct RmsPropConfig {
    pub lr: f32,
    pub alpha: f32,
    pub eps: f32,
    pub weight_decay: f32,
    pub momentum: f32,
    pub centered: bool,
    pub maximize: bool,
}

pub fn rmsprop_step(
    cfg: &RmsPropConfig,
    params: &[Tensor],
    states: &mut [ParamState],
) -> Result<()> {
    for_each_param(
        "RMSprop",
        params,
        states,
        |p, grad, s| {
            s.step += 1.0;
            let n = p.len();
            let mut sq = std::mem::take(s.buffer("square_avg", n));
            let mut ga = cfg
                .centered
                .then(|| std::mem::take(s.buffer("grad_avg", n)));
            let mut buf =
                (cfg.momentum > 0.0).then(|| std::mem::take(s.buffer("momentum_buffer", n)));
            let (mut no_avg, mut no_momentum) = (Vec::new(), Vec::new());
            rmsprop_update(
                cfg,
                p,
                grad,
                &mut sq,
                ga.as_mut().unwrap_or(&mut no_avg),
                buf.as_mut().unwrap_or(&mut no_momentum),
            );
            s.buffers.insert("square_avg".into(), sq);
            if let Some(ga) = ga {
                s.buffers.insert("grad_avg".into(), ga);
            }
            if let Some(b) = buf {
                s.buffers.insert("momentum_buffer".into(), b);
            }
        },
        |s| rmsprop_device_update(cfg, s),
    )
}

/// How `rmsprop_step` updates one parameter with state `s` on a GPU: the kernel, the state
/// buffers in the kernel's order and its arguments (the host tests of the kernels use it too).
pub fn rmsprop_device_update(cfg: &RmsPropConfig, s: &ParamState) -> DeviceUpdate {
    let momentum = cfg.momentum > 0.0;
    let mut buffers = vec!["square_avg"];
    if cfg.centered {
        buffers.push("grad_avg");
    }
    if momentum {
        buffers.push("momentum_buffer");
    }
    DeviceUpdate {
        step: s.step + 1.0,
        kernel: match (cfg.centered, momentum) {
            (false, false) => "rmsprop_step",
            (true, false) => "rmsprop_step_centered",
            (false, true) => "rmsprop_step_momentum",
            (true, true) => "rmsprop_step_centered_momentum",
        },
        buffers,
        args: KernelArgs::RmsProp(RmsPropArgs {
            lr: cfg.lr,
            alpha: cfg.alpha,
            eps: cfg.eps,
            weight_decay: cfg.weight_decay,
            momentum: cfg.momentum,
            maximize: cfg.maximize.into(),
        }),
    }
}

/// One parameter's update in element-wise loops that vectorise; `grad_avg` is empty unless
/// centered, `momentum` empty without momentum.
#[inline(always)]
fn rmsprop_update_impl(
    cfg: &RmsPropConfig,
    p: &mut [f32],
    grad: &[f32],
    square_avg: &mut [f32],
    grad_avg: &mut [f32],
    momentum: &mut [f32],
) {
    let n = p.len();
    let (grad, square_avg) = (&grad[..n], &mut square_avg[..n]);
    let centered = !grad_avg.is_empty();
    let mut no_avg = [];
    let grad_avg: &mut [f32] = if centered {
        &mut grad_avg[..n]
    } else {
        &mut no_avg
    };
    // The gradient after sign and weight decay, and the new running average of its square.
    let g_of = |p: f32, grad: f32, sq: &mut f32| {
        let mut g = if cfg.maximize { -grad } else { grad };
        g += cfg.weight_decay * p;
        *sq = cfg.alpha * *sq + (1.0 - cfg.alpha) * g * g;
        g
    };
    let denom = |sq: f32, ga: Option<&mut f32>, g: f32| match ga {
        Some(ga) => {
            *ga += (g - *ga) * (1.0 - cfg.alpha);
            (sq - *ga * *ga).sqrt() + cfg.eps
        }
        None => sq.sqrt() + cfg.eps,
    };
    let elements = p.iter_mut().zip(grad).zip(square_avg.iter_mut());
    match (centered, momentum.is_empty()) {
        (false, true) => {
            for ((p, &gr), sq) in elements {
                let g = g_of(*p, gr, sq);
                *p -= cfg.lr * g / denom(*sq, None, g);
            }
        }
        (true, true) => {
            for (((p, &gr), sq), ga) in elements.zip(grad_avg.iter_mut()) {
                let g = g_of(*p, gr, sq);
                *p -= cfg.lr * g / denom(*sq, Some(ga), g);
            }
        }
        (false, false) => {
            for (((p, &gr), sq), b) in elements.zip(momentum[..n].iter_mut()) {
                let g = g_of(*p, gr, sq);
                *b = cfg.momentum * *b + g / denom(*sq, None, g);
                *p -= cfg.lr * *b;
            }
        }
        (true, false) => {
            let state = grad_avg.iter_mut().zip(momentum[..n].iter_mut());
            for (((p, &gr), sq), (ga, b)) in elements.zip(state) {
                let g = g_of(*p, gr, sq);
                *b = cfg.momentum * *b + g / denom(*sq, Some(ga), g);
                *p -= cfg.lr * *b;
            }
        }
    }
}

dispatch!(
    fn rmsprop_update(cfg: &RmsPropConfig, p: &mut [f32], grad: &[f32], square_avg: &mut [f32], grad_avg: &mut [f32], momentum: &mut [f32]) => rmsprop_update_impl
);
