//! Optimizer state (one `NativeOptimizerState` per parameter group) and the update calls,
//! each updating every parameter of the group in one native call.

use napi::bindgen_prelude::*;
use napi_derive::napi;
use seqtorch_core::optim::{self, AdamConfig, ParamState, RmsPropConfig, SgdConfig};
use seqtorch_core::{bail, Tensor};

use crate::error::guard;
use crate::tensor::NativeTensor;

#[napi]
pub struct NativeOptimizerState {
    states: Vec<ParamState>,
}

fn handles(params: &[&NativeTensor]) -> seqtorch_core::Result<Vec<Tensor>> {
    params.iter().map(|p| p.get()).collect()
}

#[napi]
impl NativeOptimizerState {
    #[napi(constructor)]
    pub fn new(params: u32) -> Self {
        NativeOptimizerState {
            states: vec![ParamState::default(); params as usize],
        }
    }

    fn at(&self, i: u32) -> seqtorch_core::Result<&ParamState> {
        match self.states.get(i as usize) {
            Some(s) => Ok(s),
            None => bail!(range, "optimizer state index {i} out of range"),
        }
    }

    #[napi]
    pub fn step_count(&self, env: Env, i: u32) -> Result<f64> {
        guard(&env, || Ok(self.at(i)?.step))
    }

    #[napi]
    pub fn set_step_count(&mut self, env: Env, i: u32, step: f64) -> Result<()> {
        guard(&env, || {
            self.at(i)?;
            if !(step.is_finite() && step >= 0.0 && step.fract() == 0.0) {
                bail!(
                    value,
                    "optimizer state: step must be a non-negative integer, got {step}"
                );
            }
            self.states[i as usize].step = step;
            Ok(())
        })
    }

    #[napi]
    pub fn buffer_names(&self, env: Env, i: u32) -> Result<Vec<String>> {
        guard(&env, || Ok(self.at(i)?.buffers.keys().cloned().collect()))
    }

    /// A copy of a named buffer, shaped like its parameter.
    #[napi]
    pub fn buffer(&self, env: Env, i: u32, name: String, shape: Vec<f64>) -> Result<NativeTensor> {
        let t = guard(&env, || {
            let Some(v) = self.at(i)?.buffers.get(&name) else {
                bail!(value, "no optimizer buffer '{name}'")
            };
            v.deep_copy()?
                .reshape_to(&crate::convert::sizes("optimizer state", &shape)?)
        })?;
        NativeTensor::wrap(&env, t)
    }

    #[napi]
    pub fn set_buffer(
        &mut self,
        env: Env,
        i: u32,
        name: String,
        value: &NativeTensor,
    ) -> Result<()> {
        guard(&env, || {
            self.at(i)?;
            let t = value.get()?;
            if t.dtype() != seqtorch_core::DType::F32 {
                bail!(type, "optimizer state '{name}' must be float32");
            }
            // A private copy: the update writes it in place.
            self.states[i as usize].buffers.insert(name, t.deep_copy()?);
            Ok(())
        })
    }

    #[napi]
    pub fn clear(&mut self) {
        self.states
            .iter_mut()
            .for_each(|s| *s = ParamState::default());
    }
}

#[napi(object)]
pub struct SgdOptions {
    pub lr: f64,
    pub momentum: f64,
    pub dampening: f64,
    pub nesterov: bool,
    pub weight_decay: f64,
    pub maximize: bool,
}

#[napi]
pub fn sgd_step(
    env: Env,
    state: &mut NativeOptimizerState,
    params: Vec<&NativeTensor>,
    o: SgdOptions,
) -> Result<()> {
    guard(&env, || {
        let cfg = SgdConfig {
            lr: o.lr as f32,
            momentum: o.momentum as f32,
            dampening: o.dampening as f32,
            nesterov: o.nesterov,
            weight_decay: o.weight_decay as f32,
            maximize: o.maximize,
        };
        optim::sgd_step(&cfg, &handles(&params)?, &mut state.states)
    })
}

#[napi(object)]
pub struct AdamOptions {
    pub lr: f64,
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
    pub weight_decay: f64,
    pub amsgrad: bool,
    pub decoupled: bool,
    pub maximize: bool,
}

#[napi]
pub fn adam_step(
    env: Env,
    state: &mut NativeOptimizerState,
    params: Vec<&NativeTensor>,
    o: AdamOptions,
) -> Result<()> {
    guard(&env, || {
        let cfg = AdamConfig {
            lr: o.lr as f32,
            beta1: o.beta1 as f32,
            beta2: o.beta2 as f32,
            eps: o.eps as f32,
            weight_decay: o.weight_decay as f32,
            amsgrad: o.amsgrad,
            decoupled: o.decoupled,
            maximize: o.maximize,
        };
        optim::adam_step(&cfg, &handles(&params)?, &mut state.states)
    })
}

#[napi(object)]
pub struct RmsPropOptions {
    pub lr: f64,
    pub alpha: f64,
    pub eps: f64,
    pub weight_decay: f64,
    pub momentum: f64,
    pub centered: bool,
    pub maximize: bool,
}

#[napi]
pub fn rmsprop_step(
    env: Env,
    state: &mut NativeOptimizerState,
    params: Vec<&NativeTensor>,
    o: RmsPropOptions,
) -> Result<()> {
    guard(&env, || {
        let cfg = RmsPropConfig {
            lr: o.lr as f32,
            alpha: o.alpha as f32,
            eps: o.eps as f32,
            weight_decay: o.weight_decay as f32,
            momentum: o.momentum as f32,
            centered: o.centered,
            maximize: o.maximize,
        };
        optim::rmsprop_step(&cfg, &handles(&params)?, &mut state.states)
    })
}

#[napi]
pub fn clip_grad_norm(
    env: Env,
    params: Vec<&NativeTensor>,
    max_norm: f64,
    norm_type: f64,
    error_if_nonfinite: bool,
) -> Result<f64> {
    guard(&env, || {
        optim::clip_grad_norm(&handles(&params)?, max_norm, norm_type, error_if_nonfinite)
    })
}

#[napi]
pub fn clip_grad_value(env: Env, params: Vec<&NativeTensor>, clip_value: f64) -> Result<()> {
    guard(&env, || {
        optim::clip_grad_value(&handles(&params)?, clip_value as f32)
    })
}
