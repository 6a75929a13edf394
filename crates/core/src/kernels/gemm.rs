//! Single-precision matrix products on row-major buffers, through the pure-Rust `gemm` crate
//! (SIMD micro-kernels picked at run time; no system BLAS, so binaries stay self-contained).
//! It beat `matrixmultiply` on this project's machines for the small shapes that dominate
//! recurrent steps and matched it on large ones (numbers in bench/NOTES.md).

use super::gemm_ab::{gemm_ab_blocked, gemm_ab_strided, gemm_panel_a, has_simd_kernel, BlockedB};
use super::gemm_bf16::sgemm_bf16;
use super::panel_a::PanelA;
use super::panel_b::PanelB;
use super::plan::TransposedA;
use crate::threads;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transpose {
    No,
    Yes,
}

/// Below this many multiply-adds (the kernel plan's `parallel_min_work`) a product runs on the
/// calling thread: waking a pool thread and joining costs more than it saves. Measured on the
/// bench suite with 2 threads on Zen 4: at 2^18 the per-step recurrent products of
/// small-lstm128 (4.2M) ran 20% slower than on one thread; at 2^23 they stay on the caller
/// while mid-size steps (16.8M) still split.
fn parallel_min_work() -> usize {
    crate::kernels::plan::plan().parallel_min_work
}

/// Whether a product may split between threads here: more than one thread, and not already
/// inside a pool thread, whose caller is parallel already (row blocks, directions).
pub(crate) fn may_split() -> bool {
    threads::get_num_threads() > 1 && rayon::current_thread_index().is_none()
}

/// `c = op(a) @ op(b) + beta * c`, where `op(a)` is m x k and `op(b)` is k x n.
/// `a` holds m x k row-major (or k x m when transposed); likewise `b`.
///
/// Most products go to the unpacked broadcast kernel (`gemm_ab`): as is below
/// `parallel_min_work()` multiply-adds, where packing costs as much as the arithmetic; above it in
/// cache blocks of C, in parallel outside pool threads, with B packed in column panels once
/// when enough rows of A share the copy (always for a transposed B, which needs a copy anyway).
/// The packed GEMM takes what remains: products with fewer columns than a vector, those with a
/// transposed B and too few rows, large ones with a transposed A where the kernel plan says so,
/// and everything on processors without AVX2 (its kernels cover NEON and SSE).
#[allow(clippy::too_many_arguments)]
pub fn sgemm(
    m: usize,
    k: usize,
    n: usize,
    a: &[f32],
    ta: Transpose,
    b: &[f32],
    tb: Transpose,
    c: &mut [f32],
    beta: f32,
) {
    assert!(
        a.len() >= m * k && b.len() >= k * n && c.len() >= m * n,
        "sgemm: buffer too small"
    );
    let a_strides = match ta {
        Transpose::No => (k, 1),
        Transpose::Yes => (1, m),
    };
    let plan = crate::kernels::plan::plan();
    let large = m.saturating_mul(n).saturating_mul(k) >= plan.parallel_min_work;
    if runs_on_bf16(m, k, n) {
        let parallel = may_split();
        let tb = tb == Transpose::Yes;
        sgemm_bf16(m, k, n, a, a_strides, b, tb, c, beta, parallel);
        return;
    }
    let copy_pays = tb == Transpose::No || (large && m >= TRANSPOSED_B_MIN_ROWS);
    let packed_by_plan =
        large && ta == Transpose::Yes && plan.transposed_a == TransposedA::PackedGemm;
    if n < UNPACKED_MIN_COLS || !copy_pays || !has_simd_kernel() || packed_by_plan {
        sgemm_packed(m, k, n, a, ta, b, tb, c, beta);
    } else if !large {
        gemm_ab_strided(m, n, k, a, a_strides, b, c, beta);
    } else {
        let parallel = may_split();
        // B in panels (each read as one stream) once the copy is small beside the products;
        // a transposed B is copied either way, and packing it costs less than transposing
        // (0.3 against 1.1 ms for m-lstm512's W_ih).
        let panels_from = plan.b_panels_min_rows(ta == Transpose::Yes, n);
        let panels = (tb == Transpose::Yes || m >= panels_from)
            .then(|| PanelB::pack(b, k, n, tb == Transpose::Yes, parallel));
        let b = match &panels {
            Some(p) => BlockedB::Panels(p),
            None => BlockedB::Rows(&b[..k * n]),
        };
        gemm_ab_blocked(m, n, k, a, a_strides, b, c, beta, parallel);
    }
}

/// Whether `sgemm` runs an m x k x n product on bf16 operands: the matmul precision and the
/// processor allow it (`precision::cpu_bf16`), and the product is large with rows enough to
/// repay packing B.
pub(crate) fn runs_on_bf16(m: usize, k: usize, n: usize) -> bool {
    let plan = crate::kernels::plan::plan();
    let large = m.saturating_mul(n).saturating_mul(k) >= plan.parallel_min_work;
    large && m >= BF16_MIN_ROWS && n >= 16 && crate::precision::cpu_bf16()
}

/// A transposed A (m x k) worth packing whole as it is written (`PanelA`) for products against
/// it of `cols` columns or more: where the kernel plan packs a transposed A in panels and those
/// products are large (`sgemm` would pack each block of A for each of them). None otherwise:
/// the products then go through `sgemm`.
pub fn panel_a_for(m: usize, k: usize, cols: usize) -> Option<PanelA> {
    let plan = crate::kernels::plan::plan();
    let large = m.saturating_mul(k).saturating_mul(cols) >= plan.parallel_min_work;
    let worth = large
        && cols >= UNPACKED_MIN_COLS
        && plan.transposed_a == TransposedA::Panels
        && !crate::precision::cpu_bf16();
    worth.then(|| PanelA::pooled(m, k)).flatten()
}

/// `c = A[:, p0..p0 + k] b + beta c` with A (m x K) packed whole and b (k x n) row-major: what
/// `sgemm` computes for A stored transposed, with B's layout and the threads chosen as it
/// chooses them, and the same sums (identical results).
#[allow(clippy::too_many_arguments)]
pub fn sgemm_panel_a(
    k: usize,
    n: usize,
    a: &PanelA,
    p0: usize,
    b: &[f32],
    c: &mut [f32],
    beta: f32,
) {
    let plan = crate::kernels::plan::plan();
    let m = a.m();
    let large = m.saturating_mul(n).saturating_mul(k) >= plan.parallel_min_work;
    let parallel = large && may_split();
    let panels = (large && m >= plan.b_panels_min_rows(true, n))
        .then(|| PanelB::pack(b, k, n, false, parallel));
    let b = match &panels {
        Some(p) => BlockedB::Panels(p),
        None => BlockedB::Rows(&b[..k * n]),
    };
    gemm_panel_a(m, n, k, a, p0, b, c, beta, parallel);
}

/// Rows of A from which a large product runs on bf16 operands when the matmul precision is
/// `Medium`: packing B once per call costs about what 200 rows of products save.
const BF16_MIN_ROWS: usize = 256;

/// Rows of A from which a large product copies a transposed B into panels for the broadcast
/// kernel (at 64 rows, a Linear layer's 4096 x 4096 weight, a plain transpose made it 7x
/// slower than the packed GEMM). Since the copy is a panel packing (3x faster than the
/// transpose), 512 rows pay: a Linear 1024 -> 1024 forward at batch 512 ran 1.09-1.14x the
/// packed GEMM (Zen 4, 2 threads; it was 2048 rows with the transpose).
const TRANSPOSED_B_MIN_ROWS: usize = 512;

/// Columns below which the packed GEMM beats the broadcast kernel (measured: 37 against
/// 7 GFLOP/s for a matrix-vector product).
const UNPACKED_MIN_COLS: usize = 8;

/// `c *= beta`, where beta 0 overwrites (as in BLAS, C is then not read: a NaN or infinity
/// left in it by an earlier use must not survive as `0 * NaN`).
pub(crate) fn scale_by_beta(c: &mut [f32], beta: f32) {
    if beta == 0.0 {
        c.fill(0.0);
    } else {
        c.iter_mut().for_each(|v| *v *= beta);
    }
}

/// `sgemm` always through the packed GEMM (parallel above `parallel_min_work()`).
#[allow(clippy::too_many_arguments)]
pub fn sgemm_packed(
    m: usize,
    k: usize,
    n: usize,
    a: &[f32],
    ta: Transpose,
    b: &[f32],
    tb: Transpose,
    c: &mut [f32],
    beta: f32,
) {
    assert!(
        a.len() >= m * k && b.len() >= k * n && c.len() >= m * n,
        "sgemm: buffer too small"
    );
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        scale_by_beta(&mut c[..m * n], beta);
        return;
    }
    let (a_rs, a_cs) = match ta {
        Transpose::No => (k as isize, 1),
        Transpose::Yes => (1, m as isize),
    };
    let (b_rs, b_cs) = match tb {
        Transpose::No => (n as isize, 1),
        Transpose::Yes => (1, k as isize),
    };
    let work = m * n * k;
    let nthreads = threads::get_num_threads();
    let mut run = |par: gemm::Parallelism| {
        // SAFETY: the assert above guarantees every index the strides reach lies inside the
        // slices; `c` is exclusively borrowed.
        unsafe {
            gemm::gemm(
                m,
                n,
                k,
                c.as_mut_ptr(),
                1,
                n as isize,
                beta != 0.0,
                a.as_ptr(),
                a_cs,
                a_rs,
                b.as_ptr(),
                b_cs,
                b_rs,
                beta,
                1.0,
                false,
                false,
                false,
                par,
            )
        }
    };
    if work >= parallel_min_work() && may_split() {
        threads::install(|| run(gemm::Parallelism::Rayon(nthreads)));
    } else {
        run(gemm::Parallelism::None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(
        m: usize,
        k: usize,
        n: usize,
        a: &[f32],
        ta: Transpose,
        b: &[f32],
        tb: Transpose,
    ) -> Vec<f32> {
        let at = |i: usize, p: usize| {
            if ta == Transpose::No {
                a[i * k + p]
            } else {
                a[p * m + i]
            }
        };
        let bt = |p: usize, j: usize| {
            if tb == Transpose::No {
                b[p * n + j]
            } else {
                b[j * k + p]
            }
        };
        let mut c = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                c[i * n + j] = (0..k).map(|p| at(i, p) * bt(p, j)).sum();
            }
        }
        c
    }

    #[test]
    fn all_transpose_combinations_match_naive() {
        // n = 9 takes the unpacked kernel for a row-major B, n = 1 stays packed.
        for (m, k, n) in [(7, 5, 9), (2, 5, 9), (1, 3, 1)] {
            let a: Vec<f32> = (0..m * k).map(|i| (i as f32 * 0.37).sin()).collect();
            let b: Vec<f32> = (0..k * n).map(|i| (i as f32 * 0.11).cos()).collect();
            for ta in [Transpose::No, Transpose::Yes] {
                for tb in [Transpose::No, Transpose::Yes] {
                    let want = naive(m, k, n, &a, ta, &b, tb);
                    for product in [sgemm, sgemm_packed] {
                        let mut c = vec![1.0; m * n];
                        product(m, k, n, &a, ta, &b, tb, &mut c, 0.0);
                        for (x, y) in c.iter().zip(&want) {
                            assert!(
                                (x - y).abs() < 1e-4,
                                "{m}x{k}x{n} {ta:?} {tb:?}: {x} vs {y}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn beta_accumulates_into_c() {
        let a = [1.0, 2.0];
        let b = [3.0, 4.0];
        let mut c = [10.0];
        sgemm(1, 2, 1, &a, Transpose::No, &b, Transpose::No, &mut c, 1.0);
        assert_eq!(c[0], 21.0);
    }

    #[test]
    fn large_products_match_naive_for_all_transposes() {
        // Above parallel_min_work(): the blocked path, with remainders in every blocking (rows
        // past 128, depth past 256, a masked column tail) and beta accumulating; 2100 rows also
        // take it with a transposed B (copied), 300 rows leave that case to the packed GEMM;
        // 1100 rows pack B in panels only under a transposed A.
        for (m, k, n) in [(300, 600, 50), (2100, 64, 70), (1100, 80, 100)] {
            let a: Vec<f32> = (0..m * k).map(|i| ((i % 13) as f32 - 6.0) * 0.1).collect();
            let b: Vec<f32> = (0..k * n).map(|i| ((i % 7) as f32 - 3.0) * 0.2).collect();
            let init: Vec<f32> = (0..m * n).map(|i| (i % 5) as f32).collect();
            for ta in [Transpose::No, Transpose::Yes] {
                for tb in [Transpose::No, Transpose::Yes] {
                    let mut c = init.clone();
                    sgemm(m, k, n, &a, ta, &b, tb, &mut c, 0.5);
                    let want = naive(m, k, n, &a, ta, &b, tb);
                    for ((x, y), c0) in c.iter().zip(&want).zip(&init) {
                        let y = y + 0.5 * c0;
                        assert!(
                            (x - y).abs() < 1e-3 * y.abs().max(1.0),
                            "{m}x{k}x{n} {ta:?} {tb:?}: {x} vs {y}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn beta_zero_overwrites_c_without_reading_it() {
        // Every path: unpacked small, packed (fewer columns than a vector; transposed B with
        // few rows), blocked large with row-major and transposed B, and an empty depth. C starts
        // as NaN and infinity (what a reused buffer may hold): none may survive as 0 * NaN.
        for (m, k, n) in [
            (4, 8, 32),
            (4, 8, 3),
            (2100, 64, 70),
            (300, 600, 50),
            (5, 0, 9),
        ] {
            let a: Vec<f32> = (0..m * k).map(|i| ((i % 13) as f32 - 6.0) * 0.1).collect();
            let b: Vec<f32> = (0..k * n).map(|i| ((i % 7) as f32 - 3.0) * 0.2).collect();
            for tb in [Transpose::No, Transpose::Yes] {
                let mut c: Vec<f32> = (0..m * n)
                    .map(|i| if i % 2 == 0 { f32::NAN } else { f32::INFINITY })
                    .collect();
                sgemm(m, k, n, &a, Transpose::No, &b, tb, &mut c, 0.0);
                let want = naive(m, k, n, &a, Transpose::No, &b, tb);
                for (x, y) in c.iter().zip(&want) {
                    assert!(
                        (x - y).abs() < 1e-3 * y.abs().max(1.0),
                        "{m}x{k}x{n} {tb:?}: {x} vs {y}"
                    );
                }
            }
        }
    }
}
