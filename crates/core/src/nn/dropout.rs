//! Inverted dropout: zero each element with probability p and scale the rest by 1/(1-p).

use crate::autograd::{CustomBackward, Node};
use crate::backend::fused::{self, CpuFused};
use crate::ops::random::fill_uniform;
use crate::{bail, DType, Result, Tensor};

pub fn dropout(x: &Tensor, p: f64, training: bool) -> Result<Tensor> {
    fused::run(CpuFused {
        name: "dropout",
        operands: vec![x],
        body: |t: &[Tensor]| dropout_cpu(&t[0], p, training),
    })
}

fn dropout_cpu(x: &Tensor, p: f64, training: bool) -> Result<Tensor> {
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
    let mut mask = crate::memory::zeroed::<f32>("dropout", x.shape())?;
    fill_uniform(&mut mask, 0.0, 1.0);
    let scale = if p < 1.0 {
        (1.0 / (1.0 - p)) as f32
    } else {
        0.0
    };
    let p = p as f32;
    mask.iter_mut()
        .for_each(|m| *m = if *m >= p { scale } else { 0.0 });
    let out: Vec<f32> = x
        .to_vec_f32()
        .iter()
        .zip(&mask)
        .map(|(v, m)| v * m)
        .collect();
    let node = Node::record_custom(&[x], || Box::new(DropoutBackward { x: x.clone(), mask }));
    Ok(Tensor::from_f32(out, x.shape().to_vec())?.with_grad_fn_output(node, 0))
}

struct DropoutBackward {
    x: Tensor,
    mask: Vec<f32>,
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
        let g = grads[0]
            .as_ref()
            .expect("called with a gradient")
            .to_vec_f32();
        let dx = g.iter().zip(&self.mask).map(|(a, m)| a * m).collect();
        Ok(vec![Some(Tensor::from_f32(dx, self.x.shape().to_vec())?)])
    }
}
