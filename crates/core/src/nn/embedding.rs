//! Row lookup in an embedding table. The padding row gets no gradient, as in PyTorch.

use crate::autograd::{CustomBackward, Node};
use crate::backend::fused::{self, CpuFused};
use crate::{bail, DType, Result, Tensor};

/// `weight[indices]`: output shape is `indices.shape + [dim]`.
pub fn embedding(weight: &Tensor, indices: &Tensor, padding_idx: Option<usize>) -> Result<Tensor> {
    fused::run(CpuFused {
        name: "embedding",
        operands: vec![weight, indices],
        body: |t: &[Tensor]| embedding_cpu(&t[0], &t[1], padding_idx),
    })
}

fn embedding_cpu(weight: &Tensor, indices: &Tensor, padding_idx: Option<usize>) -> Result<Tensor> {
    if indices.dtype() != DType::I64 {
        bail!(
            type,
            "Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; but got {} instead (while checking arguments for embedding)",
            indices.dtype().torch_name()
        );
    }
    if weight.ndim() != 2 || weight.dtype() != DType::F32 {
        bail!(value, "embedding(): weight must be a 2-D float32 tensor");
    }
    let (n, dim) = (weight.shape()[0], weight.shape()[1]);
    let idx = indices.to_vec_i64();
    if let Some(&bad) = idx.iter().find(|&&i| i < 0 || i as usize >= n) {
        bail!(
            range,
            "embedding(): index {bad} is out of range for a table of {n} rows (index out of range in self)"
        );
    }
    let mut shape = indices.shape().to_vec();
    shape.push(dim);
    let mut out = crate::memory::with_capacity::<f32>("embedding", &shape)?;
    if dim > 0 {
        let host = weight.host()?;
        let w = host.f32("embedding weight")?;
        for &i in &idx {
            let r = i as usize * dim;
            out.extend_from_slice(&w[r..r + dim]);
        }
    }
    let node = Node::record_custom(&[weight], || {
        Box::new(EmbeddingBackward {
            weight: weight.clone(),
            idx,
            padding_idx,
        })
    });
    Ok(Tensor::from_f32(out, shape)?.with_grad_fn_output(node, 0))
}

struct EmbeddingBackward {
    weight: Tensor,
    idx: Vec<i64>,
    padding_idx: Option<usize>,
}

impl CustomBackward for EmbeddingBackward {
    fn name(&self) -> &'static str {
        "EmbeddingBackward0"
    }

    fn inputs(&self) -> Vec<Tensor> {
        vec![self.weight.clone()]
    }

    /// Only the indices are read back, and they are copied at forward.
    fn saved_tensors(&self) -> Vec<Tensor> {
        Vec::new()
    }

    fn backward(&self, grads: &[Option<Tensor>]) -> Result<Vec<Option<Tensor>>> {
        let g = grads[0]
            .as_ref()
            .expect("called with a gradient")
            .to_vec_f32();
        let dim = self.weight.shape()[1];
        let mut dw = vec![0.0f32; self.weight.numel()];
        for (k, &i) in self.idx.iter().enumerate() {
            let i = i as usize;
            if Some(i) == self.padding_idx {
                continue;
            }
            for (d, v) in dw[i * dim..(i + 1) * dim]
                .iter_mut()
                .zip(&g[k * dim..(k + 1) * dim])
            {
                *d += v;
            }
        }
        Ok(vec![Some(Tensor::from_f32(
            dw,
            self.weight.shape().to_vec(),
        )?)])
    }
}
