//! Losses, each one fused autograd node. The forward pass computes every item's loss and the
//! derivative of that loss with respect to each input (and target) element, so backward is a
//! single scaling pass. Formulas and clamps follow PyTorch.

use super::loss_gpu::{self, PointwiseLoss};
pub use super::loss_gpu::{class_targets, ClassLoss, ClassTargets};
use crate::autograd::{CustomBackward, Node};
use crate::backend::fused::{self, PerDevice, WithTensorOps};
use crate::shape::fmt_shape;
use crate::{bail, DType, Result, Tensor};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reduction {
    None,
    Mean,
    Sum,
}

impl Reduction {
    pub fn parse(s: &str) -> Result<Reduction> {
        match s {
            "none" => Ok(Reduction::None),
            "mean" => Ok(Reduction::Mean),
            "sum" => Ok(Reduction::Sum),
            other => bail!(value, "{other} is not a valid value for reduction"),
        }
    }
}

/// Per-item losses and their derivatives. Input element `e` belongs to item `e / group`.
struct Items {
    loss: Vec<f32>,
    d_input: Vec<f32>,
    d_target: Option<Vec<f32>>,
    group: usize,
    /// Divisor of the mean (item count, or total class weight for weighted classification).
    norm: f64,
    /// Shape of the unreduced output.
    item_shape: Vec<usize>,
    /// Gradient entries that are zero by construction, whatever the incoming gradient.
    zeros: StructuralZeros,
}

/// Which gradient entries PyTorch never writes (so they stay 0 even when the incoming
/// gradient is infinite or NaN, e.g. a mean over a zero total weight).
#[derive(Clone, Default)]
enum StructuralZeros {
    #[default]
    None,
    /// Classification: items whose target is `ignore_index`; with `targets`, also every
    /// entry but the target class of its item (NLL writes only that one).
    Classes {
        ignored: Vec<bool>,
        targets: Option<Vec<i64>>,
    },
}

fn finish(
    name: &'static str,
    input: &Tensor,
    target: &Tensor,
    items: Items,
    reduction: Reduction,
) -> Result<Tensor> {
    let out = match reduction {
        Reduction::None => Tensor::from_f32(items.loss.clone(), items.item_shape.clone())?,
        Reduction::Sum => Tensor::from_f32(
            vec![items.loss.iter().map(|&v| v as f64).sum::<f64>() as f32],
            vec![],
        )?,
        Reduction::Mean => {
            let s = items.loss.iter().map(|&v| v as f64).sum::<f64>();
            Tensor::from_f32(vec![(s / items.norm) as f32], vec![])?
        }
    };
    let node = Node::record_custom(&[input, target], || {
        Box::new(LossBackward {
            name,
            input: input.clone(),
            target: target.clone(),
            d_input: items.d_input,
            d_target: items.d_target,
            group: items.group,
            norm: items.norm,
            reduction,
            zeros: items.zeros,
        })
    });
    Ok(out.with_grad_fn_output(node, 0))
}

struct LossBackward {
    name: &'static str,
    input: Tensor,
    target: Tensor,
    d_input: Vec<f32>,
    d_target: Option<Vec<f32>>,
    group: usize,
    norm: f64,
    reduction: Reduction,
    zeros: StructuralZeros,
}

impl LossBackward {
    fn scale(&self, d: &[f32], g: &[f32], shape: &[usize]) -> Result<Tensor> {
        let factor = |e: usize| match self.reduction {
            Reduction::None => g[e / self.group],
            Reduction::Sum => g[0],
            // All targets ignored (or a zero total weight) divides by zero: the loss is NaN
            // as in PyTorch, and the structural zeros below keep ignored items' gradients 0.
            Reduction::Mean => (g[0] as f64 / self.norm) as f32,
        };
        let v = match &self.zeros {
            StructuralZeros::None => d.iter().enumerate().map(|(e, &x)| x * factor(e)).collect(),
            StructuralZeros::Classes { ignored, targets } => d
                .iter()
                .enumerate()
                .map(|(e, &x)| {
                    let item = e / self.group;
                    let off_target = targets
                        .as_ref()
                        .is_some_and(|t| t[item] != (e % self.group) as i64);
                    if ignored[item] || off_target {
                        0.0
                    } else {
                        x * factor(e)
                    }
                })
                .collect(),
        };
        Tensor::from_f32(v, shape.to_vec())
    }
}

impl CustomBackward for LossBackward {
    fn name(&self) -> &'static str {
        self.name
    }

    fn inputs(&self) -> Vec<Tensor> {
        vec![self.input.clone(), self.target.clone()]
    }

    fn backward(&self, grads: &[Option<Tensor>]) -> Result<Vec<Option<Tensor>>> {
        let g = grads[0]
            .as_ref()
            .expect("called with a gradient")
            .to_vec_f32();
        let dx = self.scale(&self.d_input, &g, self.input.shape())?;
        let dt = match &self.d_target {
            Some(d) if self.target.requires_grad() => {
                Some(self.scale(d, &g, self.target.shape())?)
            }
            _ => None,
        };
        Ok(vec![Some(dx), dt])
    }
}

fn same_shape(name: &str, input: &Tensor, target: &Tensor) -> Result<()> {
    if input.dtype() != DType::F32 || target.dtype() != DType::F32 {
        bail!(type, "{name}: expected float32 input and target");
    }
    if input.shape() != target.shape() {
        bail!(
            value,
            "{name}: target size ({}) must be the same as input size ({})",
            fmt_shape(target.shape()),
            fmt_shape(input.shape())
        );
    }
    Ok(())
}

/// Losses whose item is one element: `f(x, t) -> (loss, dloss/dx, dloss/dt)` on the CPU; on a
/// GPU the same formulas from losses.cu (`gpu`: which one, with the weights `f` captures).
fn pointwise(
    name: &'static str,
    input: &Tensor,
    target: &Tensor,
    reduction: Reduction,
    gpu: (PointwiseLoss, Option<&[f32]>, Option<&[f32]>),
    f: impl Fn(usize, f32, f32) -> (f32, f32, f32),
) -> Result<Tensor> {
    same_shape(name, input, target)?;
    let (kind, weight, pos_weight) = gpu;
    fused::run(PerDevice {
        name,
        operands: vec![input, target],
        cpu: || pointwise_cpu(name, input, target, reduction, f),
        cuda: |ordinal| {
            loss_gpu::pointwise(
                ordinal, name, kind, input, target, weight, pos_weight, reduction,
            )
        },
    })
}

fn pointwise_cpu(
    name: &'static str,
    input: &Tensor,
    target: &Tensor,
    reduction: Reduction,
    f: impl Fn(usize, f32, f32) -> (f32, f32, f32),
) -> Result<Tensor> {
    let (x, t) = (input.to_vec_f32(), target.to_vec_f32());
    let n = x.len();
    let (mut loss, mut dx, mut dt) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
    for e in 0..n {
        let (l, a, b) = f(e, x[e], t[e]);
        loss[e] = l;
        dx[e] = a;
        dt[e] = b;
    }
    let items = Items {
        loss,
        d_input: dx,
        d_target: Some(dt),
        zeros: StructuralZeros::None,
        group: 1,
        norm: n as f64,
        item_shape: input.shape().to_vec(),
    };
    finish(name, input, target, items, reduction)
}

/// Which regression loss, for the tensor-op bodies.
#[derive(Debug, Clone, Copy)]
pub enum Regression {
    Mse,
    L1,
    Huber(f32),
}

/// A regression loss in tensor ops, on any device (its CUDA body; the tests check it against
/// the CPU kernel): `d = input - target`, then `d^2`, `|d|`, or Huber's
/// `0.5 q^2 + delta (|d| - q)` with `q = min(|d|, delta) = |d| - relu(|d| - delta)`.
pub fn regression_tensor_ops(
    kind: Regression,
    input: &Tensor,
    target: &Tensor,
    reduction: Reduction,
) -> Result<Tensor> {
    let d = input.sub(target)?;
    let loss = match kind {
        Regression::Mse => d.mul(&d)?,
        Regression::L1 => d.abs()?,
        Regression::Huber(delta) => {
            let a = d.abs()?;
            let q = a.sub(&a.sub_scalar(delta as f64)?.relu()?)?;
            q.mul(&q)?
                .mul_scalar(0.5)?
                .add(&a.sub(&q)?.mul_scalar(delta as f64)?)?
        }
    };
    match reduction {
        Reduction::None => Ok(loss),
        Reduction::Mean => loss.mean(None, false),
        Reduction::Sum => loss.sum(None, false),
    }
}

/// `pointwise` for the regression losses: the CPU kernel, tensor ops elsewhere.
fn regression(
    name: &'static str,
    kind: Regression,
    input: &Tensor,
    target: &Tensor,
    reduction: Reduction,
    f: impl Fn(usize, f32, f32) -> (f32, f32, f32),
) -> Result<Tensor> {
    same_shape(name, input, target)?;
    fused::run(WithTensorOps {
        name,
        operands: vec![input, target],
        cpu: || pointwise_cpu(name, input, target, reduction, f),
        tensor_ops: || regression_tensor_ops(kind, input, target, reduction),
    })
}

pub fn mse(input: &Tensor, target: &Tensor, reduction: Reduction) -> Result<Tensor> {
    regression(
        "MseLossBackward0",
        Regression::Mse,
        input,
        target,
        reduction,
        |_, x, t| {
            let d = x - t;
            (d * d, 2.0 * d, -2.0 * d)
        },
    )
}

pub fn l1(input: &Tensor, target: &Tensor, reduction: Reduction) -> Result<Tensor> {
    regression(
        "L1LossBackward0",
        Regression::L1,
        input,
        target,
        reduction,
        |_, x, t| {
            let d = x - t;
            let s = if d > 0.0 {
                1.0
            } else if d < 0.0 {
                -1.0
            } else {
                0.0
            };
            (d.abs(), s, -s)
        },
    )
}

pub fn huber(input: &Tensor, target: &Tensor, reduction: Reduction, delta: f32) -> Result<Tensor> {
    if delta <= 0.0 || delta.is_nan() {
        bail!(
            value,
            "huber_loss does not support non-positive values for delta."
        );
    }
    let kind = Regression::Huber(delta);
    regression(
        "HuberLossBackward0",
        kind,
        input,
        target,
        reduction,
        |_, x, t| {
            let d = x - t;
            if d.abs() < delta {
                (0.5 * d * d, d, -d)
            } else {
                let g = delta * d.signum();
                (delta * (d.abs() - 0.5 * delta), g, -g)
            }
        },
    )
}

/// Binary cross-entropy on probabilities; logs are clamped at -100 like PyTorch.
/// `weight`, when given, has the input's shape.
pub fn bce(
    input: &Tensor,
    target: &Tensor,
    weight: Option<&[f32]>,
    reduction: Reduction,
) -> Result<Tensor> {
    same_shape("binary_cross_entropy", input, target)?;
    if input
        .to_vec_f32()
        .iter()
        .any(|&x| !(0.0..=1.0).contains(&x))
    {
        bail!(value, "all elements of input should be between 0 and 1");
    }
    pointwise(
        "BinaryCrossEntropyBackward0",
        input,
        target,
        reduction,
        (PointwiseLoss::Bce, weight, None),
        |e, x, t| {
            let w = weight.map_or(1.0, |w| w[e]);
            let lx = x.ln().max(-100.0);
            let l1x = (1.0 - x).ln().max(-100.0);
            let loss = -w * (t * lx + (1.0 - t) * l1x);
            let dx = w * (x - t) / ((1.0 - x) * x).max(1e-12);
            (loss, dx, -w * (lx - l1x))
        },
    )
}

/// Binary cross-entropy on logits in the stable form. `pos_weight` and `weight`, when given,
/// have the input's shape (the facade broadcasts them).
pub fn bce_with_logits(
    input: &Tensor,
    target: &Tensor,
    weight: Option<&[f32]>,
    pos_weight: Option<&[f32]>,
    reduction: Reduction,
) -> Result<Tensor> {
    pointwise(
        "BinaryCrossEntropyWithLogitsBackward0",
        input,
        target,
        reduction,
        (PointwiseLoss::BceWithLogits, weight, pos_weight),
        |e, x, t| {
            let w = weight.map_or(1.0, |w| w[e]);
            let p = pos_weight.map_or(1.0, |p| p[e]);
            let log_weight = (p - 1.0) * t + 1.0;
            let softplus_neg = (-x.abs()).exp().ln_1p() + (-x).max(0.0);
            let loss = w * ((1.0 - t) * x + log_weight * softplus_neg);
            let sig = 1.0 / (1.0 + (-x).exp());
            let dx = w * ((1.0 - t) + log_weight * (sig - 1.0));
            let dt = w * (-x + (p - 1.0) * softplus_neg);
            (loss, dx, dt)
        },
    )
}

/// Shared checks of classification losses: input [N, C] or [C], int64 targets [N] or [].
fn class_shapes(
    name: &str,
    input: &Tensor,
    target: &Tensor,
    weight: Option<&[f32]>,
) -> Result<(usize, usize, Vec<i64>)> {
    if input.dtype() != DType::F32 {
        bail!(type, "{name}: expected float32 input");
    }
    if target.dtype() != DType::I64 {
        bail!(
            type,
            "{name}: expected int64 class indices as target, got {} (class probabilities are not supported)",
            target.dtype()
        );
    }
    let (n, c) = match input.ndim() {
        1 => (1, input.shape()[0]),
        2 => (input.shape()[0], input.shape()[1]),
        d => bail!(
            value,
            "{name}: expected input of 1 or 2 dimensions, got {d}"
        ),
    };
    let ok =
        (input.ndim() == 1 && target.ndim() == 0) || (input.ndim() == 2 && target.shape() == [n]);
    if !ok {
        bail!(
            value,
            "Expected input batch_size ({n}) to match target batch_size ({}).",
            target.shape().first().copied().unwrap_or(1)
        );
    }
    if let Some(w) = weight {
        if w.len() != c {
            bail!(value, "{name}: weight tensor should be defined either for all {c} classes or no classes but got weight tensor of shape: [{}]", w.len());
        }
    }
    Ok((n, c, target.to_vec_i64()))
}

/// Shared loop of the classification losses: for every sample whose target is not ignored,
/// `item(row, target, row_grad)` returns its loss and fills its input-gradient row. Checks the
/// targets and sums the target classes' weights (the divisor of the mean). On a GPU, `kind`
/// names the same loss in losses.cu.
#[allow(clippy::too_many_arguments)]
fn class_items(
    name: &'static str,
    kind: ClassLoss,
    input: &Tensor,
    target: &Tensor,
    weight: Option<&[f32]>,
    ignore_index: i64,
    reduction: Reduction,
    item: impl FnMut(&[f32], usize, &mut [f32]) -> f32,
) -> Result<Tensor> {
    let target_only = matches!(kind, ClassLoss::Nll);
    fused::run(PerDevice {
        name,
        operands: vec![input, target],
        cpu: || {
            class_items_cpu(
                name,
                input,
                target,
                weight,
                ignore_index,
                reduction,
                target_only,
                item,
            )
        },
        cuda: |ordinal| {
            let shapes = class_shapes(name, input, target, weight)?;
            loss_gpu::class(
                ordinal,
                "NllLossBackward0",
                kind,
                input,
                target,
                shapes,
                weight,
                ignore_index,
                reduction,
            )
        },
    })
}

#[allow(clippy::too_many_arguments)]
fn class_items_cpu(
    name: &'static str,
    input: &Tensor,
    target: &Tensor,
    weight: Option<&[f32]>,
    ignore_index: i64,
    reduction: Reduction,
    target_only: bool,
    mut item: impl FnMut(&[f32], usize, &mut [f32]) -> f32,
) -> Result<Tensor> {
    let (n, c, y) = class_shapes(name, input, target, weight)?;
    let x = input.to_vec_f32();
    let (mut loss, mut d) = (vec![0.0f32; n], vec![0.0f32; n * c]);
    let mut norm = 0.0f64;
    let ignored: Vec<bool> = y.iter().map(|&yi| yi == ignore_index).collect();
    for (i, &yi) in y.iter().enumerate() {
        if ignored[i] {
            continue;
        }
        if yi < 0 || yi as usize >= c {
            bail!(range, "Target {yi} is out of bounds.");
        }
        let yi = yi as usize;
        loss[i] = item(&x[i * c..(i + 1) * c], yi, &mut d[i * c..(i + 1) * c]);
        norm += weight.map_or(1.0, |w| w[yi]) as f64;
    }
    let item_shape = if input.ndim() == 1 { vec![] } else { vec![n] };
    let items = Items {
        loss,
        d_input: d,
        d_target: None,
        group: c,
        norm,
        item_shape,
        zeros: StructuralZeros::Classes {
            ignored,
            targets: target_only.then_some(y),
        },
    };
    finish("NllLossBackward0", input, target, items, reduction)
}

/// Cross-entropy on logits with optional class weights, ignored index and label smoothing.
pub fn cross_entropy(
    input: &Tensor,
    target: &Tensor,
    weight: Option<&[f32]>,
    ignore_index: i64,
    label_smoothing: f32,
    reduction: Reduction,
) -> Result<Tensor> {
    if !(0.0..=1.0).contains(&label_smoothing) {
        bail!(
            value,
            "label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}"
        );
    }
    let w = |k: usize| weight.map_or(1.0, |w| w[k]);
    let eps = label_smoothing;
    class_items(
        "cross_entropy",
        ClassLoss::CrossEntropy { label_smoothing },
        input,
        target,
        weight,
        ignore_index,
        reduction,
        |row, yi, d| {
            let c = row.len();
            let w_total: f32 = (0..c).map(w).sum();
            let m = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let lse = m + row.iter().map(|&v| (v - m).exp()).sum::<f32>().ln();
            let logp = |k: usize| row[k] - lse;
            let nll = -w(yi) * logp(yi);
            let smooth: f32 = -(0..c).map(|k| w(k) * logp(k)).sum::<f32>();
            for (k, dk) in d.iter_mut().enumerate() {
                let s = logp(k).exp();
                let hard = w(yi) * (s - if k == yi { 1.0 } else { 0.0 });
                let soft = s * w_total - w(k);
                *dk = (1.0 - eps) * hard + eps / c as f32 * soft;
            }
            (1.0 - eps) * nll + eps / c as f32 * smooth
        },
    )
}

/// Negative log-likelihood on log-probabilities.
pub fn nll(
    input: &Tensor,
    target: &Tensor,
    weight: Option<&[f32]>,
    ignore_index: i64,
    reduction: Reduction,
) -> Result<Tensor> {
    let w = |k: usize| weight.map_or(1.0, |w| w[k]);
    class_items(
        "nll_loss",
        ClassLoss::Nll,
        input,
        target,
        weight,
        ignore_index,
        reduction,
        |row, yi, d| {
            d[yi] = -w(yi);
            -w(yi) * row[yi]
        },
    )
}
