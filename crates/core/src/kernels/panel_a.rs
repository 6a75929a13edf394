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

/// All of A (m x k) in the layout `APanels` gives a block: panels of `rows` rows, each `k`
/// steps of `rows` values. For an A that is read transposed by more than one product (a
/// recurrent layer's dG^T, against its input and its states) and is written one run of columns
/// at a time while those columns are still in cache (a step's rows of dG as the backward loop
/// makes them): the products then read their blocks in place, where packing each block read dG
/// back from L3, 2-8 KB between steps (17% of small-lstm128's weight gradient on Zen 3).
pub struct PanelA {
    pub(super) data: crate::buffer_pool::PooledBuffer,
    pub(super) rows: usize,
    pub(super) m: usize,
    pub(super) k: usize,
}

impl PanelA {
    /// Room for an `m` x `k` A in panels of the tile height that runs here under the current
    /// kernel plan, from the buffer pool without a zero fill: every column must be written
    /// (`write_columns`) before a product reads it. None where no SIMD tile reads packed
    /// panels (the products then go through `sgemm`).
    pub fn pooled(m: usize, k: usize) -> Option<PanelA> {
        let rows = packed_a_rows(super::plan::plan().tile_rows)?;
        Some(PanelA {
            // The last panel's rows past m are never read: its tiles are shorter.
            data: crate::buffer_pool::PooledBuffer::new(m.div_ceil(rows) * rows * k),
            rows,
            m,
            k,
        })
    }

    pub fn m(&self) -> usize {
        self.m
    }

    /// Rows per panel.
    pub fn panel_rows(&self) -> usize {
        self.rows
    }

    /// Writes columns `p0..p0 + count` of A from `src`, which holds them transposed: `count`
    /// rows of `m` values (a run of rows of dG).
    pub fn write_columns(&mut self, p0: usize, count: usize, src: &[f32]) {
        let columns = self.columns();
        // SAFETY: `self` is borrowed exclusively, so no other write overlaps.
        unsafe { columns.write(p0, count, src) }
    }

    /// The sum of each row of A over all its columns, column after column (for dG^T: the
    /// column sums of dG, a bias gradient, as a row-by-row pass over dG adds them).
    pub fn row_sums(&self) -> Vec<f32> {
        let mr = self.rows;
        let mut sums = vec![0.0f32; self.m.div_ceil(mr) * mr];
        match mr {
            6 => panel_row_sums::<6>(&self.data, self.k, &mut sums),
            8 => panel_row_sums::<8>(&self.data, self.k, &mut sums),
            12 => panel_row_sums::<12>(&self.data, self.k, &mut sums),
            _ => panic!("PanelA: panels of {mr} rows"),
        }
        sums.truncate(self.m);
        sums
    }

    /// A handle through which threads write disjoint runs of columns at once, for as long as
    /// it borrows the panels.
    pub fn columns(&mut self) -> PanelAColumns<'_> {
        PanelAColumns {
            ptr: self.data.as_mut_ptr(),
            len: self.data.len(),
            rows: self.rows,
            m: self.m,
            k: self.k,
            _panels: std::marker::PhantomData,
        }
    }
}

/// `PanelA::write_columns` for several threads at once, each on its own columns.
#[derive(Clone, Copy)]
pub struct PanelAColumns<'a> {
    ptr: *mut f32,
    len: usize,
    rows: usize,
    m: usize,
    k: usize,
    _panels: std::marker::PhantomData<&'a mut PanelA>,
}

// SAFETY: writers touch disjoint columns (the caller's contract on `write`), and the buffer
// outlives them (they hold the `&mut PanelA` borrow they were made from).
unsafe impl Send for PanelAColumns<'_> {}
unsafe impl Sync for PanelAColumns<'_> {}

impl PanelAColumns<'_> {
    /// As `PanelA::write_columns`.
    ///
    /// # Safety
    /// No other thread may write or read columns `p0..p0 + count` meanwhile.
    pub unsafe fn write(&self, p0: usize, count: usize, src: &[f32]) {
        let (mr, m, k) = (self.rows, self.m, self.k);
        assert!(
            p0 + count <= k && src.len() >= count * m,
            "PanelA: columns outside A"
        );
        for t in 0..m.div_ceil(mr) {
            let start = (t * k + p0) * mr;
            assert!(
                start + count * mr <= self.len,
                "PanelA: panel outside its buffer"
            );
            // SAFETY: inside the buffer (asserted); these columns are this caller's alone.
            let out = unsafe { std::slice::from_raw_parts_mut(self.ptr.add(start), count * mr) };
            let src = &src[t * mr..];
            match mr {
                _ if (t + 1) * mr > m => {
                    let width = m - t * mr;
                    for (p, dst) in out.chunks_exact_mut(mr).enumerate() {
                        dst[..width].copy_from_slice(&src[p * m..][..width]);
                    }
                }
                6 => copy_panel::<6>(out, src, m),
                8 => copy_panel::<8>(out, src, m),
                12 => copy_panel::<12>(out, src, m),
                _ => panic!("PanelA: panels of {mr} rows"),
            }
        }
    }
}

/// `PanelA::row_sums` over panels of MR rows, `k` steps each. Each row's sum adds its values
/// in column order (as a pass over dG's rows does); four panels at a time, in SSE registers, so
/// that their chains of additions overlap instead of each waiting on the last.
fn panel_row_sums<const MR: usize>(data: &[f32], k: usize, sums: &mut [f32]) {
    let panels = sums.len() / MR;
    assert!(data.len() >= panels * k * MR && sums.len() == panels * MR);
    // Groups of four panels in SSE registers where there are any, the rest one by one.
    let grouped = if cfg!(target_arch = "x86_64") {
        panels / 4 * 4
    } else {
        0
    };
    #[cfg(target_arch = "x86_64")]
    for t in (0..grouped).step_by(4) {
        // SAFETY: panels t..t + 4 lie inside `data` and `sums` (asserted above).
        unsafe { row_sums_sse::<MR, 4>(&data[t * k * MR..], k, &mut sums[t * MR..]) };
    }
    for t in grouped..panels {
        let out = &mut sums[t * MR..][..MR];
        for step in data[t * k * MR..][..k * MR].chunks_exact(MR) {
            out.iter_mut().zip(step).for_each(|(s, &v)| *s += v);
        }
    }
}

/// P panels' row sums, MR = 4q or 4q + 2 rows each: per panel q four-lane accumulators and,
/// for MR = 6, one of two lanes.
///
/// # Safety
/// `data` must hold P panels of `k` steps of MR values, `sums` P x MR values.
#[cfg(target_arch = "x86_64")]
unsafe fn row_sums_sse<const MR: usize, const P: usize>(data: &[f32], k: usize, sums: &mut [f32]) {
    use std::arch::x86_64::*;
    debug_assert!(data.len() >= P * k * MR && sums.len() >= P * MR && MR.is_multiple_of(2));
    let regs = MR.div_ceil(4);
    let mut acc = [[_mm_setzero_ps(); 3]; P];
    let base = data.as_ptr();
    for p in 0..k {
        for (j, acc) in acc.iter_mut().enumerate() {
            let step = base.add((j * k + p) * MR);
            for (r, acc) in acc[..regs].iter_mut().enumerate() {
                let v = if 4 * r + 4 <= MR {
                    _mm_loadu_ps(step.add(4 * r))
                } else {
                    // The last two rows of a 6-row panel; the upper lanes stay zero.
                    _mm_castpd_ps(_mm_load_sd(step.add(4 * r) as *const f64))
                };
                *acc = _mm_add_ps(*acc, v);
            }
        }
    }
    for (j, acc) in acc.iter().enumerate() {
        let mut lanes = [0.0f32; 12];
        for (r, acc) in acc[..regs].iter().enumerate() {
            _mm_storeu_ps(lanes.as_mut_ptr().add(4 * r), *acc);
        }
        sums[j * MR..][..MR].copy_from_slice(&lanes[..MR]);
    }
}

/// One panel's run of columns: MR values from each row of `src` (rows `m` apart), as fixed
/// copies rather than a call to copy a short slice per row.
fn copy_panel<const MR: usize>(out: &mut [f32], src: &[f32], m: usize) {
    for (p, dst) in out.chunks_exact_mut(MR).enumerate() {
        let dst: &mut [f32; MR] = dst.try_into().unwrap();
        *dst = src[p * m..][..MR].try_into().unwrap();
    }
}
