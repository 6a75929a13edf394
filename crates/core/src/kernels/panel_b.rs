//! B of a large product packed in column panels: every `width` columns stored together, row
//! after row (k x `width` floats, contiguous). Row-major B puts the rows of a panel `n` floats
//! apart: at n = 512 every row of a panel falls into the same two sets of a 32 KB L1, so the
//! panel was read from L2 again for every register tile of A. Packed, a panel is one
//! sequential stream that the caches and prefetchers keep.

use rayon::prelude::*;

/// Columns per panel for this processor's broadcast kernel: its tile width, two vectors (32
/// floats with AVX-512, 16 with AVX2). A tile then reads whole rows of its panel, one
/// contiguous stream; AVX2 tiles reading half rows of 32-wide panels ran 5-8% slower on Zen 3
/// (bench/NOTES.md, "AVX2 processors").
pub fn panel_width() -> usize {
    #[cfg(target_arch = "x86_64")]
    if !std::arch::is_x86_feature_detected!("avx512f") {
        return 16;
    }
    32
}

/// Floats per 64-byte cache line: panels start on a line, so that a tile's row of B is whole
/// lines (a row split across two lines costs a second load from L2 at every step).
const LINE: usize = 16;

pub struct PanelB {
    /// Rows (the product's depth) and columns of B.
    pub k: usize,
    pub n: usize,
    /// Columns per panel (`panel_width()` when packed).
    pub width: usize,
    /// Panel q holds columns q*width.. as k rows of `width` floats from `data[start..]`;
    /// columns past n are zero. `start` puts the first panel on a cache line.
    data: Vec<f32>,
    start: usize,
}

impl PanelB {
    /// Packs B, k x n: from `b` row-major, or with `transposed` from `b` holding n x k
    /// row-major (B = W^T for a weight W). Panels are packed in parallel on the pool when
    /// `parallel`.
    pub fn pack(b: &[f32], k: usize, n: usize, transposed: bool, parallel: bool) -> PanelB {
        Self::pack_with_width(b, k, n, transposed, parallel, panel_width())
    }

    /// `pack` with `width` columns per panel (a multiple of 16).
    pub fn pack_with_width(
        b: &[f32],
        k: usize,
        n: usize,
        transposed: bool,
        parallel: bool,
        width: usize,
    ) -> PanelB {
        assert!(b.len() >= k * n, "PanelB::pack: buffer too small");
        assert!(
            width > 0 && width.is_multiple_of(16),
            "PanelB::pack: width {width}"
        );
        let len = n.div_ceil(width) * k * width;
        let mut data = vec![0.0f32; len + LINE - 1];
        let start = (data.as_ptr() as usize / 4).wrapping_neg() % LINE;
        let fill = |(q, panel): (usize, &mut [f32])| {
            let j0 = q * width;
            let cols = width.min(n - j0);
            if transposed {
                // Column j of B is row j of W: read it sequentially, a block of rows at a time
                // so that the block of the panel being written stays in L1.
                const ROWS: usize = 64;
                for p0 in (0..k).step_by(ROWS) {
                    let p1 = (p0 + ROWS).min(k);
                    for jj in 0..cols {
                        let src = &b[(j0 + jj) * k + p0..(j0 + jj) * k + p1];
                        for (p, &v) in (p0..p1).zip(src) {
                            panel[p * width + jj] = v;
                        }
                    }
                }
            } else {
                for (p, row) in panel.chunks_exact_mut(width).enumerate() {
                    row[..cols].copy_from_slice(&b[p * n + j0..p * n + j0 + cols]);
                }
            }
        };
        let panels = &mut data[start..start + len];
        if k > 0 {
            if parallel {
                crate::threads::install(|| {
                    panels.par_chunks_mut(k * width).enumerate().for_each(fill)
                });
            } else {
                panels.chunks_mut(k * width).enumerate().for_each(fill);
            }
        }
        PanelB {
            k,
            n,
            width,
            data,
            start,
        }
    }

    /// The panels, from the first one's first row.
    pub fn panels(&self) -> &[f32] {
        &self.data[self.start..]
    }

    /// Element (p, j) of B.
    pub fn get(&self, p: usize, j: usize) -> f32 {
        let w = self.width;
        self.panels()[(j / w) * self.k * w + p * w + j % w]
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
            for (parallel, width) in [(false, 16), (true, 16), (false, 32), (true, 32)] {
                for packed in [
                    PanelB::pack_with_width(&b, k, n, false, parallel, width),
                    PanelB::pack_with_width(&w, k, n, true, parallel, width),
                ] {
                    assert_eq!(packed.panels().as_ptr() as usize % 64, 0);
                    for p in 0..k {
                        for j in 0..n {
                            assert_eq!(packed.get(p, j), b[p * n + j], "{k}x{n} ({p}, {j})");
                        }
                    }
                    let padded = n.div_ceil(width) * width;
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
