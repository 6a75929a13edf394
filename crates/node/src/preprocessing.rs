//! Column statistics and per-column affine maps for the scalers.

use napi::bindgen_prelude::*;
use napi_derive::napi;
use seqtorch_core::preprocessing as pre;

use crate::error::guard;
use crate::tensor::NativeTensor;

#[napi(object)]
pub struct ColumnStats {
    pub min: Vec<f64>,
    pub max: Vec<f64>,
    pub mean: Vec<f64>,
    pub var: Vec<f64>,
    pub samples: u32,
}

#[napi]
pub fn column_stats(env: Env, x: &NativeTensor) -> Result<ColumnStats> {
    guard(&env, || {
        let s = pre::column_stats(&x.get()?)?;
        Ok(ColumnStats {
            min: s.min,
            max: s.max,
            mean: s.mean,
            var: s.var,
            samples: s.samples as u32,
        })
    })
}

#[napi]
pub fn columns_sub_div(
    env: Env,
    x: &NativeTensor,
    sub: Vec<f64>,
    div: Vec<f64>,
) -> Result<NativeTensor> {
    let t = guard(&env, || pre::columns_sub_div(&x.get()?, &sub, &div))?;
    NativeTensor::wrap(&env, t)
}

#[napi]
pub fn columns_mul_add(
    env: Env,
    x: &NativeTensor,
    mul: Vec<f64>,
    add: Vec<f64>,
    clip: Option<Vec<f64>>,
) -> Result<NativeTensor> {
    let t = guard(&env, || {
        let c = match clip.as_deref() {
            Some([lo, hi]) => Some((*lo, *hi)),
            Some(_) => seqtorch_core::bail!(value, "clip must be [min, max]"),
            None => None,
        };
        pre::columns_mul_add(&x.get()?, &mul, &add, c)
    })?;
    NativeTensor::wrap(&env, t)
}
