//! Stochastic gradient descent with momentum, dampening, Nesterov and weight decay.

use super::{for_each_param, DeviceUpdate, ParamState};
use crate::backend::kernel_args::{KernelArgs, SgdArgs};
use crate::kernels::dispatch::dispatch;
use crate::{Result, Tensor};

#[derive(Debug, Clone, Copy)]
pub struct SgdConfig {
    pub lr: f32,
    pub momentum: f32,
    pub dampening: f32,
    pub nesterov: bool,
    pub weight_decay: f32,
    pub maximize: bool,
}

pub fn sgd_step(cfg: &SgdConfig, params: &[Tensor], states: &mut [ParamState]) -> Result<()> {
    for_each_param(
        "SGD",
        params,
        states,
        |p, grad, s| {
            let fresh = !s.buffers.contains_key("momentum_buffer");
            let buf = if cfg.momentum != 0.0 {
                Some(s.buffer("momentum_buffer", p.len()))
            } else {
                None
            };
            sgd_update(cfg, fresh, p, grad, buf.map_or(&mut [][..], |b| &mut b[..]));
            s.step += 1.0;
        },
        |s| sgd_device_update(cfg, s),
    )
}

/// How `sgd_step` updates one parameter with state `s` on a GPU: the kernel, the state
/// buffers in the kernel's order and its arguments (the host tests of the kernels use it too).
pub fn sgd_device_update(cfg: &SgdConfig, s: &ParamState) -> DeviceUpdate {
    let momentum = cfg.momentum != 0.0;
    DeviceUpdate {
        step: s.step + 1.0,
        kernel: if momentum {
            "sgd_step_momentum"
        } else {
            "sgd_step"
        },
        buffers: if momentum {
            vec!["momentum_buffer"]
        } else {
            Vec::new()
        },
        args: KernelArgs::Sgd(SgdArgs {
            lr: cfg.lr,
            momentum: cfg.momentum,
            dampening: cfg.dampening,
            weight_decay: cfg.weight_decay,
            nesterov: cfg.nesterov.into(),
            maximize: cfg.maximize.into(),
            fresh: (!s.buffers.contains_key("momentum_buffer")).into(),
        }),
    }
}

/// One parameter's update in element-wise loops that vectorise; `buf` is the momentum buffer
/// (empty without momentum), `fresh` when this is its first step.
#[inline(always)]
fn sgd_update_impl(cfg: &SgdConfig, fresh: bool, p: &mut [f32], grad: &[f32], buf: &mut [f32]) {
    let n = p.len();
    let grad = &grad[..n];
    let g_of = |p: f32, grad: f32| {
        let g = if cfg.maximize { -grad } else { grad };
        g + cfg.weight_decay * p
    };
    if buf.is_empty() {
        for (p, &gr) in p.iter_mut().zip(grad) {
            *p -= cfg.lr * g_of(*p, gr);
        }
        return;
    }
    for ((p, &gr), b) in p.iter_mut().zip(grad).zip(buf[..n].iter_mut()) {
        let g = g_of(*p, gr);
        // PyTorch starts the buffer at the first gradient, undamped.
        *b = if fresh {
            g
        } else {
            cfg.momentum * *b + (1.0 - cfg.dampening) * g
        };
        let d = if cfg.nesterov {
            g + cfg.momentum * *b
        } else {
            *b
        };
        *p -= cfg.lr * d;
    }
}

dispatch!(
    fn sgd_update(cfg: &SgdConfig, fresh: bool, p: &mut [f32], grad: &[f32], buf: &mut [f32]) => sgd_update_impl
);
