//! Step-major row layout shared by padded and packed batches: the rows of step `t` are
//! `offsets[t] .. offsets[t] + batch_sizes[t]`, and the active rows are always the first ones
//! (packed batches are sorted by decreasing length, as PyTorch requires).

use std::mem::MaybeUninit;

use rayon::prelude::*;

use crate::threads;

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
    assert!(dirs.iter().all(|d| d.len() == steps * batch * out));
    let per_batch = dirs.len() * steps * out;
    let len = batch * per_batch;
    let mut y: Vec<f32> = Vec::with_capacity(len);
    // Each sequence's rows, written in output order: nothing is zero-filled first.
    let fill = |j: usize, dst: &mut [MaybeUninit<f32>]| {
        let mut at = 0;
        for i in 0..steps {
            let src = (i * batch + j) * out;
            for dir in dirs {
                // SAFETY: `dst` has room for `per_batch` values, written once each in order.
                unsafe {
                    std::ptr::copy_nonoverlapping(
                        dir[src..src + out].as_ptr(),
                        dst[at..at + out].as_mut_ptr().cast::<f32>(),
                        out,
                    )
                };
                at += out;
            }
        }
    };
    let spare = &mut y.spare_capacity_mut()[..len];
    if per_batch > 0 {
        // A strided gather of a few MB on the calling thread while the pool waits: split by
        // sequence once it is large enough to pay for the fork.
        let parallel = len >= PARALLEL_MIN_LEN
            && threads::get_num_threads() > 1
            && rayon::current_thread_index().is_none();
        if parallel {
            threads::install(|| {
                spare
                    .par_chunks_mut(per_batch)
                    .enumerate()
                    .for_each(|(j, dst)| fill(j, dst))
            });
        } else {
            spare
                .chunks_mut(per_batch)
                .enumerate()
                .for_each(|(j, dst)| fill(j, dst));
        }
    }
    // SAFETY: every one of the `len` values was written above.
    unsafe { y.set_len(len) };
    y
}

/// Floats from which the reorder runs on the pool (1 MB).
const PARALLEL_MIN_LEN: usize = 1 << 18;

#[cfg(test)]
mod tests {
    use super::*;

    /// Element (j, i, k, c) of the batch-first output is direction k's value at step i, row j.
    fn reference(dirs: &[Vec<f32>], steps: usize, batch: usize, out: usize) -> Vec<f32> {
        let mut y = Vec::new();
        for j in 0..batch {
            for i in 0..steps {
                for d in dirs {
                    y.extend_from_slice(&d[(i * batch + j) * out..(i * batch + j + 1) * out]);
                }
            }
        }
        y
    }

    #[test]
    fn batch_first_output_interleaves_and_reorders_small_and_large_outputs() {
        // The large shape crosses PARALLEL_MIN_LEN, so with more than one thread it is split
        // across the pool; the small one stays on the calling thread.
        threads::set_num_threads(2).unwrap();
        let cases = [(3, 2, 5, 1), (3, 2, 5, 2), (40, 33, 100, 2), (7, 0, 4, 1)];
        assert!(cases
            .iter()
            .any(|&(s, b, o, d)| s * b * o * d >= PARALLEL_MIN_LEN));
        for (steps, batch, out, d) in cases {
            let dirs: Vec<Vec<f32>> = (0..d)
                .map(|k| {
                    (0..steps * batch * out)
                        .map(|v| (v * 2 + k) as f32)
                        .collect()
                })
                .collect();
            let views: Vec<&[f32]> = dirs.iter().map(|v| v.as_slice()).collect();
            assert_eq!(
                batch_first_output(&views, steps, batch, out),
                reference(&dirs, steps, batch, out),
                "steps {steps}, batch {batch}, out {out}, directions {d}"
            );
        }
        assert_eq!(
            swap_leading(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 3, 2, 1),
            vec![1.0, 3.0, 5.0, 2.0, 4.0, 6.0]
        );
    }
}
