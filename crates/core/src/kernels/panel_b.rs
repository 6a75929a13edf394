//! B of a large product packed in column panels: every `PANEL` columns stored together, row
//! after row (k x 32 floats, contiguous). Row-major B puts the rows of a panel `n` floats
//! apart: at n = 512 every row of a panel falls into the same two sets of a 32 KB L1, so the
//! panel was read from L2 again for every register tile of A. Packed, a panel is one
//! sequential stream that the caches and prefetchers keep.

use rayon::prelude::*;

/// Columns per panel: two AVX-512 vectors (four AVX2 ones), the broadcast kernel's tile width.
pub const PANEL: usize = 32;

pub struct PanelB {
    /// Rows (the product's depth) and columns of B.
    pub k: usize,
    pub n: usize,
    /// Panel q holds columns q*PANEL.. as k rows of PANEL floats; columns past n are zero.
    pub data: Vec<f32>,
}

impl PanelB {
    /// Packs B, k x n: from `b` row-major, or with `transposed` from `b` holding n x k
    /// row-major (B = W^T for a weight W). Panels are packed in parallel on the pool when
    /// `parallel`.
    pub fn pack(b: &[f32], k: usize, n: usize, transposed: bool, parallel: bool) -> PanelB {
        assert!(b.len() >= k * n, "PanelB::pack: buffer too small");
        let mut data = vec![0.0f32; n.div_ceil(PANEL) * k * PANEL];
        let fill = |(q, panel): (usize, &mut [f32])| {
            let j0 = q * PANEL;
            let width = PANEL.min(n - j0);
            if transposed {
                // Column j of B is row j of W: read it sequentially, a block of rows at a time
                // so that the block of the panel being written stays in L1.
                const ROWS: usize = 64;
                for p0 in (0..k).step_by(ROWS) {
                    let p1 = (p0 + ROWS).min(k);
                    for jj in 0..width {
                        let src = &b[(j0 + jj) * k + p0..(j0 + jj) * k + p1];
                        for (p, &v) in (p0..p1).zip(src) {
                            panel[p * PANEL + jj] = v;
                        }
                    }
                }
            } else {
                for (p, row) in panel.chunks_exact_mut(PANEL).enumerate() {
                    row[..width].copy_from_slice(&b[p * n + j0..p * n + j0 + width]);
                }
            }
        };
        if k > 0 {
            if parallel {
                crate::threads::install(|| {
                    data.par_chunks_mut(k * PANEL).enumerate().for_each(fill)
                });
            } else {
                data.chunks_mut(k * PANEL).enumerate().for_each(fill);
            }
        }
        PanelB { k, n, data }
    }

    /// Element (p, j) of B.
    pub fn get(&self, p: usize, j: usize) -> f32 {
        self.data[(j / PANEL) * self.k * PANEL + p * PANEL + j % PANEL]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packs_every_element_from_both_layouts_with_a_zero_tail() {
        for (k, n) in [(1, 1), (5, 31), (70, 33), (130, 64), (3, 100)] {
            let b: Vec<f32> = (0..k * n).map(|i| i as f32 + 1.0).collect();
            let mut w = vec![0.0f32; k * n];
            for p in 0..k {
                for j in 0..n {
                    w[j * k + p] = b[p * n + j];
                }
            }
            for parallel in [false, true] {
                for packed in [
                    PanelB::pack(&b, k, n, false, parallel),
                    PanelB::pack(&w, k, n, true, parallel),
                ] {
                    for p in 0..k {
                        for j in 0..n {
                            assert_eq!(packed.get(p, j), b[p * n + j], "{k}x{n} ({p}, {j})");
                        }
                    }
                    let padded = n.div_ceil(PANEL) * PANEL;
                    for p in 0..k {
                        for j in n..padded {
                            assert_eq!(packed.get(p, j), 0.0);
                        }
                    }
                }
            }
        }
    }
}
