//! Step-major row layout shared by padded and packed batches: the rows of step `t` are
//! `offsets[t] .. offsets[t] + batch_sizes[t]`, and the active rows are always the first ones
//! (packed batches are sorted by decreasing length, as PyTorch requires).

pub struct StepLayout {
    pub batch_sizes: Vec<usize>,
    pub offsets: Vec<usize>,
    /// Rows of the widest step (the batch size).
    pub batch: usize,
    /// All rows of all steps.
    pub rows: usize,
}

impl StepLayout {
    pub fn new(batch_sizes: Vec<usize>) -> StepLayout {
        let mut offsets = Vec::with_capacity(batch_sizes.len());
        let mut rows = 0;
        for &b in &batch_sizes {
            offsets.push(rows);
            rows += b;
        }
        let batch = batch_sizes.first().copied().unwrap_or(0);
        StepLayout {
            batch_sizes,
            offsets,
            batch,
            rows,
        }
    }

    pub fn steps(&self) -> usize {
        self.batch_sizes.len()
    }
}

/// Swaps the first two axes of a [a, b, inner] buffer (batch-first <-> time-major).
pub fn swap_leading(data: &[f32], a: usize, b: usize, inner: usize) -> Vec<f32> {
    batch_first_output(&[data], a, b, inner)
}

/// The batch-first output [batch, steps, D * out] of D directions' step-major outputs (each
/// [steps, batch, out]): the directions interleaved and the leading axes swapped in one pass.
pub fn batch_first_output(dirs: &[&[f32]], steps: usize, batch: usize, out: usize) -> Vec<f32> {
    debug_assert!(dirs.iter().all(|d| d.len() == steps * batch * out));
    // Built in output order, so nothing is zero-filled first.
    let mut y = Vec::with_capacity(dirs.len() * steps * batch * out);
    for j in 0..batch {
        for i in 0..steps {
            let src = (i * batch + j) * out;
            for dir in dirs {
                y.extend_from_slice(&dir[src..src + out]);
            }
        }
    }
    y
}
