//! `C = A B + beta C` for the small, repeated products of a recurrent step: a few dozen batch
//! rows times a weight matrix that is the same at every step. General GEMMs pack both operands
//! on every call, which at these sizes costs as much as the arithmetic. Here B stays row-major
//! and unpacked: each register tile of C broadcasts one element of A per row and multiplies it
//! into a row segment of B, so there is no horizontal reduction at any k. A column panel of B
//! (k x 32 floats) stays in cache while every row tile of A passes over it.
//! `gemm_ab_blocked` runs the same kernel over large products in cache blocks of C, in
//! parallel; `sgemm` (kernels/gemm.rs) decides which products come here.
//! AVX-512 or AVX2+FMA when available, the packed GEMM otherwise.

use super::dispatch::dispatch;
use super::panel_a::{packed_a_rows, APanels, PanelA};
use super::panel_b::PanelB;

/// `c[i, j] = sum_p a[i, p] * b[p, j] + beta * c[i, j]` with a (m x k), b (k x n), c (m x n),
/// all row-major and contiguous.
pub fn gemm_ab(m: usize, n: usize, k: usize, a: &[f32], b: &[f32], c: &mut [f32], beta: f32) {
    gemm_ab_strided(m, n, k, a, (k, 1), b, c, beta);
}

/// Like `gemm_ab`, with element (i, p) of A at `a[i * a_strides.0 + p * a_strides.1]`: (k, 1)
/// for row-major A, (1, m) for A stored transposed (k x m row-major).
#[allow(clippy::too_many_arguments)]
pub fn gemm_ab_strided(
    m: usize,
    n: usize,
    k: usize,
    a: &[f32],
    a_strides: (usize, usize),
    b: &[f32],
    c: &mut [f32],
    beta: f32,
) {
    let (rs, cs) = a_strides;
    let a_span = if m == 0 || k == 0 {
        0
    } else {
        (m - 1) * rs + (k - 1) * cs + 1
    };
    assert!(
        a.len() >= a_span && b.len() >= k * n && c.len() >= m * n,
        "gemm_ab: buffer too small"
    );
    if m == 0 || n == 0 {
        return;
    }
    // One row streams B (`row_vector`), except on x86 without AVX2, where the packed GEMM's
    // kernels are faster than plain loops.
    if m == 1 && k >= 4 && (cfg!(not(target_arch = "x86_64")) || has_simd_kernel()) {
        row_vector_widest(n, k, a, a_strides.1, b, c, beta);
        return;
    }
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the processor supports AVX-512F; sizes were checked above.
            unsafe { avx512::gemm_ab(m, n, k, a, a_strides, b, c, beta) };
            return;
        }
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            // SAFETY: the processor supports AVX2 and FMA; sizes were checked above.
            unsafe { avx2::gemm_ab(m, n, k, a, a_strides, b, c, beta) };
            return;
        }
    }
    packed_fallback(m, n, k, a, a_strides, b, c, beta);
}

/// `c = a @ b + beta * c` for a single row `a` (a streaming step's product): B is read row after
/// row, sequentially, four rows per pass over C (which stays in L1). The tiled kernel walks B
/// in 32-column panels, strided; for one row of A there is no reuse of B to win, only the
/// memory stream, which this order keeps straight.
#[inline(always)]
fn row_vector(n: usize, k: usize, a: &[f32], cs: usize, b: &[f32], c: &mut [f32], beta: f32) {
    let c = &mut c[..n];
    if beta == 0.0 {
        c.fill(0.0);
    } else if beta != 1.0 {
        c.iter_mut().for_each(|v| *v *= beta);
    }
    let mut p = 0;
    while p + 4 <= k {
        let (a0, a1, a2, a3) = (a[p * cs], a[(p + 1) * cs], a[(p + 2) * cs], a[(p + 3) * cs]);
        let rows = &b[p * n..(p + 4) * n];
        let (b0, rest) = rows.split_at(n);
        let (b1, rest) = rest.split_at(n);
        let (b2, b3) = rest.split_at(n);
        for ((((c, &x0), &x1), &x2), &x3) in c.iter_mut().zip(b0).zip(b1).zip(b2).zip(b3) {
            *c += a0 * x0 + a1 * x1 + a2 * x2 + a3 * x3;
        }
        p += 4;
    }
    for p in p..k {
        let ap = a[p * cs];
        c.iter_mut()
            .zip(&b[p * n..(p + 1) * n])
            .for_each(|(c, &x)| *c += ap * x);
    }
}

dispatch!(
    /// `row_vector` compiled for the widest instruction set here. On AVX2 the alternative, a
    /// one-row tile of the broadcast kernel, has two accumulator chains, too few to cover the
    /// FMA latency (the streaming bench's GRU 128 -> 256 step's four products on Zen 3: 77 ->
    /// 45-48 µs).
    fn row_vector_widest(n: usize, k: usize, a: &[f32], cs: usize, b: &[f32], c: &mut [f32], beta: f32) => row_vector
);

/// Whether this processor has one of the kernels above (AVX-512 or AVX2+FMA). Without one,
/// `gemm_ab` hands its products to the packed GEMM, whose kernels cover other processors.
pub fn has_simd_kernel() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx512f") || has_avx2_kernel()
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Whether the AVX2 kernel can run here (AVX2 and FMA), also on AVX-512 processors.
#[cfg(target_arch = "x86_64")]
fn has_avx2_kernel() -> bool {
    std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
}

/// The product through the packed GEMM, for processors without the kernels above.
#[allow(clippy::too_many_arguments)]
fn packed_fallback(
    m: usize,
    n: usize,
    k: usize,
    a: &[f32],
    a_strides: (usize, usize),
    b: &[f32],
    c: &mut [f32],
    beta: f32,
) {
    use super::gemm::{sgemm_packed, Transpose};
    if a_strides == (k, 1) || k <= 1 {
        sgemm_packed(m, k, n, a, Transpose::No, b, Transpose::No, c, beta);
    } else if a_strides == (1, m) || m <= 1 {
        sgemm_packed(m, k, n, a, Transpose::Yes, b, Transpose::No, c, beta);
    } else {
        // Other strides: gather A row-major first.
        let (rs, cs) = a_strides;
        let dense: Vec<f32> = (0..m * k).map(|x| a[(x / k) * rs + (x % k) * cs]).collect();
        sgemm_packed(m, k, n, &dense, Transpose::No, b, Transpose::No, c, beta);
    }
}

/// Where the register tiles read A.
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy)]
pub(crate) struct TileA {
    ptr: *const f32,
    layout: ALayout,
}

#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy)]
enum ALayout {
    /// Element (i, p) at `ptr[i * rs + p * cs]`.
    Strided { rs: usize, cs: usize },
    /// Packed by `APanels`: panels of `rows` rows, each `depth` steps of `rows` values.
    Panels { rows: usize, depth: usize },
}

#[cfg(target_arch = "x86_64")]
impl TileA {
    fn strided(a: &[f32], (rs, cs): (usize, usize)) -> TileA {
        TileA {
            ptr: a.as_ptr(),
            layout: ALayout::Strided { rs, cs },
        }
    }

    fn panels(a: &APanels) -> TileA {
        TileA {
            ptr: a.data.as_ptr(),
            layout: ALayout::Panels {
                rows: a.rows,
                depth: a.depth,
            },
        }
    }

    /// A's element (i, 0), the first a tile of rows i.. reads. Packed, a tile lies within one
    /// panel: tiles start at multiples of the panel height, and the last, shorter ones inside
    /// the last panel.
    ///
    /// # Safety
    /// `i` must be a row of A.
    unsafe fn row(self, i: usize) -> *const f32 {
        match self.layout {
            ALayout::Strided { rs, .. } => self.ptr.add(i * rs),
            ALayout::Panels { rows, depth } => self.ptr.add((i / rows) * rows * depth + i % rows),
        }
    }

    /// Whether a tile may start at any row. Packed, tiles must not straddle two panels.
    fn tiles_may_start_anywhere(self) -> bool {
        matches!(self.layout, ALayout::Strided { .. })
    }

    /// How far apart a tile's rows lie, and its steps of depth.
    fn steps(self) -> (usize, usize) {
        match self.layout {
            ALayout::Strided { rs, cs } => (rs, cs),
            ALayout::Panels { rows, .. } => (1, rows),
        }
    }
}

/// One pass of a blocked product with A packed: `rows` x `depth` of A against B's rows
/// p0..p0 + depth, through the kernel whose tile height A was packed for (6 rows: AVX2; 8 or
/// 12: AVX-512).
#[allow(clippy::too_many_arguments)]
fn packed_a_pass(
    rows: usize,
    n: usize,
    depth: usize,
    a: &APanels,
    b: BlockedB,
    p0: usize,
    c: &mut [f32],
    beta: f32,
) {
    let b_fits = match b {
        BlockedB::Rows(b) => b.len() >= (p0 + depth) * n,
        BlockedB::Panels(b) => b.n == n && p0 + depth <= b.k,
    };
    assert!(
        a.depth == depth && a.data.len() >= rows.div_ceil(a.rows) * a.rows * depth,
        "gemm_ab: A packed for another block"
    );
    assert!(b_fits && c.len() >= rows * n, "gemm_ab: buffer too small");
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: A covers the rows and depth (asserted), B and C were checked above.
        unsafe { packed_a_tiles(rows, n, depth, TileA::panels(a), a.rows, b, p0, c, beta) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (n, b, p0, beta);
        panic!(
            "gemm_ab: A packed for tiles of {} rows, which this processor does not run",
            a.rows
        );
    }
}

/// The register tiles over `rows` x `depth` of A in panels of `panel_rows` rows, against B's
/// rows `p0..p0 + depth`.
///
/// # Safety
/// `a` must cover rows 0..rows and depth 0..depth, B those rows of depth and `n` columns, and
/// `c` `rows` x `n`.
#[cfg(target_arch = "x86_64")]
#[allow(clippy::too_many_arguments)]
unsafe fn packed_a_tiles(
    rows: usize,
    n: usize,
    depth: usize,
    a: TileA,
    panel_rows: usize,
    b: BlockedB,
    p0: usize,
    c: &mut [f32],
    beta: f32,
) {
    if panel_rows == 6 && has_avx2_kernel() {
        // SAFETY: the processor supports AVX2 and FMA; the rest is the caller's.
        unsafe {
            match b {
                BlockedB::Rows(b) => {
                    avx2::rows_b_tiles::<6>(rows, n, depth, a, &b[p0 * n..], c, beta)
                }
                BlockedB::Panels(b) => avx2::panels_b_tiles::<6>(rows, depth, a, b, p0, c, beta),
            }
        };
        return;
    }
    if std::arch::is_x86_feature_detected!("avx512f") {
        // SAFETY: the processor supports AVX-512F; as above.
        unsafe { avx512::packed_a_pass(rows, n, depth, a, panel_rows, b, p0, c, beta) };
        return;
    }
    panic!("gemm_ab: A packed for tiles of {panel_rows} rows, which this processor does not run");
}

/// `c = A[:, p0..p0 + k] b + beta c`, with A (m x K) packed whole (`PanelA`) and B (k x n)
/// row-major or in panels, its row j against A's column p0 + j. Blocks, tiles and sums as
/// `gemm_ab_blocked` makes them when it packs a transposed A block by block (identical
/// results), without the packing.
#[allow(clippy::too_many_arguments)]
pub fn gemm_panel_a(
    m: usize,
    n: usize,
    k: usize,
    a: &PanelA,
    p0: usize,
    b: BlockedB,
    c: &mut [f32],
    beta: f32,
    parallel: bool,
) {
    use super::row_split::for_row_blocks;
    let b_fits = match b {
        BlockedB::Rows(b) => b.len() >= k * n,
        BlockedB::Panels(p) => p.k == k && p.n == n,
    };
    assert!(
        a.m == m && p0 + k <= a.k && b_fits && c.len() >= m * n,
        "gemm_panel_a: operands do not fit"
    );
    if m == 0 || n == 0 {
        return;
    }
    let plan = super::plan::plan();
    let mr = a.rows;
    let run_rows = |r0: usize, c_rows: &mut [f32]| {
        let rows = c_rows.len() / n;
        if k == 0 {
            super::gemm::scale_by_beta(c_rows, beta);
            return;
        }
        for d0 in (0..k).step_by(plan.block_depth) {
            let depth = (k - d0).min(plan.block_depth);
            let block_beta = if d0 == 0 { beta } else { 1.0 };
            #[cfg(target_arch = "x86_64")]
            {
                // Blocks start on a panel (whole tiles of `mr` rows), so this block's panels
                // are whole panels of A, read from column p0 + d0 on.
                let start = (r0 / mr) * mr * a.k + (p0 + d0) * mr;
                let tile_a = TileA {
                    ptr: a.data[start..].as_ptr(),
                    layout: ALayout::Panels {
                        rows: mr,
                        depth: a.k,
                    },
                };
                // SAFETY: the block's panels hold its rows over the depth (the last panel is
                // padded), B and C were checked above.
                unsafe { packed_a_tiles(rows, n, depth, tile_a, mr, b, d0, c_rows, block_beta) };
            }
            #[cfg(not(target_arch = "x86_64"))]
            {
                let _ = (r0, rows, depth, block_beta);
                panic!("gemm_panel_a: no tiles read packed panels on this processor");
            }
        }
    };
    for_row_blocks(c, m, n, mr, plan.block_rows, parallel, run_rows);
}

/// B of a blocked product: row-major (k x n), or packed in panels.
#[derive(Clone, Copy)]
pub enum BlockedB<'a> {
    Rows(&'a [f32]),
    Panels(&'a PanelB),
}

/// `gemm_ab_strided` with B packed in panels, over B's rows `p0..p0 + k`: the same tiles, each
/// reading its panel as one sequential stream. The same sums in the same order as with B
/// row-major, so the results are identical.
#[allow(clippy::too_many_arguments)]
pub fn gemm_panels(
    m: usize,
    k: usize,
    a: &[f32],
    a_strides: (usize, usize),
    b: &PanelB,
    p0: usize,
    c: &mut [f32],
    beta: f32,
) {
    let (rs, cs) = a_strides;
    let a_span = if m == 0 || k == 0 {
        0
    } else {
        (m - 1) * rs + (k - 1) * cs + 1
    };
    assert!(
        a.len() >= a_span && p0 + k <= b.k && c.len() >= m * b.n,
        "gemm_ab: buffer too small"
    );
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the processor supports AVX-512F; sizes were checked above.
            unsafe { avx512::gemm_panels(m, k, a, a_strides, b, p0, c, beta) };
            return;
        }
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            // SAFETY: the processor supports AVX2 and FMA; sizes were checked above.
            unsafe { avx2::gemm_panels_tiles::<6>(m, k, a, a_strides, b, p0, c, beta) };
            return;
        }
    }
    // No SIMD kernel (sgemm packs no panels there): B's rows back in row-major order.
    let n = b.n;
    let rows: Vec<f32> = (p0..p0 + k)
        .flat_map(|p| (0..n).map(move |j| (p, j)))
        .map(|(p, j)| b.get(p, j))
        .collect();
    gemm_ab_strided(m, n, k, a, a_strides, &rows, c, beta);
}

/// `gemm_ab_strided` for large products: C in blocks of rows (in parallel on the pool when
/// `parallel`), each block over k in slices, accumulating. A transposed A is packed block by
/// block in tile panels where the kernel plan says so (`TransposedA::Panels`): the same sums in
/// the same order, so the same results.
#[allow(clippy::too_many_arguments)]
pub fn gemm_ab_blocked(
    m: usize,
    n: usize,
    k: usize,
    a: &[f32],
    a_strides: (usize, usize),
    b: BlockedB,
    c: &mut [f32],
    beta: f32,
    parallel: bool,
) {
    // A transposed (a weight gradient's dG^T) packed where the plan says so.
    let plan = super::plan::plan();
    let transposed = a_strides.0 == 1 && a_strides.1 > 1;
    let pack_a = (transposed && plan.transposed_a == super::plan::TransposedA::Panels)
        .then(|| packed_a_rows(plan.tile_rows))
        .flatten();
    gemm_ab_blocked_with(m, n, k, a, a_strides, b, c, beta, parallel, &plan, pack_a);
}

/// `gemm_ab_blocked` under `plan`, with each block of A packed in panels of `pack_a` rows when
/// some (a tile height this processor runs).
#[allow(clippy::too_many_arguments)]
fn gemm_ab_blocked_with(
    m: usize,
    n: usize,
    k: usize,
    a: &[f32],
    a_strides: (usize, usize),
    b: BlockedB,
    c: &mut [f32],
    beta: f32,
    parallel: bool,
    plan: &super::plan::KernelPlan,
    pack_a: Option<usize>,
) {
    use super::row_split::for_row_blocks;
    let b_fits = match b {
        BlockedB::Rows(b) => b.len() >= k * n,
        BlockedB::Panels(p) => p.k == k && p.n == n,
    };
    assert!(c.len() >= m * n && b_fits, "gemm_ab: buffer too small");
    if m == 0 || n == 0 {
        return;
    }
    let (rs, cs) = a_strides;
    // Rows of C per cache block, and depth per pass over it: the block of A stays in L2 while
    // every column panel of B passes over it, also for the weight gradients, whose depth is
    // every step of every sequence. Per family (kernels/plan.rs); on Zen 4 128 x 256 (a 128 KB
    // block of A, 32 KB panels of B), chosen by timing 64-512 rows x 256-2048 deep on the
    // suite's large products (bench/NOTES.md).
    let (block_rows, block_depth) = (plan.block_rows, plan.block_depth);
    let run_rows = |r0: usize, c_rows: &mut [f32]| {
        let rows = c_rows.len() / n;
        if k == 0 {
            super::gemm::scale_by_beta(c_rows, beta);
            return;
        }
        let mut packed = pack_a.map(APanels::new);
        for p0 in (0..k).step_by(block_depth) {
            let depth = (k - p0).min(block_depth);
            let block_beta = if p0 == 0 { beta } else { 1.0 };
            if let Some(packed) = packed.as_mut() {
                packed.pack(a, a_strides, r0, rows, p0, depth);
                packed_a_pass(rows, n, depth, packed, b, p0, c_rows, block_beta);
                continue;
            }
            let a_block = &a[r0 * rs + p0 * cs..];
            match b {
                BlockedB::Rows(b) => gemm_ab_strided(
                    rows,
                    n,
                    depth,
                    a_block,
                    a_strides,
                    &b[p0 * n..],
                    c_rows,
                    block_beta,
                ),
                BlockedB::Panels(b) => {
                    gemm_panels(rows, depth, a_block, a_strides, b, p0, c_rows, block_beta)
                }
            }
        }
    };
    // Blocks in whole tiles of the height that runs (AVX2's 6 rows under every plan): a block
    // of 128 rows there ended in a 2-row tile, or a 2-row panel of packed A, at half rate.
    let tile =
        pack_a.unwrap_or_else(|| packed_a_rows(plan.tile_rows).unwrap_or(plan.tile_rows.rows()));
    for_row_blocks(c, m, n, tile, block_rows, parallel, run_rows);
}

/// The register tiles that cover `m` rows, as (first row, rows), top to bottom: tiles of
/// `max` rows, then the rest in tiles as even as possible.
///
/// A tile of fewer than 4 rows holds fewer than 8 accumulators, too few to cover the FMA
/// latency on two pipes: it runs at half rate or less. So where tiles may start at any row
/// (`anywhere`), a remainder of 1-3 rows joins the last full tile and the two run as two tiles
/// cut evenly (6 + 2 -> 4 + 4, 8 + 1 -> 5 + 4). Each element's sum is the same, in the same
/// order. On Zen 3, one thread, 26 and 32 rows (a thread's share of a step at batch 64) went
/// from 89-94 to 94-99 GFLOP/s, level with 30 and 34. Otherwise the rest runs as one tile,
/// or two where 9-11 rows remain of 12-row tiles: tiles after the full ones have at most 8
/// rows.
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy)]
struct RowTiles {
    next: usize,
    max: usize,
    /// Full tiles still to come before the rest.
    plain: usize,
    /// Tiles the rest is still to be cut into.
    pieces: usize,
    m: usize,
}

#[cfg(target_arch = "x86_64")]
impl RowTiles {
    fn new(m: usize, max: usize, anywhere: bool) -> RowTiles {
        let (full, rest) = (m / max, m % max);
        let joined = anywhere && full > 0 && (1..4).contains(&rest);
        let plain = if joined { full - 1 } else { full };
        let pieces = if joined {
            2
        } else {
            (m - plain * max).div_ceil(8)
        };
        RowTiles {
            next: 0,
            max,
            plain,
            pieces,
            m,
        }
    }
}

#[cfg(target_arch = "x86_64")]
impl Iterator for RowTiles {
    type Item = (usize, usize);

    fn next(&mut self) -> Option<(usize, usize)> {
        let rows = if self.plain > 0 {
            self.plain -= 1;
            self.max
        } else if self.pieces > 0 {
            let rows = (self.m - self.next).div_ceil(self.pieces);
            self.pieces -= 1;
            rows
        } else {
            return None;
        };
        let first = self.next;
        self.next += rows;
        Some((first, rows))
    }
}

/// Steps of depth ahead that a tile fetches a transposed A: about 500 cycles of FMAs, a memory
/// latency, on either family's tile. Chosen on Zen 4 (16-32 best of 8-48 in isolation); the
/// weight gradients of a training step on 2 threads went 4.4-4.6 -> 4.3 ms at small-lstm128 and
/// 144-146 -> 136-138 ms at m-lstm512 (bench/NOTES.md).
#[cfg(target_arch = "x86_64")]
const A_AHEAD: usize = 32;

#[cfg(target_arch = "x86_64")]
/// The instruction-set-independent part: register tiles of MR rows x NV vectors, and the loops
/// that cover C with them. Expects `LANES`, `Vector`, `Mask` and the inline helpers `zero`,
/// `splat`, `load`, `load_masked`, `store`, `store_masked`, `fma`, `mask_for` in scope.
macro_rules! tiled_product {
    ($feat:literal) => {
        /// One tile of C at (i, j). `a` points at A's element (i, 0), the tile's rows `rs`
        /// apart and its steps of depth `cs`; `b` at row 0 of B's columns j.., whose rows are
        /// `ldb` apart (B row-major, or one panel of packed B). With `MASKED`, the last vector
        /// covers only the columns `mask` selects.
        #[target_feature(enable = $feat)]
        #[allow(clippy::too_many_arguments)]
        #[inline]
        unsafe fn tile<const MR: usize, const NV: usize, const MASKED: bool>(
            k: usize,
            n: usize,
            (rs, cs): (usize, usize),
            fetch_a: bool,
            a: *const f32,
            (b, ldb): (*const f32, usize),
            c: *mut f32,
            i: usize,
            j: usize,
            mask: Mask,
            beta: f32,
        ) {
            // C's lines of this tile are fetched while the products run: written once in a
            // large product, they come from memory, and the tile's stores otherwise wait on
            // them (the store queue fills at the end of each tile).
            for ii in 0..MR {
                for v in 0..NV {
                    let p = c.add((i + ii) * n + j + v * LANES);
                    std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
                        p as *const i8,
                    );
                }
            }
            let mut acc = [[zero(); NV]; MR];
            let mut b_row = b;
            let mut a_col = a;
            // A read transposed (a weight gradient's dG^T: depth a whole row of dG, 2-8 KB,
            // apart) touches a new line, often a new page, at every step, where the hardware
            // prefetchers do not follow: with `fetch_a` (`tiles` decides) fetch the line A_AHEAD
            // steps ahead. Row-major A is a few sequential streams the hardware already fetches.
            for _ in 0..k {
                if fetch_a {
                    // `wrapping_add`: the last steps point past A, where a prefetch is harmless.
                    let ahead = a_col.wrapping_add(super::A_AHEAD * cs);
                    std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
                        ahead as *const i8,
                    );
                    // An 8-row tile's rows fill half a line; 6 or 12 rows (at multiples of 6 or
                    // 12) may end in the next line.
                    if MR > 1 && MR != 8 {
                        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
                            ahead.wrapping_add((MR - 1) * rs) as *const i8,
                        );
                    }
                }
                let mut bv = [zero(); NV];
                for (v, slot) in bv.iter_mut().enumerate() {
                    let p = b_row.add(v * LANES);
                    *slot = if MASKED && v == NV - 1 {
                        load_masked(p, mask)
                    } else {
                        load(p)
                    };
                }
                for (ii, row) in acc.iter_mut().enumerate() {
                    let av = splat(*a_col.add(ii * rs));
                    for (s, &bw) in row.iter_mut().zip(&bv) {
                        *s = fma(av, bw, *s);
                    }
                }
                b_row = b_row.add(ldb);
                a_col = a_col.add(cs);
            }
            let betav = splat(beta);
            for (ii, row) in acc.iter().enumerate() {
                for (v, &s) in row.iter().enumerate() {
                    let p = c.add((i + ii) * n + j + v * LANES);
                    let last = MASKED && v == NV - 1;
                    let value = if beta == 0.0 {
                        s
                    } else if last {
                        fma(betav, load_masked(p, mask), s)
                    } else {
                        fma(betav, load(p), s)
                    };
                    if last {
                        store_masked(p, value, mask)
                    } else {
                        store(p, value)
                    }
                }
            }
        }

        /// One tile of `rows` rows (at most `MR_MAX`; 8 only where `MR_MAX` is 8 or more) at
        /// (i, j), through the tile kernel of that height.
        #[target_feature(enable = $feat)]
        #[allow(clippy::too_many_arguments)]
        #[inline]
        unsafe fn row_tile<const MR_MAX: usize, const NV: usize, const MASKED: bool>(
            rows: usize,
            k: usize,
            n: usize,
            strides: (usize, usize),
            fetch_a: bool,
            at: *const f32,
            b: (*const f32, usize),
            c: *mut f32,
            (i, j): (usize, usize),
            mask: Mask,
            beta: f32,
        ) {
            let (s, f) = (strides, fetch_a);
            match rows {
                r if r == MR_MAX => {
                    tile::<MR_MAX, NV, MASKED>(k, n, s, f, at, b, c, i, j, mask, beta)
                }
                1 => tile::<1, NV, MASKED>(k, n, s, f, at, b, c, i, j, mask, beta),
                2 => tile::<2, NV, MASKED>(k, n, s, f, at, b, c, i, j, mask, beta),
                3 => tile::<3, NV, MASKED>(k, n, s, f, at, b, c, i, j, mask, beta),
                4 => tile::<4, NV, MASKED>(k, n, s, f, at, b, c, i, j, mask, beta),
                5 => tile::<5, NV, MASKED>(k, n, s, f, at, b, c, i, j, mask, beta),
                6 => tile::<6, NV, MASKED>(k, n, s, f, at, b, c, i, j, mask, beta),
                7 => tile::<7, NV, MASKED>(k, n, s, f, at, b, c, i, j, mask, beta),
                // Only tiles of 12 rows leave 8 (AVX2's 16 registers hold no 8-row tile).
                8 if MR_MAX > 8 => tile::<8, NV, MASKED>(k, n, s, f, at, b, c, i, j, mask, beta),
                _ => unreachable!("a tile of {rows} rows under tiles of {MR_MAX}"),
            }
        }

        /// The product in register tiles of `MR_MAX` rows; `b_at(j)` is where row 0 of B's
        /// columns j.. starts, and B's rows are `ldb` apart.
        #[target_feature(enable = $feat)]
        #[allow(clippy::too_many_arguments)]
        #[inline]
        unsafe fn tiles<const MR_MAX: usize>(
            m: usize,
            n: usize,
            k: usize,
            a: super::TileA,
            b_at: impl Fn(usize) -> *const f32,
            ldb: usize,
            cp: *mut f32,
            beta: f32,
        ) {
            use crate::kernels::plan::TransposedA;
            const WIDTH: usize = 2 * LANES;
            let full = mask_for(LANES);
            let plan = crate::kernels::plan::plan();
            let strides = a.steps();
            let fetch_a = strides.1 >= LANES && plan.transposed_a == TransposedA::Fetched;
            let anywhere = a.tiles_may_start_anywhere();
            // C in bands of columns, each covered row tile by row tile, a row tile crossing the
            // band's panels: its A stays in L1 and C is written along its rows. With one panel
            // a band, each panel's row tiles run down C (the panel of B stays in L1, C's tiles
            // lie a row apart): kept for a few row tiles (the step products, whose B is deep
            // and would stream from L3) and for A packed in panels (a weight gradient's dG^T,
            // 1-4% slower in bands below 1024 columns) against a narrow C.
            let banded = plan.column_band > 0
                && m > 4 * MR_MAX
                && (anywhere || n >= crate::kernels::plan::WIDE_B_COLS);
            let band = if banded {
                plan.column_band.max(WIDTH) / WIDTH * WIDTH
            } else {
                WIDTH
            };
            let rest = n % WIDTH;
            let tail = mask_for(rest % LANES);
            for b0 in (0..n).step_by(band) {
                let b1 = (b0 + band).min(n);
                for (i, rows) in super::RowTiles::new(m, MR_MAX, anywhere) {
                    let at = a.row(i);
                    let mut j = b0;
                    while j + WIDTH <= b1 {
                        let (b, ij) = ((b_at(j), ldb), (i, j));
                        row_tile::<MR_MAX, 2, false>(
                            rows, k, n, strides, fetch_a, at, b, cp, ij, full, beta,
                        );
                        j += WIDTH;
                    }
                    if j == b1 {
                        continue;
                    }
                    let (b, ij) = ((b_at(j), ldb), (i, j));
                    match (rest / LANES, rest % LANES) {
                        (1, 0) => row_tile::<MR_MAX, 1, false>(
                            rows, k, n, strides, fetch_a, at, b, cp, ij, full, beta,
                        ),
                        (0, _) => row_tile::<MR_MAX, 1, true>(
                            rows, k, n, strides, fetch_a, at, b, cp, ij, tail, beta,
                        ),
                        _ => row_tile::<MR_MAX, 2, true>(
                            rows, k, n, strides, fetch_a, at, b, cp, ij, tail, beta,
                        ),
                    }
                }
            }
        }

        /// The product with B row-major, in register tiles of `MR_MAX` rows.
        ///
        /// # Safety
        /// Requires the instruction set named in `$feat`, an `a` that covers every element the
        /// strides reach, and `b`, `c` of at least k*n and m*n elements.
        #[target_feature(enable = $feat)]
        #[allow(clippy::too_many_arguments)]
        pub unsafe fn gemm_ab_tiles<const MR_MAX: usize>(
            m: usize,
            n: usize,
            k: usize,
            a: &[f32],
            strides: (usize, usize),
            b: &[f32],
            c: &mut [f32],
            beta: f32,
        ) {
            rows_b_tiles::<MR_MAX>(m, n, k, super::TileA::strided(a, strides), b, c, beta)
        }

        /// `gemm_ab_tiles` with A as `TileA` describes it.
        ///
        /// # Safety
        /// As `gemm_ab_tiles`, with `a` covering rows 0..m and depth 0..k.
        #[target_feature(enable = $feat)]
        #[allow(clippy::too_many_arguments)]
        pub(super) unsafe fn rows_b_tiles<const MR_MAX: usize>(
            m: usize,
            n: usize,
            k: usize,
            a: super::TileA,
            b: &[f32],
            c: &mut [f32],
            beta: f32,
        ) {
            let bp = b.as_ptr();
            let at = |j: usize| bp.add(j);
            tiles::<MR_MAX>(m, n, k, a, at, n, c.as_mut_ptr(), beta)
        }

        /// The product with B in panels (`PanelB`), from depth `p0` for `k` rows.
        ///
        /// # Safety
        /// As `gemm_ab_tiles`, with `p0 + k` at most the panels' depth.
        #[target_feature(enable = $feat)]
        #[allow(clippy::too_many_arguments)]
        pub unsafe fn gemm_panels_tiles<const MR_MAX: usize>(
            m: usize,
            k: usize,
            a: &[f32],
            strides: (usize, usize),
            b: &super::PanelB,
            p0: usize,
            c: &mut [f32],
            beta: f32,
        ) {
            let a = super::TileA::strided(a, strides);
            panels_b_tiles::<MR_MAX>(m, k, a, b, p0, c, beta)
        }

        /// `gemm_panels_tiles` with A as `TileA` describes it.
        ///
        /// # Safety
        /// As `gemm_panels_tiles`, with `a` covering rows 0..m and depth 0..k.
        #[target_feature(enable = $feat)]
        #[allow(clippy::too_many_arguments)]
        pub(super) unsafe fn panels_b_tiles<const MR_MAX: usize>(
            m: usize,
            k: usize,
            a: super::TileA,
            b: &super::PanelB,
            p0: usize,
            c: &mut [f32],
            beta: f32,
        ) {
            // Tiles read `2 * LANES` columns of one panel.
            assert!(
                b.width.is_multiple_of(2 * LANES),
                "gemm_ab: panels narrower than a tile"
            );
            let width = b.width;
            let stride = b.k * width;
            let base = b.panels().as_ptr().add(p0 * width);
            let at = |j: usize| base.add((j / width) * stride + j % width);
            tiles::<MR_MAX>(m, b.n, k, a, at, width, c.as_mut_ptr(), beta)
        }
    };
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use std::arch::x86_64::*;

    use crate::kernels::plan::TileRows;

    const LANES: usize = 16;
    type Vector = __m512;
    type Mask = __mmask16;

    #[inline(always)]
    unsafe fn zero() -> Vector {
        _mm512_setzero_ps()
    }
    #[inline(always)]
    unsafe fn splat(x: f32) -> Vector {
        _mm512_set1_ps(x)
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> Vector {
        _mm512_loadu_ps(p)
    }
    #[inline(always)]
    unsafe fn load_masked(p: *const f32, mask: Mask) -> Vector {
        _mm512_maskz_loadu_ps(mask, p)
    }
    #[inline(always)]
    unsafe fn store(p: *mut f32, v: Vector) {
        _mm512_storeu_ps(p, v)
    }
    #[inline(always)]
    unsafe fn store_masked(p: *mut f32, v: Vector, mask: Mask) {
        _mm512_mask_storeu_ps(p, mask, v)
    }
    #[inline(always)]
    unsafe fn fma(a: Vector, b: Vector, c: Vector) -> Vector {
        _mm512_fmadd_ps(a, b, c)
    }
    /// The first `lanes` lanes (all of them for 16).
    fn mask_for(lanes: usize) -> Mask {
        ((1u32 << lanes) - 1) as Mask
    }

    tiled_product!("avx512f");

    /// `gemm_ab_tiles` with the tile height of the kernel plan: 8 rows x 2 vectors (16
    /// accumulators of the 32 registers) or 12 x 2 (24).
    ///
    /// # Safety
    /// As `gemm_ab_tiles`.
    #[target_feature(enable = "avx512f")]
    #[allow(clippy::too_many_arguments)]
    pub unsafe fn gemm_ab(
        m: usize,
        n: usize,
        k: usize,
        a: &[f32],
        strides: (usize, usize),
        b: &[f32],
        c: &mut [f32],
        beta: f32,
    ) {
        match crate::kernels::plan::plan().tile_rows {
            TileRows::Eight => gemm_ab_tiles::<8>(m, n, k, a, strides, b, c, beta),
            TileRows::Twelve => gemm_ab_tiles::<12>(m, n, k, a, strides, b, c, beta),
        }
    }

    /// `packed_a_pass` with A packed in panels of `panel_rows` (the plan's tile height).
    ///
    /// # Safety
    /// Requires AVX-512F, and A, B and C covering the pass.
    #[target_feature(enable = "avx512f")]
    #[allow(clippy::too_many_arguments)]
    pub(super) unsafe fn packed_a_pass(
        rows: usize,
        n: usize,
        depth: usize,
        a: super::TileA,
        panel_rows: usize,
        b: super::BlockedB,
        p0: usize,
        c: &mut [f32],
        beta: f32,
    ) {
        use super::BlockedB;
        match (panel_rows, b) {
            (8, BlockedB::Rows(b)) => rows_b_tiles::<8>(rows, n, depth, a, &b[p0 * n..], c, beta),
            (12, BlockedB::Rows(b)) => rows_b_tiles::<12>(rows, n, depth, a, &b[p0 * n..], c, beta),
            (8, BlockedB::Panels(b)) => panels_b_tiles::<8>(rows, depth, a, b, p0, c, beta),
            (12, BlockedB::Panels(b)) => panels_b_tiles::<12>(rows, depth, a, b, p0, c, beta),
            _ => panic!("gemm_ab: A packed in panels of {panel_rows} rows"),
        }
    }

    /// `gemm_panels_tiles` with the tile height of the kernel plan.
    ///
    /// # Safety
    /// As `gemm_panels_tiles`.
    #[target_feature(enable = "avx512f")]
    #[allow(clippy::too_many_arguments)]
    pub unsafe fn gemm_panels(
        m: usize,
        k: usize,
        a: &[f32],
        strides: (usize, usize),
        b: &super::PanelB,
        p0: usize,
        c: &mut [f32],
        beta: f32,
    ) {
        match crate::kernels::plan::plan().tile_rows {
            TileRows::Eight => gemm_panels_tiles::<8>(m, k, a, strides, b, p0, c, beta),
            TileRows::Twelve => gemm_panels_tiles::<12>(m, k, a, strides, b, p0, c, beta),
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    const LANES: usize = 8;
    type Vector = __m256;
    type Mask = __m256i;

    #[inline(always)]
    unsafe fn zero() -> Vector {
        _mm256_setzero_ps()
    }
    #[inline(always)]
    unsafe fn splat(x: f32) -> Vector {
        _mm256_set1_ps(x)
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> Vector {
        _mm256_loadu_ps(p)
    }
    #[inline(always)]
    unsafe fn load_masked(p: *const f32, mask: Mask) -> Vector {
        _mm256_maskload_ps(p, mask)
    }
    #[inline(always)]
    unsafe fn store(p: *mut f32, v: Vector) {
        _mm256_storeu_ps(p, v)
    }
    #[inline(always)]
    unsafe fn store_masked(p: *mut f32, v: Vector, mask: Mask) {
        _mm256_maskstore_ps(p, mask, v)
    }
    #[inline(always)]
    unsafe fn fma(a: Vector, b: Vector, c: Vector) -> Vector {
        _mm256_fmadd_ps(a, b, c)
    }
    /// The first `lanes` lanes (all of them for 8): lanes whose sign bit is set.
    #[target_feature(enable = "avx2")]
    unsafe fn mask_for(lanes: usize) -> Mask {
        let idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
        _mm256_cmpgt_epi32(_mm256_set1_epi32(lanes as i32), idx)
    }

    tiled_product!("avx2,fma");

    /// 6 rows x 2 vectors: 12 accumulators, 2 row segments of B and a broadcast fit the 16
    /// registers without spilling.
    ///
    /// # Safety
    /// As `gemm_ab_tiles`.
    #[target_feature(enable = "avx2,fma")]
    #[allow(clippy::too_many_arguments)]
    pub unsafe fn gemm_ab(
        m: usize,
        n: usize,
        k: usize,
        a: &[f32],
        strides: (usize, usize),
        b: &[f32],
        c: &mut [f32],
        beta: f32,
    ) {
        gemm_ab_tiles::<6>(m, n, k, a, strides, b, c, beta)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(m: usize, n: usize, k: usize, a: &[f32], b: &[f32], c: &[f32], beta: f32) -> Vec<f32> {
        let mut out = vec![0.0f32; m * n];
        for i in 0..m {
            for j in 0..n {
                let dot: f32 = (0..k).map(|p| a[i * k + p] * b[p * n + j]).sum();
                // Beta 0 ignores C (as in BLAS): the tests start it as NaN then.
                out[i * n + j] = if beta == 0.0 {
                    dot
                } else {
                    dot + beta * c[i * n + j]
                };
            }
        }
        out
    }

    type Product = fn(usize, usize, usize, &[f32], (usize, usize), &[f32], &mut [f32], f32);

    /// Every implementation this processor can run, so the AVX2 and fallback paths and every
    /// family's tile are checked on any AVX-512 machine.
    fn implementations() -> Vec<(&'static str, Product)> {
        let mut out: Vec<(&'static str, Product)> = vec![
            ("dispatched", gemm_ab_strided),
            ("packed", packed_fallback),
            ("panels, dispatched", |m, n, k, a, st, b, c, beta| {
                gemm_panels(
                    m,
                    k,
                    a,
                    st,
                    &PanelB::pack(b, k, n, false, false),
                    0,
                    c,
                    beta,
                )
            }),
        ];
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f") {
                // SAFETY: the processor supports AVX-512F; the test passes sized buffers.
                out.push(("avx512 8-row tiles", |m, n, k, a, st, b, c, beta| unsafe {
                    avx512::gemm_ab_tiles::<8>(m, n, k, a, st, b, c, beta)
                }));
                // SAFETY: as above.
                out.push(
                    ("avx512 12-row tiles", |m, n, k, a, st, b, c, beta| unsafe {
                        avx512::gemm_ab_tiles::<12>(m, n, k, a, st, b, c, beta)
                    }),
                );
            }
            if std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
            {
                // SAFETY: the processor supports AVX2 and FMA; the test passes sized buffers.
                out.push(("avx2", |m, n, k, a, st, b, c, beta| unsafe {
                    avx2::gemm_ab(m, n, k, a, st, b, c, beta)
                }));
                // SAFETY: as above. AVX-512's tile heights compiled for AVX2 (spilling, but
                // exact): their remainder splits are checked on machines without AVX-512 too.
                out.push(("avx2 8-row tiles", |m, n, k, a, st, b, c, beta| unsafe {
                    avx2::gemm_ab_tiles::<8>(m, n, k, a, st, b, c, beta)
                }));
                // SAFETY: as above.
                out.push(("avx2 12-row tiles", |m, n, k, a, st, b, c, beta| unsafe {
                    avx2::gemm_ab_tiles::<12>(m, n, k, a, st, b, c, beta)
                }));
                // SAFETY: as above (both panel widths: an AVX2 tile reads whole or half rows).
                out.push(
                    ("avx2 16-wide panels", |m, n, k, a, st, b, c, beta| unsafe {
                        let p = PanelB::pack_with_width(b, k, n, false, false, 16);
                        avx2::gemm_panels_tiles::<6>(m, k, a, st, &p, 0, c, beta)
                    }),
                );
                // SAFETY: as above.
                out.push(
                    ("avx2 32-wide panels", |m, n, k, a, st, b, c, beta| unsafe {
                        let p = PanelB::pack_with_width(b, k, n, false, false, 32);
                        avx2::gemm_panels_tiles::<6>(m, k, a, st, &p, 0, c, beta)
                    }),
                );
            }
        }
        out
    }

    #[test]
    fn matches_the_naive_product_for_all_edge_shapes() {
        // Row counts around every tile height (6, 8, 12, and 12 + 8), with every remainder of
        // 1-3 rows that joins the last full tile (7-9, 13-15, 20, 32 for 6; 9-11 for 8; 13-15
        // for 12); column counts around one and two vectors of both widths (8, 16), with
        // masked tails; k from 0 up.
        for &(m, n, k) in &[
            (1, 1, 1),
            (10, 40, 7),
            (11, 33, 5),
            (14, 48, 6),
            (15, 17, 9),
            (21, 32, 4),
            (3, 5, 9),
            (8, 32, 64),
            (7, 6, 77),
            (13, 130, 67),
            (6, 16, 3),
            (5, 24, 128),
            (9, 17, 200),
            (16, 33, 32),
            (32, 48, 5),
            (4, 7, 0),
            (12, 40, 19),
            (20, 16, 8),
            (23, 33, 17),
            (36, 64, 11),
            // One row (a streaming step): the row-streaming kernel, with k not a multiple of 4.
            (1, 768, 130),
            (1, 5, 9),
            (1, 33, 4),
        ] {
            let a: Vec<f32> = (0..m * k)
                .map(|i| ((i * 7 % 13) as f32 - 6.0) * 0.1)
                .collect();
            let b: Vec<f32> = (0..k * n)
                .map(|i| ((i * 5 % 11) as f32 - 5.0) * 0.1)
                .collect();
            // The same A stored transposed (k x m), read through strides (1, m).
            let mut a_t = vec![0.0f32; m * k];
            for i in 0..m {
                for p in 0..k {
                    a_t[p * m + i] = a[i * k + p];
                }
            }
            for (beta, (a_in, strides)) in [0.0f32, 1.0, 0.5]
                .into_iter()
                .flat_map(|beta| [(beta, (&a, (k, 1))), (beta, (&a_t, (1, m)))])
            {
                let init: Vec<f32> = (0..m * n)
                    .map(|i| {
                        if beta == 0.0 {
                            f32::NAN
                        } else {
                            i as f32 * 0.01
                        }
                    })
                    .collect();
                let want = naive(m, n, k, &a, &b, &init, beta);
                for (name, product) in implementations() {
                    // A guard element after C catches masked stores that write past the end.
                    let mut c = init.clone();
                    c.push(42.0);
                    product(m, n, k, a_in, strides, &b, &mut c, beta);
                    assert_eq!(c[m * n], 42.0, "{name} {m}x{n}x{k}: wrote past C");
                    for (idx, (&got, &w)) in c.iter().zip(&want).enumerate() {
                        assert!(
                            (got - w).abs() <= 1e-4 * w.abs().max(1.0),
                            "{name} {m}x{n}x{k} A strides {strides:?} beta {beta} [{}, {}]: {got} vs {w}",
                            idx / n,
                            idx % n
                        );
                    }
                }
            }
        }
    }

    /// Panel heights of A that this processor's kernels run: 6 (AVX2), 8 and 12 (AVX-512).
    fn packed_a_heights() -> Vec<usize> {
        let mut heights = Vec::new();
        #[cfg(target_arch = "x86_64")]
        {
            if has_avx2_kernel() {
                heights.push(6);
            }
            if std::arch::is_x86_feature_detected!("avx512f") {
                heights.extend([8, 12]);
            }
        }
        heights
    }

    #[test]
    fn row_tiles_cover_every_row_once_without_short_tiles_where_they_may_start_anywhere() {
        for max in [6, 8, 12] {
            for m in 0..60 {
                for anywhere in [false, true] {
                    let tiles: Vec<_> = RowTiles::new(m, max, anywhere).collect();
                    let mut next = 0;
                    for &(first, rows) in &tiles {
                        assert_eq!(first, next, "{m} rows in tiles of {max}: contiguous");
                        assert!((1..=max).contains(&rows), "{m}/{max}: a tile of {rows}");
                        assert!(rows == max || rows <= 8, "{m}/{max}: a rest tile of {rows}");
                        next += rows;
                    }
                    assert_eq!(next, m, "{m} rows in tiles of {max}: all covered");
                    let full = tiles.iter().take_while(|t| t.1 == max).count();
                    if anywhere && m >= max {
                        // 1-3 rest rows joined to the last full tile: 6 + 1 -> 4 + 3 at least.
                        let shortest = if max > 6 { 4 } else { 3 };
                        assert!(
                            tiles.iter().all(|t| t.1 >= shortest),
                            "{m}/{max}: a short tile {tiles:?}"
                        );
                    } else {
                        assert_eq!(full, m / max, "{m}/{max}: full tiles first {tiles:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn blocked_product_matches_the_single_call_serial_and_parallel() {
        // Rows and depth past one block each, with remainders; fewer rows than a block, split
        // between threads (48: a multiple of every tile height, no partial panel of packed
        // A). A plain and transposed; B row-major and in panels (a full
        // panel and a masked tail, or a tail alone).
        let plan = crate::kernels::plan::plan();
        let k = plan.block_depth + 37;
        for n in [40, 19] {
            for (m, strides) in [plan.block_rows * 2 + 9, 40, 48]
                .into_iter()
                .flat_map(|m| [(m, (k, 1)), (m, (1, m))])
            {
                let a: Vec<f32> = (0..m * k).map(|i| ((i % 11) as f32 - 5.0) * 0.1).collect();
                let b: Vec<f32> = (0..k * n).map(|i| ((i % 9) as f32 - 4.0) * 0.1).collect();
                let packed = PanelB::pack(&b, k, n, false, true);
                let init: Vec<f32> = (0..m * n).map(|i| (i % 3) as f32).collect();
                let mut want = init.clone();
                gemm_ab_strided(m, n, k, &a, strides, &b, &mut want, 0.5);
                for parallel in [false, true] {
                    for (name, b) in [
                        ("rows", BlockedB::Rows(&b)),
                        ("panels", BlockedB::Panels(&packed)),
                    ] {
                        let mut c = init.clone();
                        gemm_ab_blocked_with(
                            m, n, k, &a, strides, b, &mut c, 0.5, parallel, &plan, None,
                        );
                        for (x, y) in c.iter().zip(&want) {
                            assert!(
                                (x - y).abs() <= 1e-4 * y.abs().max(1.0),
                                "{m}x{n}, strides {strides:?}, B {name}, parallel {parallel}: {x} vs {y}"
                            );
                        }
                        // A packed in panels of each tile height this processor runs: the
                        // same sums in the same order.
                        for rows in packed_a_heights() {
                            let mut packed_a = init.clone();
                            let pack = Some(rows);
                            gemm_ab_blocked_with(
                                m,
                                n,
                                k,
                                &a,
                                strides,
                                b,
                                &mut packed_a,
                                0.5,
                                parallel,
                                &plan,
                                pack,
                            );
                            assert_eq!(
                                packed_a, c,
                                "{m}x{n}, strides {strides:?}, B {name}, parallel {parallel}, A in panels of {rows}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn a_packed_whole_matches_packing_each_block() {
        // A transposed (a weight gradient's dG^T) written into `PanelA` a few columns at a
        // time, then read from column p0 on: the same numbers as packing each block of the
        // same columns, for rows with and without a partial last panel, several depth blocks,
        // B row-major and in panels, serial and parallel; its row sums as a pass over dG's rows.
        let plan = crate::kernels::plan::plan();
        let total = plan.block_depth * 2 + 37;
        for m in [plan.block_rows * 2 + 9, 40, 45] {
            let Some(mut whole) = PanelA::pooled(m, total) else {
                return; // no SIMD tile here: the products go through sgemm
            };
            let dg: Vec<f32> = (0..total * m)
                .map(|i| ((i % 13) as f32 - 6.0) * 0.1)
                .collect();
            for p in (0..total).step_by(7) {
                let count = 7.min(total - p);
                whole.write_columns(p, count, &dg[p * m..]);
            }
            let mut sums = vec![0.0f32; m];
            for row in dg.chunks_exact(m) {
                sums.iter_mut().zip(row).for_each(|(s, &v)| *s += v);
            }
            assert_eq!(whole.row_sums(), sums, "{m} rows: row sums");
            for n in [40, 19] {
                for (p0, k) in [(0, total), (5, total - 8), (13, 20)] {
                    let b: Vec<f32> = (0..k * n).map(|i| ((i % 9) as f32 - 4.0) * 0.1).collect();
                    let packed_b = PanelB::pack(&b, k, n, false, false);
                    let init: Vec<f32> = (0..m * n).map(|i| (i % 3) as f32).collect();
                    for parallel in [false, true] {
                        for (name, b) in [
                            ("rows", BlockedB::Rows(&b)),
                            ("panels", BlockedB::Panels(&packed_b)),
                        ] {
                            let mut want = init.clone();
                            let a = &dg[p0 * m..];
                            let pack = Some(whole.panel_rows());
                            gemm_ab_blocked_with(
                                m,
                                n,
                                k,
                                a,
                                (1, m),
                                b,
                                &mut want,
                                0.5,
                                parallel,
                                &plan,
                                pack,
                            );
                            let mut got = init.clone();
                            gemm_panel_a(m, n, k, &whole, p0, b, &mut got, 0.5, parallel);
                            assert_eq!(
                                got, want,
                                "{m}x{n}, columns {p0}.., depth {k}, B {name}, parallel {parallel}"
                            );
                        }
                    }
                }
            }
        }
    }
}
