//! Inverted dropout: zero each element with probability p and scale the rest by 1/(1-p). The
//! mask is drawn on the host from seqtorch's generator (so a seed gives the same mask on every
//! device) and applied with a tensor product on the input's device.

use crate::autograd::{CustomBackward, Node};
use crate::ops::random::fill_uniform;
use crate::{bail, DType, Result, Tensor};

pub fn dropout(x: &Tensor, p: f64, training: bool) -> Result<Tensor> {
    if !(0.0..=1.0).contains(&p) {
        bail!(
            value,
            "dropout probability has to be between 0 and 1, but got {p}"
        );
    }
    if x.dtype() != DType::F32 {
        bail!(type, "dropout(): expected a float32 tensor");
    }
    if !training || p == 0.0 {
        return Ok(x.clone());
    }
    let mask = Tensor::from_f32(mask(x.shape(), p)?, x.shape().to_vec())?.to_device(x.device())?;
    let out = x.detach().mul(&mask)?;
    let node = Node::record_custom(&[x], || Box::new(DropoutBackward { x: x.clone(), mask }));
    Ok(out.with_grad_fn_output(node, 0))
}

/// The scaled keep-mask: 1/(1-p) where a uniform draw is >= p, else 0 (all zeros for p = 1).
pub(crate) fn mask(shape: &[usize], p: f64) -> Result<Vec<f32>> {
    let mut mask = crate::memory::zeroed::<f32>("dropout", shape)?;
    fill_uniform(&mut mask, 0.0, 1.0);
    let scale = if p < 1.0 {
        (1.0 / (1.0 - p)) as f32
    } else {
        0.0
    };
    let p = p as f32;
    mask.iter_mut()
        .for_each(|m| *m = if *m >= p { scale } else { 0.0 });
    Ok(mask)
}

struct DropoutBackward {
    x: Tensor,
    mask: Tensor,
}

impl CustomBackward for DropoutBackward {
    fn name(&self) -> &'static str {
        "MulBackward0"
    }

    fn inputs(&self) -> Vec<Tensor> {
        vec![self.x.clone()]
    }

    /// Only the mask is read back.
    fn saved_tensors(&self) -> Vec<Tensor> {
        Vec::new()
    }

    fn backward(&self, grads: &[Option<Tensor>]) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = grads[0].as_ref() else {
            bail!(internal, "dropout backward called without a gradient");
        };
        Ok(vec![Some(g.mul(&self.mask)?)])
    }
}
