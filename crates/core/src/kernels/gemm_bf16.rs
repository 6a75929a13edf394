//! `C = A B + beta C` with A and B rounded to bfloat16 and the products summed in float32: the
//! mixed-precision product PyTorch runs on CPUs with AVX512-BF16 under
//! `set_float32_matmul_precision("medium")` or bf16 autocast. `vdpbf16ps` multiplies two
//! bf16 pairs per 32-bit lane and adds both products to the lane's float32 sum: twice the
//! multiply-adds of a float32 FMA of the same width (on Zen 4 and on Sapphire Rapids alike).
//!
//! The kernel is the broadcast kernel of `gemm_ab` in bf16: B is packed once (row pairs
//! interleaved, so one 32-bit lane holds B[p, j] and B[p + 1, j]) and can be kept across calls
//! (a recurrent weight is the same at every step); A is packed per call (its rows are few); each
//! register tile broadcasts one (A[i, p], A[i, p + 1]) pair per row. Where the processor has no
//! AVX512-BF16, a portable loop computes the same rounded products (for tests and for the
//! correctness of a switch that asks for bf16 anywhere). Where AMX tiles are usable (`amx.rs`),
//! the whole 32 x 32 tiles of C run on them from the same packed A (then packed by rows even
//! when stored transposed) and B's tile panels (`PackedB` keeps both layouts), and this kernel
//! takes the remainder: on a Sapphire Rapids-class Xeon `vdpbf16ps` ran slower than the float32
//! FMA kernel (bench/NOTES.md), the tiles 3-10x faster.

use super::transpose::transpose_into;
use crate::buffer_pool::PooledBuffer;

/// bfloat16 bits of `x`, rounded to nearest even (NaN stays a quiet NaN, infinities stay).
#[inline(always)]
pub fn to_bf16(x: f32) -> u16 {
    let bits = x.to_bits();
    if x.is_nan() {
        return ((bits >> 16) as u16) | 0x0040;
    }
    let round = 0x7fff + ((bits >> 16) & 1);
    (bits.wrapping_add(round) >> 16) as u16
}

/// The float32 value of bfloat16 bits.
#[inline(always)]
pub fn from_bf16(h: u16) -> f32 {
    f32::from_bits((h as u32) << 16)
}

/// Two bf16 values in one 32-bit lane: `lo` in the low half (`vdpbf16ps` pairs element 2i with
/// 2i and 2i+1 with 2i+1 of its operands, so both operands pack the same way).
#[inline(always)]
fn pair(lo: f32, hi: f32) -> u32 {
    to_bf16(lo) as u32 | (to_bf16(hi) as u32) << 16
}

/// B (k x n) in bf16, row pairs interleaved: `data[(p / 2) * n + j]` holds B[p, j] and
/// B[p + 1, j] (a zero for the missing row when k is odd). Pooled: a large B packed per call
/// (`sgemm_bf16`) reuses memory instead of faulting in fresh pages every time.
pub struct PackedB {
    k: usize,
    n: usize,
    data: PooledBuffer,
    /// Where AMX tiles are usable for this B: its whole 32-column tiles again, in the panels
    /// `amx::gemm_tiles` reads (`tile_panels`).
    tiles: Option<PooledBuffer>,
}

impl PackedB {
    /// Packs B given row-major as k x n, or (`transposed`) as its transpose, n x k row-major
    /// (a weight W [n, k] used as W^T).
    pub fn new(b: &[f32], k: usize, n: usize, transposed: bool) -> PackedB {
        assert!(b.len() >= k * n, "PackedB: buffer too small");
        let data = if transposed {
            let mut rows = PooledBuffer::new(k * n);
            transpose_into(&b[..k * n], n, k, &mut rows);
            pack_row_pairs(&rows, k, n, n)
        } else {
            pack_row_pairs(&b[..k * n], k, n, n)
        };
        let tiles = tile_panels(&data, k.div_ceil(2), n);
        PackedB { k, n, data, tiles }
    }

    pub fn k(&self) -> usize {
        self.k
    }

    pub fn n(&self) -> usize {
        self.n
    }

    /// Whether a product of m rows against it runs on AMX tiles: its tile panels are there and
    /// the product holds a whole tile.
    pub(super) fn runs_on_tiles(&self, m: usize) -> bool {
        self.tiles.is_some() && tiles_usable(m, self.n, self.k)
    }
}

/// The row pairs' first n / 32 * 32 columns in panels of 16 columns, each panel's pairs in
/// order (16 values each): every tile of B that `amx::gemm_tiles` loads is then 1 KB in a row.
/// On the Xeon, one thread, medium m-lstm512's step products 525-545 -> 653-667 GFLOP/s
/// forward, 328-344 -> 461-512 backward (bench/NOTES.md). None where no product with this B
/// can run on tiles.
fn tile_panels(rows: &PooledBuffer, pairs: usize, n: usize) -> Option<PooledBuffer> {
    if !tiles_usable(super::amx::TILE, n, 2 * pairs) {
        return None;
    }
    let panels = n / super::amx::TILE * 2;
    let mut out = PooledBuffer::new(panels * pairs * 16);
    let src = rows.bits();
    for (jp, panel) in out.bits_mut().chunks_exact_mut(pairs * 16).enumerate() {
        for (q, dst) in panel.chunks_exact_mut(16).enumerate() {
            dst.copy_from_slice(&src[q * n + jp * 16..q * n + jp * 16 + 16]);
        }
    }
    Some(out)
}

/// Rows (p, p + 1) of a `rows` x `cols` matrix (row p at `src[p * stride..]`) as bf16 pairs,
/// row-major (ceil(rows / 2) x cols); a missing last row reads as zeros.
fn pack_row_pairs(src: &[f32], rows: usize, cols: usize, stride: usize) -> PooledBuffer {
    let pairs = rows.div_ceil(2);
    let mut out = PooledBuffer::new(pairs * cols);
    let zeros = vec![0.0f32; if rows % 2 == 1 { cols } else { 0 }];
    for (q, dst) in out
        .bits_mut()
        .chunks_exact_mut(cols.max(1))
        .enumerate()
        .take(pairs)
    {
        let lo = &src[2 * q * stride..2 * q * stride + cols];
        let hi = if 2 * q + 1 < rows {
            &src[(2 * q + 1) * stride..(2 * q + 1) * stride + cols]
        } else {
            &zeros[..]
        };
        interleave(lo, hi, dst);
    }
    out
}

/// `dst[j] = pair(lo[j], hi[j])`.
fn interleave(lo: &[f32], hi: &[f32], dst: &mut [u32]) {
    #[cfg(target_arch = "x86_64")]
    if has_bf16_kernel() {
        // SAFETY: the processor supports AVX512-BF16; the three slices have dst.len() elements.
        unsafe { avx512::interleave(lo, hi, dst) };
        return;
    }
    for ((d, &l), &h) in dst.iter_mut().zip(lo).zip(hi) {
        *d = pair(l, h);
    }
}

/// `dst[q] = pair(src[2q], src[2q + 1])` (a zero for a missing last element).
fn adjacent_pairs(src: &[f32], dst: &mut [u32]) {
    #[cfg(target_arch = "x86_64")]
    if has_bf16_kernel() {
        // SAFETY: the processor supports AVX512-BF16; dst has ceil(src.len() / 2) elements.
        unsafe { avx512::adjacent_pairs(src, dst) };
        return;
    }
    for (q, d) in dst.iter_mut().enumerate() {
        let hi = src.get(2 * q + 1).copied().unwrap_or(0.0);
        *d = pair(src[2 * q], hi);
    }
}

/// A (m x k, element (i, p) at `a[i * rs + p * cs]`) as bf16 pairs along k, and the strides of
/// pair (i, q) in the result: row-major A packs row by row ((pairs, 1)); A stored transposed
/// (row p of the storage at `a[p * cs..]`) packs row pairs of that storage ((1, m)); other
/// strides gather first.
/// With `row_major`, always the first layout (AMX tiles read A's rows): a transposed A is packed
/// in row pairs, then the pairs transposed.
fn pack_a(
    m: usize,
    k: usize,
    a: &[f32],
    (rs, cs): (usize, usize),
    row_major: bool,
) -> (PooledBuffer, (usize, usize)) {
    let pairs = k.div_ceil(2);
    if cs == 1 || k == 1 {
        let mut out = PooledBuffer::new(m * pairs);
        for (i, dst) in out
            .bits_mut()
            .chunks_exact_mut(pairs.max(1))
            .enumerate()
            .take(m)
        {
            adjacent_pairs(&a[i * rs..i * rs + k], dst);
        }
        return (out, (pairs, 1));
    }
    if rs == 1 && cs >= m {
        if row_major {
            return (pairs_by_rows(a, k, m, cs), (pairs, 1));
        }
        return (pack_row_pairs(a, k, m, cs), (1, m));
    }
    let dense: Vec<f32> = (0..m * k).map(|x| a[(x / k) * rs + (x % k) * cs]).collect();
    pack_a(m, k, &dense, (k, 1), row_major)
}

/// A stored transposed (row p of the storage, A's column p, at `a[p * cs..]`, m values) as
/// pairs along k by rows of A (m x ceil(k/2)), as the AMX tiles read it. With AVX512-BF16 in
/// one pass, 16 x 16 pairs at a time through registers (the row pairs, then their transpose,
/// wrote and read the whole operand once more).
fn pairs_by_rows(a: &[f32], k: usize, m: usize, cs: usize) -> PooledBuffer {
    let mut out = PooledBuffer::new(m * k.div_ceil(2));
    pairs_by_rows_into(a, k, m, cs, out.bits_mut());
    out
}

/// `pairs_by_rows` into `out` (m x ceil(k/2) pairs, every one written).
pub(super) fn pairs_by_rows_into(a: &[f32], k: usize, m: usize, cs: usize, out: &mut [u32]) {
    let pairs = k.div_ceil(2);
    assert!(
        (k == 0 || a.len() >= (k - 1) * cs + m) && out.len() >= m * pairs,
        "gemm_bf16: buffer too small"
    );
    #[cfg(target_arch = "x86_64")]
    if has_bf16_kernel() {
        // SAFETY: the processor supports AVX512-BF16 and AVX-512F; `a` covers k rows of m
        // values `cs` apart and `out` holds m x pairs (checked above).
        unsafe { avx512::pairs_by_rows(a, k, m, cs, out) };
        return;
    }
    let by_pairs = pack_row_pairs(a, k, m, cs);
    transpose_into(by_pairs.bits(), pairs, m, &mut out[..m * pairs]);
}

/// Whether this processor multiplies bf16 pairs in hardware (AVX512-BF16).
pub fn has_bf16_kernel() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx512bf16")
            && std::arch::is_x86_feature_detected!("avx512f")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// `c[i, j] = sum_p bf16(a[i, p]) * bf16(b[p, j]) + beta * c[i, j]`, sums in float32; A as in
/// `gemm_ab_strided` ((k, 1) row-major, (1, m) transposed), C m x n row-major.
pub fn gemm_bf16(
    m: usize,
    k: usize,
    a: &[f32],
    a_strides: (usize, usize),
    b: &PackedB,
    c: &mut [f32],
    beta: f32,
) {
    let n = b.n;
    assert_eq!(
        k, b.k,
        "gemm_bf16: A has {k} columns but B has {} rows",
        b.k
    );
    let (rs, cs) = a_strides;
    let a_span = if m == 0 || k == 0 {
        0
    } else {
        (m - 1) * rs + (k - 1) * cs + 1
    };
    assert!(
        a.len() >= a_span && c.len() >= m * n,
        "gemm_bf16: buffer too small"
    );
    if m == 0 || n == 0 {
        return;
    }
    let tiles = b.runs_on_tiles(m);
    let (a_pairs, a_pair_strides) = pack_a(m, k, a, a_strides, tiles);
    // SAFETY: the packed A holds m x ceil(k/2) pairs at its strides, laid out by rows where
    // `tiles`; B was packed for k x n; C holds m x n (checked above).
    unsafe {
        gemm_pairs(
            m,
            n,
            k.div_ceil(2),
            a_pairs.bits(),
            a_pair_strides,
            b,
            c,
            beta,
            tiles,
        )
    }
}

/// `gemm_bf16` with A packed already: m x `pairs` pairs at `a_pair_strides` (by rows, (lda, 1),
/// where `tiles`: only if `tiles_usable` and B has its tile panels).
///
/// # Safety
/// `a` covers every pair the strides reach; B holds `pairs` pair rows of `n` columns; `c` at
/// least m x n.
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn gemm_pairs(
    m: usize,
    n: usize,
    pairs: usize,
    a: &[u32],
    a_pair_strides: (usize, usize),
    b: &PackedB,
    c: &mut [f32],
    beta: f32,
    tiles: bool,
) {
    #[cfg(all(target_arch = "x86_64", target_os = "linux"))]
    if tiles {
        // SAFETY: `tiles` only where AMX and AVX512-BF16 are usable and B has its tile panels;
        // A holds m x pairs by rows (a_pair_strides.0 apart), B pairs x n, C m x n (the
        // caller's contract).
        unsafe { gemm_on_tiles(m, n, pairs, a, a_pair_strides.0, b, c, beta) };
        return;
    }
    // Tiles are never usable elsewhere.
    #[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
    let _ = tiles;
    #[cfg(target_arch = "x86_64")]
    if has_bf16_kernel() {
        // SAFETY: the processor supports AVX512-BF16 and AVX-512F; the packed operands hold
        // m x pairs and pairs x n and C at least m x n (the caller's contract).
        unsafe { avx512::gemm(m, n, pairs, a, a_pair_strides, b.data.bits(), c, beta) };
        return;
    }
    portable(m, n, pairs, a, a_pair_strides, b.data.bits(), c, beta);
}

/// Whether `gemm_bf16` runs an m x k x n product on AMX tiles: AMX and AVX512-BF16 usable, and
/// at least one whole tile.
pub(super) fn tiles_usable(m: usize, n: usize, k: usize) -> bool {
    #[cfg(all(target_arch = "x86_64", target_os = "linux"))]
    {
        use super::amx::{PAIRS_PER_STEP, TILE};
        m >= TILE
            && n >= TILE
            && k.div_ceil(2) >= PAIRS_PER_STEP
            && has_bf16_kernel()
            && super::amx::available()
    }
    #[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
    {
        let _ = (m, n, k);
        false
    }
}

/// `gemm_bf16`'s products (of at least one whole tile: `tiles_usable`) on AMX tiles where they
/// are whole tiles (32 x 32 of C, 16 pairs of depth), the rest (rows and columns past the last
/// whole tile, pairs past the last whole step) on the AVX512-BF16 kernel. A is m x pairs, rows
/// `lda` apart; `packed` holds its tile panels.
///
/// # Safety
/// `amx::available()` and AVX512-BF16; A, B and C of the sizes above.
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
#[allow(clippy::too_many_arguments)]
unsafe fn gemm_on_tiles(
    m: usize,
    n: usize,
    pairs: usize,
    a: &[u32],
    lda: usize,
    packed: &PackedB,
    c: &mut [f32],
    beta: f32,
) {
    use super::amx::{gemm_tiles, PAIRS_PER_STEP, TILE};
    let Some(panels) = packed.tiles.as_ref().map(|t| t.bits()) else {
        unreachable!("gemm_bf16 runs tiles only for a B packed for them");
    };
    let b = packed.data.bits();
    let (m_t, n_t, q_t) = (
        m / TILE * TILE,
        n / TILE * TILE,
        pairs / PAIRS_PER_STEP * PAIRS_PER_STEP,
    );
    // `tiles_usable` admitted the product: at least one whole tile.
    debug_assert!(m_t > 0 && n_t > 0 && q_t > 0);
    assert!(a.len() >= (m - 1) * lda + pairs && b.len() >= pairs * n && c.len() >= m * n);
    // Tiles start from zero or add to C as it is: another beta scales C first.
    let beta = if beta == 0.0 || beta == 1.0 {
        beta
    } else {
        super::gemm::scale_by_beta(&mut c[..m * n], beta);
        1.0
    };
    let (ap, bp, cp) = (a.as_ptr(), b.as_ptr(), c.as_mut_ptr());
    let (bt, panel) = (panels.as_ptr(), pairs * 16);
    gemm_tiles(m_t, n_t, q_t, ap, lda, bt, panel, n, cp, beta == 1.0);
    if q_t < pairs {
        let (a_rest, b_rest) = (ap.add(q_t), bp.add(q_t * n));
        avx512::gemm_columns(
            m_t,
            n,
            (0, n_t),
            pairs - q_t,
            a_rest,
            (lda, 1),
            b_rest,
            cp,
            1.0,
        );
    }
    if n_t < n {
        avx512::gemm_columns(m_t, n, (n_t, n), pairs, ap, (lda, 1), bp, cp, beta);
    }
    if m_t < m {
        let (a_rows, c_rows) = (ap.add(m_t * lda), cp.add(m_t * n));
        avx512::gemm_columns(
            m - m_t,
            n,
            (0, n),
            pairs,
            a_rows,
            (lda, 1),
            bp,
            c_rows,
            beta,
        );
    }
}

/// `gemm_bf16` for a product whose B is not kept: B packed for this call (worth it from a few
/// hundred rows of A), C in blocks of rows, in parallel on the pool when `parallel`. B is k x n
/// row-major, or its transpose when `b_transposed`.
#[allow(clippy::too_many_arguments)]
pub fn sgemm_bf16(
    m: usize,
    k: usize,
    n: usize,
    a: &[f32],
    a_strides: (usize, usize),
    b: &[f32],
    b_transposed: bool,
    c: &mut [f32],
    beta: f32,
    parallel: bool,
) {
    let packed = PackedB::new(b, k, n, b_transposed);
    sgemm_bf16_packed(m, k, a, a_strides, &packed, c, beta, parallel);
}

/// `sgemm_bf16` with B packed already (a weight kept across calls): the same products.
#[allow(clippy::too_many_arguments)]
pub fn sgemm_bf16_packed(
    m: usize,
    k: usize,
    a: &[f32],
    a_strides: (usize, usize),
    packed: &PackedB,
    c: &mut [f32],
    beta: f32,
    parallel: bool,
) {
    let n = packed.n;
    assert!(c.len() >= m * n, "gemm_bf16: buffer too small");
    if !parallel || m < 16 {
        gemm_bf16(m, k, a, a_strides, packed, &mut c[..m * n], beta);
        return;
    }
    let (rs, _) = a_strides;
    // Blocks in whole AMX tiles where they run: 6400 rows in blocks of 8 made blocks of 240-248
    // rows, whose last 16-24 rows went to the AVX512-BF16 kernel at a fifth of the speed.
    let tile = if tiles_usable(m, n, k) {
        super::amx::TILE
    } else {
        8
    };
    super::row_split::for_row_blocks(c, m, n, tile, 256, true, |r0, block| {
        let mi = block.len() / n;
        gemm_bf16(mi, k, &a[r0 * rs..], a_strides, packed, block, beta);
    });
}

/// The same products without the instruction: each pair's two products added to the sum in
/// order (low then high), in float32.
#[allow(clippy::too_many_arguments)]
fn portable(
    m: usize,
    n: usize,
    pairs: usize,
    a: &[u32],
    (ars, acs): (usize, usize),
    b: &[u32],
    c: &mut [f32],
    beta: f32,
) {
    let half = |v: u32, high: bool| from_bf16(if high { (v >> 16) as u16 } else { v as u16 });
    for i in 0..m {
        for j in 0..n {
            let mut acc = 0.0f32;
            for q in 0..pairs {
                let (x, y) = (a[i * ars + q * acs], b[q * n + j]);
                acc += half(x, false) * half(y, false);
                acc += half(x, true) * half(y, true);
            }
            let out = &mut c[i * n + j];
            *out = if beta == 0.0 { acc } else { acc + beta * *out };
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use std::arch::x86_64::*;

    const LANES: usize = 16;
    /// 8 rows x 2 vectors of C: 16 accumulators, two B vectors and a broadcast in registers.
    const MR: usize = 8;

    #[inline(always)]
    unsafe fn dot(acc: __m512, a: __m512i, b: __m512i) -> __m512 {
        // SAFETY: __m512i and __m512bh are both 512 bits of plain data.
        let a = std::mem::transmute::<__m512i, __m512bh>(a);
        let b = std::mem::transmute::<__m512i, __m512bh>(b);
        _mm512_dpbf16_ps(acc, a, b)
    }

    /// A tile of `rows` (<= MR) rows x `nv` (1 or 2) vectors at (i, j); `mask` selects the
    /// columns of the last vector.
    #[target_feature(enable = "avx512f,avx512bf16")]
    #[allow(clippy::too_many_arguments)]
    #[inline]
    unsafe fn tile<const ROWS: usize, const NV: usize>(
        n: usize,
        pairs: usize,
        a: *const u32,
        (ars, acs): (usize, usize),
        b: *const u32,
        c: *mut f32,
        i: usize,
        j: usize,
        mask: __mmask16,
        beta: f32,
    ) {
        let mut acc = [[_mm512_setzero_ps(); NV]; ROWS];
        let mut b_row = b.add(j);
        for q in 0..pairs {
            let mut bv = [_mm512_setzero_si512(); NV];
            for (v, slot) in bv.iter_mut().enumerate() {
                let m = if v == NV - 1 { mask } else { 0xffff };
                *slot = _mm512_maskz_loadu_epi32(m, b_row.add(v * LANES) as *const i32);
            }
            for (r, row) in acc.iter_mut().enumerate() {
                let av = _mm512_set1_epi32(*a.add((i + r) * ars + q * acs) as i32);
                for (s, &bw) in row.iter_mut().zip(&bv) {
                    *s = dot(*s, av, bw);
                }
            }
            b_row = b_row.add(n);
        }
        let betav = _mm512_set1_ps(beta);
        for (r, row) in acc.iter().enumerate() {
            for (v, &s) in row.iter().enumerate() {
                let m = if v == NV - 1 { mask } else { 0xffff };
                let p = c.add((i + r) * n + j + v * LANES);
                let value = if beta == 0.0 {
                    s
                } else {
                    _mm512_fmadd_ps(betav, _mm512_maskz_loadu_ps(m, p), s)
                };
                _mm512_mask_storeu_ps(p, m, value);
            }
        }
    }

    /// Every row tile of one column panel of `nv` vectors.
    #[target_feature(enable = "avx512f,avx512bf16")]
    #[allow(clippy::too_many_arguments)]
    unsafe fn panel<const NV: usize>(
        m: usize,
        n: usize,
        pairs: usize,
        a: *const u32,
        sa: (usize, usize),
        b: *const u32,
        c: *mut f32,
        j: usize,
        mask: __mmask16,
        beta: f32,
    ) {
        let mut i = 0;
        while i + MR <= m {
            tile::<MR, NV>(n, pairs, a, sa, b, c, i, j, mask, beta);
            i += MR;
        }
        match m - i {
            0 => {}
            1 => tile::<1, NV>(n, pairs, a, sa, b, c, i, j, mask, beta),
            2 => tile::<2, NV>(n, pairs, a, sa, b, c, i, j, mask, beta),
            3 => tile::<3, NV>(n, pairs, a, sa, b, c, i, j, mask, beta),
            4 => tile::<4, NV>(n, pairs, a, sa, b, c, i, j, mask, beta),
            5 => tile::<5, NV>(n, pairs, a, sa, b, c, i, j, mask, beta),
            6 => tile::<6, NV>(n, pairs, a, sa, b, c, i, j, mask, beta),
            _ => tile::<7, NV>(n, pairs, a, sa, b, c, i, j, mask, beta),
        }
    }

    /// Lane j: bf16(lo[j]) | bf16(hi[j]) << 16.
    #[target_feature(enable = "avx512f,avx512bf16")]
    #[inline]
    unsafe fn pairs_of(lo: __m512, hi: __m512) -> __m512i {
        let l = _mm512_cvtneps_pbh(lo);
        let h = _mm512_cvtneps_pbh(hi);
        let l = _mm512_cvtepu16_epi32(std::mem::transmute::<__m256bh, __m256i>(l));
        let h = _mm512_cvtepu16_epi32(std::mem::transmute::<__m256bh, __m256i>(h));
        _mm512_or_si512(l, _mm512_slli_epi32::<16>(h))
    }

    /// `dst[j] = lo[j] | hi[j] << 16` in bf16, 16 columns at a time.
    #[target_feature(enable = "avx512f,avx512bf16")]
    pub unsafe fn interleave(lo: &[f32], hi: &[f32], dst: &mut [u32]) {
        let n = dst.len();
        let mut j = 0;
        while j + LANES <= n {
            let lo = _mm512_loadu_ps(lo.as_ptr().add(j));
            let hi = _mm512_loadu_ps(hi.as_ptr().add(j));
            _mm512_storeu_si512(dst.as_mut_ptr().add(j) as *mut __m512i, pairs_of(lo, hi));
            j += LANES;
        }
        for j in j..n {
            dst[j] = super::pair(lo[j], hi[j]);
        }
    }

    /// `super::pairs_by_rows`: `out[i * pairs + q]` = A[i, 2q] | A[i, 2q + 1] << 16 in bf16,
    /// A's column p at `a[p * cs..]`. Blocks of 16 rows x 16 pairs (32 columns of the storage)
    /// are paired in registers and transposed there; the ragged edges pair one value at a
    /// time.
    ///
    /// # Safety
    /// AVX-512F and AVX512-BF16; `a` covers k rows of m values `cs` apart, `out` m x pairs.
    #[target_feature(enable = "avx512f,avx512bf16")]
    pub unsafe fn pairs_by_rows(a: &[f32], k: usize, m: usize, cs: usize, out: &mut [u32]) {
        use crate::kernels::transpose::avx512::transpose_16x16;
        let pairs = k.div_ceil(2);
        let (m_full, q_full) = (m / LANES * LANES, k / (2 * LANES) * LANES);
        let (ap, op) = (a.as_ptr(), out.as_mut_ptr());
        // Along A's rows inside a band of 32 storage rows: each of them read in order (rows of
        // the storage lie 8 KB apart at m-lstm512, where a band of blocks down the columns
        // left every load to miss).
        for q0 in (0..q_full).step_by(LANES) {
            for i0 in (0..m_full).step_by(LANES) {
                let mut by_pairs = [_mm512_setzero_si512(); LANES];
                for (q, v) in by_pairs.iter_mut().enumerate() {
                    let lo = ap.add(2 * (q0 + q) * cs + i0);
                    *v = pairs_of(_mm512_loadu_ps(lo), _mm512_loadu_ps(lo.add(cs)));
                }
                for (i, row) in transpose_16x16(&by_pairs).into_iter().enumerate() {
                    _mm512_storeu_si512(op.add((i0 + i) * pairs + q0) as *mut __m512i, row);
                }
            }
        }
        for i in 0..m {
            let from = if i < m_full { q_full } else { 0 };
            for q in from..pairs {
                let hi = if 2 * q + 1 < k {
                    a[(2 * q + 1) * cs + i]
                } else {
                    0.0
                };
                out[i * pairs + q] = super::pair(a[2 * q * cs + i], hi);
            }
        }
    }

    /// `dst[q] = src[2q] | src[2q + 1] << 16` in bf16, 32 values at a time.
    #[target_feature(enable = "avx512f,avx512bf16")]
    pub unsafe fn adjacent_pairs(src: &[f32], dst: &mut [u32]) {
        let mut q = 0;
        while 2 * q + 2 * LANES <= src.len() {
            let lo = _mm512_loadu_ps(src.as_ptr().add(2 * q));
            let hi = _mm512_loadu_ps(src.as_ptr().add(2 * q + LANES));
            // 32 bf16 in source order: lane q holds elements 2q (low) and 2q + 1 (high).
            let v = _mm512_cvtne2ps_pbh(hi, lo);
            _mm512_storeu_si512(
                dst.as_mut_ptr().add(q) as *mut __m512i,
                std::mem::transmute::<__m512bh, __m512i>(v),
            );
            q += LANES;
        }
        for (q, d) in dst.iter_mut().enumerate().skip(q) {
            let hi = src.get(2 * q + 1).copied().unwrap_or(0.0);
            *d = super::pair(src[2 * q], hi);
        }
    }

    /// # Safety
    /// Requires AVX-512F and AVX512-BF16; `a` holds m x pairs, `b` pairs x n, `c` m x n.
    #[target_feature(enable = "avx512f,avx512bf16")]
    #[allow(clippy::too_many_arguments)]
    pub unsafe fn gemm(
        m: usize,
        n: usize,
        pairs: usize,
        a: &[u32],
        sa: (usize, usize),
        b: &[u32],
        c: &mut [f32],
        beta: f32,
    ) {
        gemm_columns(
            m,
            n,
            (0, n),
            pairs,
            a.as_ptr(),
            sa,
            b.as_ptr(),
            c.as_mut_ptr(),
            beta,
        )
    }

    /// `gemm` over C's columns `j0..j1` only (B's and C's rows still `n` apart).
    ///
    /// # Safety
    /// As `gemm`, with `a`, `b` and `c` pointing at buffers of those sizes.
    #[target_feature(enable = "avx512f,avx512bf16")]
    #[allow(clippy::too_many_arguments)]
    pub unsafe fn gemm_columns(
        m: usize,
        n: usize,
        (j0, j1): (usize, usize),
        pairs: usize,
        ap: *const u32,
        sa: (usize, usize),
        bp: *const u32,
        cp: *mut f32,
        beta: f32,
    ) {
        let mut j = j0;
        while j + 2 * LANES <= j1 {
            panel::<2>(m, n, pairs, ap, sa, bp, cp, j, 0xffff, beta);
            j += 2 * LANES;
        }
        let rest = j1 - j;
        let tail = ((1u32 << (rest % LANES)) - 1) as __mmask16;
        match (rest / LANES, rest % LANES) {
            (0, 0) => {}
            (1, 0) => panel::<1>(m, n, pairs, ap, sa, bp, cp, j, 0xffff, beta),
            (0, _) => panel::<1>(m, n, pairs, ap, sa, bp, cp, j, tail, beta),
            _ => panel::<2>(m, n, pairs, ap, sa, bp, cp, j, tail, beta),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(n: usize, seed: u64) -> Vec<f32> {
        let mut s = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (0..n)
            .map(|_| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
            })
            .collect()
    }

    #[test]
    fn rounding_to_bf16_is_to_nearest_even() {
        assert_eq!(to_bf16(1.0), 0x3f80);
        // 1 + 2^-8 is halfway between 1 and 1 + 2^-7: ties go to the even mantissa (1.0).
        assert_eq!(to_bf16(1.0 + 1.0 / 256.0), 0x3f80);
        assert_eq!(to_bf16(1.0 + 3.0 / 256.0), 0x3f82);
        assert_eq!(from_bf16(to_bf16(-2.5)), -2.5);
        assert!(from_bf16(to_bf16(f32::NAN)).is_nan());
        assert_eq!(from_bf16(to_bf16(f32::INFINITY)), f32::INFINITY);
        // The largest finite float rounds up to infinity, as in hardware.
        assert_eq!(from_bf16(to_bf16(f32::MAX)), f32::INFINITY);
    }

    /// Against a float64 product of the bf16-rounded operands: the only differences left are
    /// float32 summation (relative 1e-5 at these depths).
    #[test]
    fn products_match_float64_over_rounded_operands() {
        for &(m, k, n) in &[
            (1, 1, 1),
            (3, 7, 5),
            (8, 64, 32),
            (13, 33, 47),
            (64, 128, 512),
            (9, 300, 17),
            // Whole AMX tiles (32 x 32, 16 pairs) with every kind of remainder: rows, columns,
            // pairs, and an odd depth.
            (32, 32, 32),
            (45, 77, 67),
            (70, 129, 100),
        ] {
            for (transposed_a, transposed_b, beta) in
                [(false, false, 0.0), (true, true, 0.5), (false, true, 1.0)]
            {
                let a = values(m * k, 1);
                let b = values(k * n, 2);
                let c0 = values(m * n, 3);
                let a_strides = if transposed_a { (1, m) } else { (k, 1) };
                let packed = PackedB::new(&b, k, n, transposed_b);
                let mut c = c0.clone();
                gemm_bf16(m, k, &a, a_strides, &packed, &mut c, beta);
                let r = |x: f32| from_bf16(to_bf16(x)) as f64;
                for i in 0..m {
                    for j in 0..n {
                        let mut want = beta as f64 * c0[i * n + j] as f64;
                        for p in 0..k {
                            let av = a[i * a_strides.0 + p * a_strides.1];
                            let bv = if transposed_b {
                                b[j * k + p]
                            } else {
                                b[p * n + j]
                            };
                            want += r(av) * r(bv);
                        }
                        let got = c[i * n + j] as f64;
                        assert!(
                            (got - want).abs() <= 1e-5 * (1.0 + want.abs()) * (k as f64).sqrt(),
                            "{m}x{k}x{n} (a^T {transposed_a}, b^T {transposed_b}, beta {beta}) at ({i}, {j}): {got} vs {want}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn the_hardware_kernel_matches_the_portable_loop() {
        if !has_bf16_kernel() {
            eprintln!("skipped: this processor has no AVX512-BF16; the portable loop ran above");
            return;
        }
        let (m, k, n) = (11, 97, 45);
        let (a, b) = (values(m * k, 4), values(k * n, 5));
        let packed = PackedB::new(&b, k, n, false);
        let mut hw = vec![0.0; m * n];
        gemm_bf16(m, k, &a, (k, 1), &packed, &mut hw, 0.0);
        // The portable loop over operands packed by scalar code.
        let pairs = k.div_ceil(2);
        let at = |v: &[f32], i: usize| v.get(i).copied().unwrap_or(0.0);
        let pa: Vec<u32> = (0..m * pairs)
            .map(|x| {
                let (i, q) = (x / pairs, x % pairs);
                let hi = if 2 * q + 1 < k {
                    a[i * k + 2 * q + 1]
                } else {
                    0.0
                };
                pair(a[i * k + 2 * q], hi)
            })
            .collect();
        let pb: Vec<u32> = (0..pairs * n)
            .map(|x| {
                let (q, j) = (x / n, x % n);
                let hi = if 2 * q + 1 < k {
                    at(&b, (2 * q + 1) * n + j)
                } else {
                    0.0
                };
                pair(b[2 * q * n + j], hi)
            })
            .collect();
        assert_eq!(pb, packed.data.bits(), "vector packing of B");
        assert_eq!(
            pa,
            pack_a(m, k, &a, (k, 1), false).0.bits(),
            "vector packing of A"
        );
        let mut sw = vec![0.0; m * n];
        portable(m, n, pairs, &pa, (pairs, 1), &pb, &mut sw, 0.0);
        for (x, y) in hw.iter().zip(&sw) {
            assert!((x - y).abs() <= 1e-5 * (1.0 + y.abs()), "{x} vs {y}");
        }
    }

    #[test]
    fn a_stored_transposed_pairs_by_rows() {
        // Whole 16 x 16 blocks with every ragged edge: rows past a block, pairs past a block,
        // an odd depth (its last pair's high half zero), fewer than a block, storage rows
        // longer than A's (cs > m).
        for &(m, k, cs) in &[
            (32, 64, 32),
            (40, 70, 41),
            (17, 33, 20),
            (5, 7, 5),
            (48, 31, 50),
        ] {
            let a = values((k - 1) * cs + m, (m * 31 + k) as u64);
            let pairs = k.div_ceil(2);
            let got = pairs_by_rows(&a, k, m, cs);
            for i in 0..m {
                for q in 0..pairs {
                    let hi = if 2 * q + 1 < k {
                        a[(2 * q + 1) * cs + i]
                    } else {
                        0.0
                    };
                    let want = pair(a[2 * q * cs + i], hi);
                    assert_eq!(got.bits()[i * pairs + q], want, "{m}x{k} ({cs}) [{i}, {q}]");
                }
            }
        }
    }
}
