//! The CUDA bodies of the losses without a tensor-op form (binary cross-entropy on probabilities
//! and on logits, cross-entropy, NLL): the items' losses and derivatives come from losses.cu
//! with the CPU closures' formulas, the reduction is a tensor op on the device, and the backward
//! node scales the saved derivatives there (one kernel). What stays on the host is what the
//! CPU path also reads there: class targets (range-checked, as PyTorch's message requires) and
//! the weights the facade passes as host values; they are uploaded, small.

use super::loss::Reduction;
use crate::autograd::{CustomBackward, Node};
use crate::backend::cuda::launch::{launch_f32, launch_f32_blocks};
use crate::{bail, Result, Tensor};

const MODULE: &str = "losses";

/// Which per-element loss `pointwise_loss` computes (its `op`).
#[derive(Clone, Copy)]
pub(super) enum PointwiseLoss {
    Bce = 0,
    BceWithLogits = 1,
}

/// Which per-row loss `class_loss` computes.
#[derive(Clone, Copy, Debug)]
pub enum ClassLoss {
    CrossEntropy { label_smoothing: f32 },
    Nll,
}

/// What `class_loss` and `loss_backward` read besides the input, prepared on the host from
/// the class indices `y`: each row's class as a float (-1 for an ignored row), the mean's
/// divisor (the targets' total class weight), and 1 for every gradient entry PyTorch never
/// writes (ignored rows; for NLL every class but the target).
#[derive(Debug, Clone, PartialEq)]
pub struct ClassTargets {
    pub targets: Vec<f32>,
    pub zeros: Vec<f32>,
    pub norm: f64,
}

/// `ClassTargets` for `y` over `c` classes, with PyTorch's error for an index out of range.
pub fn class_targets(
    name: &str,
    kind: ClassLoss,
    c: usize,
    y: &[i64],
    weight: Option<&[f32]>,
    ignore_index: i64,
) -> Result<ClassTargets> {
    let n = y.len();
    let mut targets = Vec::with_capacity(n);
    let mut zeros = vec![0.0f32; n * c];
    let mut norm = 0.0f64;
    for (i, &yi) in y.iter().enumerate() {
        let row = &mut zeros[i * c..(i + 1) * c];
        if yi == ignore_index {
            targets.push(-1.0);
            row.fill(1.0);
            continue;
        }
        if yi < 0 || yi as usize >= c {
            bail!(range, "Target {yi} is out of bounds.");
        }
        if yi >= 1 << 24 {
            bail!(
                value,
                "{name}: class index {yi} is beyond what the CUDA kernel addresses (2^24)"
            );
        }
        targets.push(yi as f32);
        norm += weight.map_or(1.0, |w| w[yi as usize]) as f64;
        if matches!(kind, ClassLoss::Nll) {
            // NLL writes only the target class of each item.
            row.fill(1.0);
            row[yi as usize] = 0.0;
        }
    }
    Ok(ClassTargets {
        targets,
        zeros,
        norm,
    })
}

fn upload(ordinal: usize, values: &[f32], shape: Vec<usize>) -> Result<Tensor> {
    Tensor::from_f32(values.to_vec(), shape)?.to_device(crate::Device::Cuda(ordinal))
}

/// A pointwise loss of `input` and `target` (same shape; `weight` and `pos_weight` of that
/// shape, on the host) on `cuda:ordinal`.
#[allow(clippy::too_many_arguments)]
pub(super) fn pointwise(
    ordinal: usize,
    name: &'static str,
    kind: PointwiseLoss,
    input: &Tensor,
    target: &Tensor,
    weight: Option<&[f32]>,
    pos_weight: Option<&[f32]>,
    reduction: Reduction,
) -> Result<Tensor> {
    let shape = input.shape().to_vec();
    let n = input.numel();
    let w = weight
        .map(|w| upload(ordinal, w, shape.clone()))
        .transpose()?;
    let pw = pos_weight
        .map(|p| upload(ordinal, p, shape.clone()))
        .transpose()?;
    let mut out = launch_f32(
        ordinal,
        MODULE,
        "pointwise_loss",
        &[&shape, &shape, &shape],
        &[
            input,
            target,
            w.as_ref().unwrap_or(input),
            pw.as_ref().unwrap_or(input),
        ],
        &[
            n as u64,
            kind as u64,
            w.is_some().into(),
            pw.is_some().into(),
        ],
        n,
    )?
    .into_iter();
    let (Some(loss), Some(dx), Some(dt)) = (out.next(), out.next(), out.next()) else {
        bail!(internal, "pointwise_loss returned fewer than three outputs");
    };
    finish(Items {
        name,
        input,
        target,
        loss,
        d_input: dx,
        d_target: Some(dt),
        group: 1,
        norm: n as f64,
        zeros: None,
        reduction,
        ordinal,
    })
}

/// A classification loss of `input` ([n, c] or [c]) against class indices `y` (read and checked
/// on the host by the caller's shape check) on `cuda:ordinal`.
#[allow(clippy::too_many_arguments)]
pub(super) fn class(
    ordinal: usize,
    name: &'static str,
    kind: ClassLoss,
    input: &Tensor,
    target: &Tensor,
    (n, c, y): (usize, usize, Vec<i64>),
    weight: Option<&[f32]>,
    ignore_index: i64,
    reduction: Reduction,
) -> Result<Tensor> {
    let ClassTargets {
        targets: target_f,
        zeros,
        norm,
    } = class_targets(name, kind, c, &y, weight, ignore_index)?;
    let targets = upload(ordinal, &target_f, vec![n])?;
    let w = weight.map(|w| upload(ordinal, w, vec![c])).transpose()?;
    let x = input.reshape_to(&[n, c])?;
    let (mode, eps) = match kind {
        ClassLoss::CrossEntropy { label_smoothing } => (0, label_smoothing),
        ClassLoss::Nll => (1, 0.0),
    };
    // One block per row, its threads over the classes (a vocabulary of thousands is one
    // row's work for a few hundred threads, not for one).
    let threads = c.next_power_of_two().clamp(32, 256) as u32;
    let blocks = n.clamp(1, 65_535) as u32;
    let mut out = launch_f32_blocks(
        ordinal,
        MODULE,
        "class_loss",
        &[&[n], &[n, c]],
        &[&x, &targets, w.as_ref().unwrap_or(&x)],
        &[
            n as u64,
            c as u64,
            mode,
            w.is_some().into(),
            eps.to_bits() as u64,
        ],
        (if n == 0 { 0 } else { blocks }, threads, threads * 4),
    )?
    .into_iter();
    let (Some(loss), Some(d)) = (out.next(), out.next()) else {
        bail!(internal, "class_loss returned fewer than two outputs");
    };
    let loss = if input.ndim() == 1 {
        loss.reshape_to(&[])?
    } else {
        loss
    };
    finish(Items {
        name,
        input,
        target,
        loss,
        d_input: d.reshape_to(input.shape())?,
        d_target: None,
        group: c,
        norm,
        zeros: Some(upload(ordinal, &zeros, input.shape().to_vec())?),
        reduction,
        ordinal,
    })
}

/// The items of a loss on the device: per-item losses (the unreduced output's shape) and the
/// derivatives of each with respect to every input (and target) element.
struct Items<'a> {
    name: &'static str,
    input: &'a Tensor,
    target: &'a Tensor,
    loss: Tensor,
    d_input: Tensor,
    d_target: Option<Tensor>,
    /// Input elements per item.
    group: usize,
    /// Divisor of the mean (item count, or the targets' total class weight).
    norm: f64,
    /// 1 where PyTorch never writes the gradient (ignored items, NLL's other classes).
    zeros: Option<Tensor>,
    reduction: Reduction,
    ordinal: usize,
}

fn finish(items: Items) -> Result<Tensor> {
    let out = match items.reduction {
        Reduction::None => items.loss.clone(),
        Reduction::Sum => items.loss.sum(None, false)?,
        Reduction::Mean => items.loss.sum(None, false)?.div_scalar(items.norm)?,
    };
    let (input, target) = (items.input, items.target);
    let node = Node::record_custom(&[input, target], || {
        Box::new(DeviceLossBackward {
            name: items.name,
            input: input.clone(),
            target: target.clone(),
            d_input: items.d_input,
            d_target: items.d_target,
            group: items.group,
            norm: items.norm,
            zeros: items.zeros,
            reduction: items.reduction,
            ordinal: items.ordinal,
        })
    });
    Ok(out.detach().with_grad_fn_output(node, 0))
}

struct DeviceLossBackward {
    name: &'static str,
    input: Tensor,
    target: Tensor,
    d_input: Tensor,
    d_target: Option<Tensor>,
    group: usize,
    norm: f64,
    zeros: Option<Tensor>,
    reduction: Reduction,
    ordinal: usize,
}

impl DeviceLossBackward {
    /// `loss_backward` over the derivatives `d`, shaped like `shape`.
    fn scale(
        &self,
        d: &Tensor,
        g: &Tensor,
        zeros: Option<&Tensor>,
        shape: &[usize],
    ) -> Result<Tensor> {
        let mode = match self.reduction {
            Reduction::None => 0,
            Reduction::Sum => 1,
            Reduction::Mean => 2,
        };
        let mut out = launch_f32(
            self.ordinal,
            MODULE,
            "loss_backward",
            &[shape],
            &[d, g, zeros.unwrap_or(d)],
            &[
                d.numel() as u64,
                self.group as u64,
                mode,
                zeros.is_some().into(),
                self.norm.to_bits(),
            ],
            d.numel(),
        )?;
        Ok(out.swap_remove(0))
    }
}

impl CustomBackward for DeviceLossBackward {
    fn name(&self) -> &'static str {
        self.name
    }

    fn inputs(&self) -> Vec<Tensor> {
        vec![self.input.clone(), self.target.clone()]
    }

    fn backward(&self, grads: &[Option<Tensor>]) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = grads[0].as_ref() else {
            bail!(internal, "{} called without a gradient", self.name);
        };
        let dx = self.scale(&self.d_input, g, self.zeros.as_ref(), self.input.shape())?;
        let dt = match &self.d_target {
            Some(d) if self.target.requires_grad() => {
                Some(self.scale(d, g, None, self.target.shape())?)
            }
            _ => None,
        };
        Ok(vec![Some(dx), dt])
    }
}
