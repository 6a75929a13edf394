//! Packing padded batches of variable-length sequences (PyTorch's `pack_padded_sequence` and
//! `pad_packed_sequence` data movement), each differentiable. Sorting by length is done by the
//! caller with `index_select`, as PyTorch does.

use crate::autograd::{CustomBackward, Node};
use crate::HostSlice;
use crate::{bail, DType, Result, Tensor};

/// For each packed row, its row index in the padded [T, B] (or [B, T]) layout.
fn row_map(batch_sizes: &[usize], steps: usize, batch: usize, batch_first: bool) -> Vec<usize> {
    let mut map = Vec::with_capacity(batch_sizes.iter().sum());
    for (t, &bs) in batch_sizes.iter().enumerate() {
        for b in 0..bs {
            map.push(if batch_first {
                b * steps + t
            } else {
                t * batch + b
            });
        }
    }
    map
}

fn gather_rows(src: &[f32], map: &[usize], inner: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(map.len() * inner);
    for &r in map {
        out.extend_from_slice(&src[r * inner..(r + 1) * inner]);
    }
    out
}

/// Writes row `i` of `src` to row `map[i]` of `out` (already filled with padding).
fn scatter_rows(src: &[f32], map: &[usize], inner: usize, out: &mut [f32]) {
    for (i, &r) in map.iter().enumerate() {
        out[r * inner..(r + 1) * inner].copy_from_slice(&src[i * inner..(i + 1) * inner]);
    }
}

fn float_data(t: &Tensor, op: &str) -> Result<Vec<f32>> {
    match t.host()?.slice() {
        HostSlice::F32(v) => Ok(v.to_vec()),
        HostSlice::I64(_) => bail!(type, "{op}: expected a float32 tensor, got int64"),
    }
}

/// Packs a padded batch whose `lengths` are sorted in decreasing order. Returns the packed
/// data ([sum(lengths), *]) and PyTorch's `batch_sizes`.
pub fn pack_padded(
    input: &Tensor,
    lengths: &[usize],
    batch_first: bool,
) -> Result<(Tensor, Vec<usize>)> {
    if input.ndim() < 2 {
        bail!(
            value,
            "pack_padded_sequence(): input must have at least 2 dimensions, got {}",
            input.ndim()
        );
    }
    if input.dtype() != DType::F32 {
        bail!(type, "pack_padded_sequence(): input must be float32");
    }
    let (steps, batch) = if batch_first {
        (input.shape()[1], input.shape()[0])
    } else {
        (input.shape()[0], input.shape()[1])
    };
    if lengths.len() != batch {
        bail!(
            value,
            "Expected `len(lengths)` to be equal to batch_size, but got {} (batch_size={batch})",
            lengths.len()
        );
    }
    if lengths.contains(&0) {
        bail!(
            value,
            "Length of all samples has to be greater than 0, but found an element in 'lengths' that is <= 0"
        );
    }
    if lengths.windows(2).any(|w| w[1] > w[0]) {
        bail!(
            value,
            "`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. You can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to sidestep this requirement if you do not need ONNX exportability."
        );
    }
    if lengths[0] > steps {
        bail!(
            value,
            "pack_padded_sequence(): a length of {} is longer than the {steps} steps of the input",
            lengths[0]
        );
    }
    let batch_sizes: Vec<usize> = (0..lengths[0])
        .map(|t| lengths.iter().filter(|&&l| l > t).count())
        .collect();
    let inner: usize = input.shape()[2..].iter().product();
    let map = row_map(&batch_sizes, steps, batch, batch_first);
    let data = gather_rows(&float_data(input, "pack_padded_sequence()")?, &map, inner);
    let mut shape = vec![map.len()];
    shape.extend_from_slice(&input.shape()[2..]);
    let node = Node::record_custom(&[input], || {
        Box::new(PackBackward {
            input: input.clone(),
            map: map.clone(),
            inner,
        })
    });
    Ok((
        // Packed on the host, returned on the input's device.
        Tensor::from_f32(data, shape)?
            .to_device(input.device())?
            .with_grad_fn(node),
        batch_sizes,
    ))
}

/// Unpacks packed `data` into a padded batch of `total_length` steps (at least the longest
/// sequence), filling the gaps with `padding_value`.
pub fn pad_packed(
    data: &Tensor,
    batch_sizes: &[usize],
    batch_first: bool,
    padding_value: f32,
    total_length: Option<usize>,
) -> Result<Tensor> {
    if batch_sizes.contains(&0) || batch_sizes.windows(2).any(|w| w[1] > w[0]) {
        bail!(
            value,
            "pad_packed_sequence(): batch_sizes must be positive and non-increasing"
        );
    }
    let rows = batch_sizes
        .iter()
        .try_fold(0usize, |a, &b| a.checked_add(b));
    if data.ndim() < 1 || Some(data.shape()[0]) != rows {
        bail!(
            value,
            "pad_packed_sequence(): data rows do not match batch_sizes"
        );
    }
    let steps_min = batch_sizes.len();
    let steps = match total_length {
        Some(t) if t < steps_min => bail!(
            value,
            "Expected total_length to be at least the length of the longest sequence in input, but got total_length={t} and max sequence length being {steps_min}"
        ),
        Some(t) => t,
        None => steps_min,
    };
    let batch = batch_sizes.first().copied().unwrap_or(0);
    let inner: usize = data.shape()[1..].iter().product();
    let mut shape = if batch_first {
        vec![batch, steps]
    } else {
        vec![steps, batch]
    };
    shape.extend_from_slice(&data.shape()[1..]);
    // `total_length` sizes the result: check it before building anything.
    let mut out = crate::memory::filled::<f32>("pad_packed_sequence", &shape, padding_value)?;
    let map = row_map(batch_sizes, steps, batch, batch_first);
    scatter_rows(
        &float_data(data, "pad_packed_sequence()")?,
        &map,
        inner,
        &mut out,
    );
    let node = Node::record_custom(&[data], || {
        Box::new(PadBackward {
            data: data.clone(),
            map: map.clone(),
            inner,
        })
    });
    Ok(Tensor::from_f32(out, shape)?
        .to_device(data.device())?
        .with_grad_fn(node))
}

struct PackBackward {
    input: Tensor,
    map: Vec<usize>,
    inner: usize,
}

impl CustomBackward for PackBackward {
    fn name(&self) -> &'static str {
        "PackPaddedSequenceBackward0"
    }
    fn inputs(&self) -> Vec<Tensor> {
        vec![self.input.clone()]
    }

    /// A pure rearrangement: no values are read back.
    fn saved_tensors(&self) -> Vec<Tensor> {
        Vec::new()
    }

    fn backward(&self, grads: &[Option<Tensor>]) -> Result<Vec<Option<Tensor>>> {
        let g = grads[0]
            .as_ref()
            .expect("called with a gradient")
            .to_vec_f32();
        let mut out = vec![0.0f32; self.input.numel()];
        scatter_rows(&g, &self.map, self.inner, &mut out);
        Ok(vec![Some(
            Tensor::from_f32(out, self.input.shape().to_vec())?.to_device(self.input.device())?,
        )])
    }
}

struct PadBackward {
    data: Tensor,
    map: Vec<usize>,
    inner: usize,
}

impl CustomBackward for PadBackward {
    fn name(&self) -> &'static str {
        "PadPackedSequenceBackward0"
    }
    fn inputs(&self) -> Vec<Tensor> {
        vec![self.data.clone()]
    }

    /// A pure rearrangement: no values are read back.
    fn saved_tensors(&self) -> Vec<Tensor> {
        Vec::new()
    }

    fn backward(&self, grads: &[Option<Tensor>]) -> Result<Vec<Option<Tensor>>> {
        let g = grads[0]
            .as_ref()
            .expect("called with a gradient")
            .to_vec_f32();
        let out = gather_rows(&g, &self.map, self.inner);
        Ok(vec![Some(
            Tensor::from_f32(out, self.data.shape().to_vec())?.to_device(self.data.device())?,
        )])
    }
}
