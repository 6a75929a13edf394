//! A transposed A packed once in bf16 for several products over ranges of its depth: a
//! recurrent layer's dG^T, which both weight gradients read (dW_ih = dG^T x, dW_hh = dG^T
//! h_prev). Where those products run on AMX tiles, `sgemm` packed it for each of them (at
//! m-lstm512 about 52 MB of float32 read and 26 MB of pairs written, twice a step, a tenth of
//! the step's time at `'medium'` on the Xeon).

use super::gemm::{may_split, runs_on_bf16};
use super::gemm_bf16::{gemm_pairs, pairs_by_rows_into, tiles_usable, PackedB};
use super::row_split::for_row_blocks;
use crate::buffer_pool::PooledBuffer;

/// A (m x k) as bf16 pairs along k, by rows: row i's pair q holds A[i, 2q] and A[i, 2q + 1].
pub struct SharedA {
    m: usize,
    k: usize,
    pairs: PooledBuffer,
}

impl SharedA {
    /// A stored transposed (its column p at `a[p * m..]`, m values), packed for products against
    /// it with `cols` columns or more, where `sgemm` would run them on bf16 operands and AMX
    /// tiles; None otherwise (`sgemm` then does as it does).
    pub fn transposed_for_tiles(a: &[f32], m: usize, k: usize, cols: usize) -> Option<SharedA> {
        if !(runs_on_bf16(m, k, cols) && tiles_usable(m, cols, k)) {
            return None;
        }
        // By blocks of rows on the pool's threads, as `sgemm` packs it (on one thread the
        // shared copy cost what the second one had).
        let per_row = k.div_ceil(2);
        let mut pairs = PooledBuffer::new(m * per_row);
        for_row_blocks(
            pairs.bits_mut(),
            m,
            per_row,
            16,
            256,
            may_split(),
            |r0, out| pairs_by_rows_into(&a[r0..], k, out.len() / per_row, m, out),
        );
        Some(SharedA { m, k, pairs })
    }

    /// Whether `sgemm_shared_a` computes the product over depth p0..p0 + k against n columns
    /// as `sgemm` would: from a pair boundary, on bf16 AMX tiles (a smaller product `sgemm`
    /// keeps in float32).
    pub fn serves(&self, p0: usize, k: usize, n: usize) -> bool {
        p0.is_multiple_of(2)
            && p0 + k <= self.k
            && runs_on_bf16(self.m, k, n)
            && tiles_usable(self.m, n, k)
    }
}

/// `c = A[:, p0..p0 + k] b + beta c`, b (k x n) row-major, c m x n: what `sgemm` computes for
/// A stored transposed where `a.serves(p0, k, n)` (the same sums in the same order), with A
/// packed already. `p0` must be even (a pair boundary); where p0 + k ends inside a pair, its
/// other half meets the zero that packing an odd-length B adds. C in row blocks of whole tiles,
/// on the pool's threads where `sgemm` would split.
pub fn sgemm_shared_a(
    a: &SharedA,
    p0: usize,
    k: usize,
    n: usize,
    b: &[f32],
    c: &mut [f32],
    beta: f32,
) {
    let m = a.m;
    assert!(
        p0.is_multiple_of(2) && p0 + k <= a.k && b.len() >= k * n && c.len() >= m * n,
        "sgemm_shared_a: depth {p0}..{} of {} or buffers too small",
        p0 + k,
        a.k
    );
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        super::gemm::scale_by_beta(&mut c[..m * n], beta);
        return;
    }
    let lda = a.k.div_ceil(2);
    let packed = PackedB::new(b, k, n, false);
    let rows = a.pairs.bits();
    let (q0, pairs) = (p0 / 2, k.div_ceil(2));
    for_row_blocks(c, m, n, super::amx::TILE, 256, may_split(), |r0, block| {
        let mi = block.len() / n;
        let tiles = packed.runs_on_tiles(mi);
        // SAFETY: rows r0..r0 + mi of A from pair q0 hold `pairs` pairs each, lda apart
        // (q0 + pairs <= lda as p0 + k <= a.k); B holds k x n; the block is mi x n of C.
        unsafe {
            gemm_pairs(
                mi,
                n,
                pairs,
                &rows[r0 * lda + q0..],
                (lda, 1),
                &packed,
                block,
                beta,
                tiles,
            )
        }
    });
}
