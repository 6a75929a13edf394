//! Row lookup in an embedding table, on any device: the rows are gathered by `index_select` and
//! the gradient is scattered back by `index_add` (both backend primitives, so the same code runs
//! on the CPU and a GPU). The padding row gets no gradient, as in PyTorch.

use crate::autograd::{index_add_into, CustomBackward, Node};
use crate::device::same_device;
use crate::{bail, DType, Result, Tensor};

/// `weight[indices]`: output shape is `indices.shape + [dim]`. The indices are read on the host
/// to check their range (PyTorch checks on the device; here an out-of-range index is a clear
/// error before anything runs), so indices on a GPU cost one transfer.
pub fn embedding(weight: &Tensor, indices: &Tensor, padding_idx: Option<usize>) -> Result<Tensor> {
    same_device(&[weight, indices])?;
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
    crate::shape::checked_numel("embedding", &shape)?;
    // The rows straight from the storage: the indices were read and checked once, above.
    let picks: Vec<usize> = idx.iter().map(|&i| i as usize).collect();
    let rows = weight.storage().index_select(weight.layout(), 0, &picks)?;
    let node = Node::record_custom(&[weight], || {
        Box::new(EmbeddingBackward {
            weight: weight.clone(),
            idx: picks.clone(),
            padding_idx,
        })
    });
    Ok(Tensor::from_storage(rows, shape).with_grad_fn_output(node, 0))
}

struct EmbeddingBackward {
    weight: Tensor,
    idx: Vec<usize>,
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
        let Some(g) = grads[0].as_ref() else {
            bail!(internal, "EmbeddingBackward0 called without a gradient");
        };
        let dim = self.weight.shape()[1];
        let g = g.reshape_to(&[self.idx.len(), dim])?;
        // Lookups of the padding row pass nothing back: leave their rows out of the sum.
        let (picks, g) = match self.padding_idx {
            Some(pad) if self.idx.contains(&pad) => {
                let (positions, picks): (Vec<i64>, Vec<usize>) = self
                    .idx
                    .iter()
                    .enumerate()
                    .filter(|(_, &i)| i != pad)
                    .map(|(k, &i)| (k as i64, i))
                    .unzip();
                let positions = Tensor::from_i64(positions.clone(), vec![positions.len()])?;
                (picks, g.index_select(0, &positions)?)
            }
            _ => (self.idx.clone(), g),
        };
        Ok(vec![Some(index_add_into(
            self.weight.shape(),
            0,
            &picks,
            &g,
        )?)])
    }
}
