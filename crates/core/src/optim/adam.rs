//! Adam and AdamW (decoupled weight decay), with AMSGrad.

use super::{for_each_param, ParamState};
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
            let step = s.step;
            let bc1 = 1.0 - (cfg.beta1 as f64).powf(step);
            let bc2 = 1.0 - (cfg.beta2 as f64).powf(step);
            let step_size = (cfg.lr as f64 / bc1) as f32;
            let bc2_sqrt = bc2.sqrt() as f32;
            let mut m = s.buffers.remove("exp_avg").expect("created above");
            let mut v = s.buffers.remove("exp_avg_sq").expect("created above");
            let mut vmax = s.buffers.remove("max_exp_avg_sq");
            for i in 0..n {
                let mut g = if cfg.maximize { -grad[i] } else { grad[i] };
                if cfg.decoupled {
                    p[i] *= 1.0 - cfg.lr * cfg.weight_decay;
                } else {
                    g += cfg.weight_decay * p[i];
                }
                m[i] += (g - m[i]) * (1.0 - cfg.beta1);
                v[i] = cfg.beta2 * v[i] + (1.0 - cfg.beta2) * g * g;
                let second = match vmax.as_mut() {
                    Some(vm) => {
                        vm[i] = vm[i].max(v[i]);
                        vm[i]
                    }
                    None => v[i],
                };
                let denom = second.sqrt() / bc2_sqrt + cfg.eps;
                p[i] -= step_size * m[i] / denom;
            }
            s.buffers.insert("exp_avg".into(), m);
            s.buffers.insert("exp_avg_sq".into(), v);
            if let Some(vm) = vmax {
                s.buffers.insert("max_exp_avg_sq".into(), vm);
            }
        },
    )
}
