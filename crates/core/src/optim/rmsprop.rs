//! RMSprop, plain or centered, with momentum and weight decay.

use super::{for_each_param, ParamState};
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
    for_each_param("RMSprop", params, states, |p, grad, s| {
        s.step += 1.0;
        let n = p.len();
        let mut sq = std::mem::take(s.buffer("square_avg", n));
        let mut ga = cfg
            .centered
            .then(|| std::mem::take(s.buffer("grad_avg", n)));
        let mut buf = (cfg.momentum > 0.0).then(|| std::mem::take(s.buffer("momentum_buffer", n)));
        for i in 0..n {
            let mut g = if cfg.maximize { -grad[i] } else { grad[i] };
            g += cfg.weight_decay * p[i];
            sq[i] = cfg.alpha * sq[i] + (1.0 - cfg.alpha) * g * g;
            let avg = match ga.as_mut() {
                Some(ga) => {
                    ga[i] += (g - ga[i]) * (1.0 - cfg.alpha);
                    (sq[i] - ga[i] * ga[i]).sqrt() + cfg.eps
                }
                None => sq[i].sqrt() + cfg.eps,
            };
            match buf.as_mut() {
                Some(b) => {
                    b[i] = cfg.momentum * b[i] + g / avg;
                    p[i] -= cfg.lr * b[i];
                }
                None => p[i] -= cfg.lr * g / avg,
            }
        }
        s.buffers.insert("square_avg".into(), sq);
        if let Some(ga) = ga {
            s.buffers.insert("grad_avg".into(), ga);
        }
        if let Some(b) = buf {
            s.buffers.insert("momentum_buffer".into(), b);
        }
    })
}
