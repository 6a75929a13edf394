//! Loss functions, each one fused node.

use napi::bindgen_prelude::*;
use napi_derive::napi;
use seqtorch_core::nn::loss::{self, Reduction};

use crate::convert::int;
use crate::error::guard;
use crate::tensor::NativeTensor;

/// Options shared by the losses; each uses the ones it knows.
#[napi(object)]
pub struct LossOptions {
    pub reduction: String,
    /// HuberLoss.
    pub delta: Option<f64>,
    /// BCE / BCEWithLogits: per-element weights (already broadcast to the input's shape);
    /// CrossEntropy / NLL: per-class weights.
    pub weight: Option<Float32Array>,
    /// BCEWithLogits, broadcast to the input's shape.
    pub pos_weight: Option<Float32Array>,
    pub ignore_index: Option<f64>,
    pub label_smoothing: Option<f64>,
}

/// `kind`: 'mse' | 'l1' | 'huber' | 'bce' | 'bce_with_logits' | 'cross_entropy' | 'nll'.
#[napi]
pub fn loss(
    env: Env,
    kind: String,
    input: &NativeTensor,
    target: &NativeTensor,
    options: LossOptions,
) -> Result<NativeTensor> {
    let t = guard(&env, || {
        let r = Reduction::parse(&options.reduction)?;
        let (x, y) = (input.get()?, target.get()?);
        let weight = options.weight.as_deref();
        let ignore = options
            .ignore_index
            .map(|i| int("loss", "ignore_index", i))
            .transpose()?
            .unwrap_or(-100);
        match kind.as_str() {
            "mse" => loss::mse(&x, &y, r),
            "l1" => loss::l1(&x, &y, r),
            "huber" => loss::huber(&x, &y, r, options.delta.unwrap_or(1.0) as f32),
            "bce" => loss::bce(&x, &y, weight, r),
            "bce_with_logits" => {
                loss::bce_with_logits(&x, &y, weight, options.pos_weight.as_deref(), r)
            }
            "cross_entropy" => loss::cross_entropy(
                &x,
                &y,
                weight,
                ignore,
                options.label_smoothing.unwrap_or(0.0) as f32,
                r,
            ),
            "nll" => loss::nll(&x, &y, weight, ignore, r),
            other => seqtorch_core::bail!(value, "unknown loss '{other}'"),
        }
    })?;
    NativeTensor::wrap(&env, t)
}
