//! A block of A packed in panels of register-tile rows, for the products that read A
//! transposed (the weight gradients, dG^T x): the counterpart of `panel_b.rs` for the other
//! operand. `gemm_ab.rs` packs one block per pass over its depth and its tiles read it.

/// A block of A (rows x depth) packed for the register tiles: every `rows` rows together,
/// step after step, so that a tile reads its rows of A as one sequential stream. Read in place,
/// a transposed A (a weight gradient's dG^T) puts each step a whole row of dG apart: at 2-8 KB
/// strides the steps of a tile fall into a few L1 sets and come from L2 again at every step.
pub(crate) struct APanels {
    pub(super) data: Vec<f32>,
    /// Rows per panel (a tile height).
    pub(super) rows: usize,
    /// Steps of depth packed.
    pub(super) depth: usize,
}

impl APanels {
    pub(crate) fn new(rows: usize) -> APanels {
        APanels {
            data: Vec::new(),
            rows,
            depth: 0,
        }
    }

    /// Packs rows r0..r0 + rows and depth p0..p0 + depth of A (element (i, p) at
    /// `a[i * rs + p * cs]`), reusing the buffer. Rows past the last panel's end are left as
    /// they were: no tile reads them.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn pack(
        &mut self,
        a: &[f32],
        (rs, cs): (usize, usize),
        r0: usize,
        rows: usize,
        p0: usize,
        depth: usize,
    ) {
        let mr = self.rows;
        let len = rows.div_ceil(mr) * mr * depth;
        if self.data.len() < len {
            self.data.resize(len, 0.0);
        }
        self.depth = depth;
        let out = &mut self.data[..len];
        let strides = (rs, cs);
        match mr {
            6 => pack_panels::<6>(out, a, strides, r0, rows, p0, depth),
            8 => pack_panels::<8>(out, a, strides, r0, rows, p0, depth),
            12 => pack_panels::<12>(out, a, strides, r0, rows, p0, depth),
            _ => panic!("APanels: panels of {mr} rows"),
        }
    }
}

/// Steps ahead that packing a transposed A fetches its source rows: each step's rows lie on
/// another page, where the hardware prefetchers stop. Without it packing took 40% of a weight
/// gradient's time at 64 columns on Zen 3; 4-32 steps ahead were within the noise there.
#[cfg(target_arch = "x86_64")]
const PACK_AHEAD: usize = 8;

/// `APanels::pack` for panels of MR rows (a constant, so that each step's rows are one fixed
/// copy rather than a call to copy a short slice).
#[allow(clippy::too_many_arguments)]
fn pack_panels<const MR: usize>(
    out: &mut [f32],
    a: &[f32],
    (rs, cs): (usize, usize),
    r0: usize,
    rows: usize,
    p0: usize,
    depth: usize,
) {
    let full = rows / MR;
    if rs == 1 {
        // Transposed A: each step's rows are contiguous in the source.
        for p in 0..depth {
            #[cfg(target_arch = "x86_64")]
            {
                let ahead = PACK_AHEAD.min(depth - 1 - p);
                let next = a[(p0 + p + ahead) * cs + r0..][..rows].as_ptr();
                for line in (0..rows).step_by(16) {
                    // SAFETY: a prefetch only hints; the address lies inside `a`.
                    unsafe {
                        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
                            next.add(line) as *const i8,
                        )
                    };
                }
            }
            let src = &a[(p0 + p) * cs + r0..][..rows];
            for t in 0..full {
                let chunk: &[f32; MR] = src[t * MR..][..MR].try_into().unwrap();
                let dst: &mut [f32; MR] =
                    (&mut out[(t * depth + p) * MR..][..MR]).try_into().unwrap();
                *dst = *chunk;
            }
            let tail = &src[full * MR..];
            if !tail.is_empty() {
                out[(full * depth + p) * MR..][..tail.len()].copy_from_slice(tail);
            }
        }
    } else {
        for i in 0..rows {
            let (t, ii) = (i / MR, i % MR);
            let src = &a[(r0 + i) * rs + p0 * cs..];
            let panel = &mut out[t * MR * depth..][..MR * depth];
            for p in 0..depth {
                panel[p * MR + ii] = src[p * cs];
            }
        }
    }
}

/// Rows of A per packed panel: the register tile's height where a SIMD kernel runs.
pub(crate) fn packed_a_rows(tile_rows: super::plan::TileRows) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            return Some(tile_rows.rows());
        }
        if super::gemm_ab::has_simd_kernel() {
            return Some(6);
        }
    }
    let _ = tile_rows;
    None
}
