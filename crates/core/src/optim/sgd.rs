//! Stochastic gradient descent with momentum, dampening, Nesterov and weight decay.

use super::{for_each_param, ParamState};
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
    for_each_param("SGD", params, states, |p, grad, s| {
        let fresh = !s.buffers.contains_key("momentum_buffer");
        let buf = if cfg.momentum != 0.0 {
            Some(s.buffer("momentum_buffer", p.len()))
        } else {
            None
        };
        match buf {
            Some(buf) => {
                for i in 0..p.len() {
                    let mut g = if cfg.maximize { -grad[i] } else { grad[i] };
                    g += cfg.weight_decay * p[i];
                    // PyTorch starts the buffer at the first gradient, undamped.
                    buf[i] = if fresh {
                        g
                    } else {
                        cfg.momentum * buf[i] + (1.0 - cfg.dampening) * g
                    };
                    let d = if cfg.nesterov {
                        g + cfg.momentum * buf[i]
                    } else {
                        buf[i]
                    };
                    p[i] -= cfg.lr * d;
                }
            }
            None => {
                for i in 0..p.len() {
                    let mut g = if cfg.maximize { -grad[i] } else { grad[i] };
                    g += cfg.weight_decay * p[i];
                    p[i] -= cfg.lr * g;
                }
            }
        }
        s.step += 1.0;
    })
}
