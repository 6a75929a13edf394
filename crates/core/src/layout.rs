//! Where a tensor's elements sit in its storage: shape, strides (in elements) and offset.
//!
//! transpose, permute, narrow, select, expand, squeeze and unsqueeze only change the layout and
//! share the storage, as in PyTorch; kernels read strided layouts directly where that is cheap
//! and ask for a contiguous copy (`Storage::contiguous`) where they need one.

use crate::shape::{numel, strides};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    shape: Vec<usize>,
    strides: Vec<usize>,
    offset: usize,
}

impl Layout {
    /// Row-major layout of `shape` from the start of the storage.
    pub fn contiguous(shape: Vec<usize>) -> Layout {
        Layout::contiguous_at(shape, 0)
    }

    pub fn contiguous_at(shape: Vec<usize>, offset: usize) -> Layout {
        let strides = strides(&shape);
        Layout {
            shape,
            strides,
            offset,
        }
    }

    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    pub fn strides(&self) -> &[usize] {
        &self.strides
    }

    pub fn offset(&self) -> usize {
        self.offset
    }

    pub fn numel(&self) -> usize {
        numel(&self.shape)
    }

    /// Row-major with no gaps (size-1 dimensions may have any stride).
    pub fn is_contiguous(&self) -> bool {
        let mut expected = 1;
        for (&s, &st) in self.shape.iter().zip(&self.strides).rev() {
            if s != 1 && st != expected {
                return false;
            }
            expected *= s;
        }
        true
    }

    /// The storage range a contiguous layout covers, `None` for any other layout.
    pub fn contiguous_range(&self) -> Option<std::ops::Range<usize>> {
        self.is_contiguous()
            .then(|| self.offset..self.offset + self.numel())
    }

    /// Output dim `i` is input dim `dims[i]` (dims already validated).
    pub fn permute(&self, dims: &[usize]) -> Layout {
        Layout {
            shape: dims.iter().map(|&d| self.shape[d]).collect(),
            strides: dims.iter().map(|&d| self.strides[d]).collect(),
            offset: self.offset,
        }
    }

    /// Positions `start..start + len` along `dim` (already validated).
    pub fn narrow(&self, dim: usize, start: usize, len: usize) -> Layout {
        let mut l = self.clone();
        if len > 0 {
            l.offset += start * self.strides[dim];
        }
        l.shape[dim] = len;
        l
    }

    /// Position `index` along `dim`, which disappears.
    pub fn select(&self, dim: usize, index: usize) -> Layout {
        let mut l = self.narrow(dim, index, 1);
        l.shape.remove(dim);
        l.strides.remove(dim);
        l
    }

    /// Broadcast to `shape` (NumPy rules, already checked): repeated dimensions get stride 0.
    pub fn broadcast_to(&self, shape: &[usize]) -> Layout {
        let lead = shape.len() - self.shape.len();
        let strides = shape
            .iter()
            .enumerate()
            .map(|(i, &t)| {
                if i < lead {
                    0
                } else {
                    let j = i - lead;
                    if self.shape[j] == t {
                        self.strides[j]
                    } else {
                        0
                    }
                }
            })
            .collect();
        Layout {
            shape: shape.to_vec(),
            strides,
            offset: self.offset,
        }
    }

    pub fn unsqueeze(&self, dim: usize) -> Layout {
        let mut l = self.clone();
        let stride = if dim < self.shape.len() {
            self.strides[dim] * self.shape[dim]
        } else {
            1
        };
        l.shape.insert(dim, 1);
        l.strides.insert(dim, stride);
        l
    }

    /// Drops the listed size-1 dimensions.
    pub fn squeeze(&self, dims: &[usize]) -> Layout {
        let mut l = Layout {
            shape: Vec::with_capacity(self.shape.len()),
            strides: Vec::with_capacity(self.shape.len()),
            offset: self.offset,
        };
        for (i, (&s, &st)) in self.shape.iter().zip(&self.strides).enumerate() {
            if !dims.contains(&i) {
                l.shape.push(s);
                l.strides.push(st);
            }
        }
        l
    }

    /// For a 2-D (or batched, last-two-dims) layout: `Some(false)` when rows are contiguous,
    /// `Some(true)` when it is the transpose of a contiguous matrix, `None` otherwise.
    pub fn matrix_transposed(&self) -> Option<bool> {
        let n = self.shape.len();
        if n < 2 {
            return None;
        }
        let (r, c) = (self.shape[n - 2], self.shape[n - 1]);
        let (sr, sc) = (self.strides[n - 2], self.strides[n - 1]);
        let batch_ok = |mat: usize| {
            let mut expected = mat;
            for i in (0..n - 2).rev() {
                if self.shape[i] != 1 && self.strides[i] != expected {
                    return false;
                }
                expected *= self.shape[i];
            }
            true
        };
        if (c == 1 || sc == 1) && (r == 1 || sr == c) && batch_ok(r * c) {
            Some(false)
        } else if (r == 1 || sr == 1) && (c == 1 || sc == r) && batch_ok(r * c) {
            Some(true)
        } else {
            None
        }
    }

    /// Calls `f(out_start, storage_start, stride, len)` for each row of the last dimension,
    /// in row-major order of the layout.
    pub fn for_each_row(&self, mut f: impl FnMut(usize, usize, usize, usize)) {
        let n = self.numel();
        if n == 0 {
            return;
        }
        if self.shape.is_empty() {
            f(0, self.offset, 1, 1);
            return;
        }
        let nd = self.shape.len();
        let last = self.shape[nd - 1];
        let ls = self.strides[nd - 1];
        let mut index = vec![0usize; nd];
        let mut base = self.offset;
        let mut out = 0;
        while out < n {
            f(out, base, ls, last);
            out += last;
            for d in (0..nd - 1).rev() {
                index[d] += 1;
                base += self.strides[d];
                if index[d] < self.shape[d] {
                    break;
                }
                base -= self.strides[d] * index[d];
                index[d] = 0;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offsets(l: &Layout) -> Vec<usize> {
        let mut v = Vec::new();
        l.for_each_row(|_, base, stride, len| v.extend((0..len).map(|j| base + j * stride)));
        v
    }

    #[test]
    fn views_address_the_right_elements() {
        let l = Layout::contiguous(vec![2, 3]);
        assert!(l.is_contiguous());
        assert_eq!(offsets(&l.permute(&[1, 0])), vec![0, 3, 1, 4, 2, 5]);
        assert_eq!(l.permute(&[1, 0]).matrix_transposed(), Some(true));
        assert_eq!(offsets(&l.narrow(1, 1, 2)), vec![1, 2, 4, 5]);
        assert_eq!(offsets(&l.select(0, 1)), vec![3, 4, 5]);
        assert!(l.select(0, 1).is_contiguous());
        assert_eq!(offsets(&l.select(1, 2)), vec![2, 5]);
        let b = Layout::contiguous(vec![3]).broadcast_to(&[2, 3]);
        assert_eq!(offsets(&b), vec![0, 1, 2, 0, 1, 2]);
        assert!(!b.is_contiguous());
        assert_eq!(l.unsqueeze(0).shape(), &[1, 2, 3]);
        assert!(l.unsqueeze(2).is_contiguous());
        assert_eq!(l.unsqueeze(1).squeeze(&[1]), l);
        assert_eq!(offsets(&Layout::contiguous(vec![])), vec![0]);
        assert_eq!(
            offsets(&Layout::contiguous(vec![2, 0])),
            Vec::<usize>::new()
        );
    }
}
