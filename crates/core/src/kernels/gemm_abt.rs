//! `C = A Bᵀ + beta C` for the small, repeated products of a recurrent step (a few dozen batch
//! rows times a weight matrix that stays the same for every step). General GEMMs pack both
//! operands on every call; here each output is a dot product of two contiguous rows, computed
//! in 4 x 4 register tiles straight from the weights, which stay row-major and are never
//! repacked. AVX-512 or AVX2+FMA when available, the packed GEMM otherwise.

use super::gemm::{sgemm, Transpose};

/// `c[i, j] = sum_p a[i, p] * b[j, p] + beta * c[i, j]` with a (m x k), b (n x k), c (m x n),
/// all row-major.
pub fn gemm_abt(m: usize, n: usize, k: usize, a: &[f32], b: &[f32], c: &mut [f32], beta: f32) {
    assert!(
        a.len() >= m * k && b.len() >= n * k && c.len() >= m * n,
        "gemm_abt: buffer too small"
    );
    #[cfg(target_arch = "x86_64")]
    {
        // Below k = 64 the per-output reductions dominate and the packed GEMM wins.
        if k >= 64 && std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the processor supports AVX-512F; sizes were checked above.
            unsafe { avx512::gemm_abt(m, n, k, a, b, c, beta) };
            return;
        }
        if k >= 64
            && std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("fma")
        {
            // SAFETY: the processor supports AVX2 and FMA; sizes were checked above.
            unsafe { avx2::gemm_abt(m, n, k, a, b, c, beta) };
            return;
        }
    }
    sgemm(m, k, n, a, Transpose::No, b, Transpose::Yes, c, beta);
}

/// Defines a module `$name` with `gemm_abt` for one instruction set: `$vec` registers of
/// `$lanes` floats, loaded with `$load`, accumulated with `$fma` and summed across with `$hsum`.
macro_rules! abt_kernel {
    ($name:ident, $feat:literal, $vec:ident, $lanes:literal, $zero:ident, $load:ident, $fma:ident, $hsum:expr) => {
        #[cfg(target_arch = "x86_64")]
        mod $name {
            use std::arch::x86_64::*;

            /// One MR x NR tile of C at (i, j).
            #[target_feature(enable = $feat)]
            #[allow(clippy::too_many_arguments)]
            unsafe fn tile<const MR: usize, const NR: usize>(
                k: usize,
                a: *const f32,
                b: *const f32,
                c: *mut f32,
                ldc: usize,
                i: usize,
                j: usize,
                beta: f32,
            ) {
                let hsum = $hsum;
                let mut acc = [[$zero(); NR]; MR];
                let vec_k = k - k % $lanes;
                let mut p = 0;
                while p < vec_k {
                    let mut bv = [$zero(); NR];
                    for (jj, v) in bv.iter_mut().enumerate() {
                        *v = $load(b.add((j + jj) * k + p));
                    }
                    for (ii, row) in acc.iter_mut().enumerate() {
                        let av = $load(a.add((i + ii) * k + p));
                        for (jj, s) in row.iter_mut().enumerate() {
                            *s = $fma(av, bv[jj], *s);
                        }
                    }
                    p += $lanes;
                }
                for (ii, row) in acc.iter().enumerate() {
                    for (jj, s) in row.iter().enumerate() {
                        let mut sum = hsum(*s);
                        for q in vec_k..k {
                            sum += *a.add((i + ii) * k + q) * *b.add((j + jj) * k + q);
                        }
                        let out = c.add((i + ii) * ldc + j + jj);
                        *out = if beta == 0.0 { sum } else { sum + beta * *out };
                    }
                }
            }

            /// # Safety
            /// Requires the instruction set named in `$feat`, and buffers of at least m*k, n*k
            /// and m*n elements.
            #[target_feature(enable = $feat)]
            pub unsafe fn gemm_abt(
                m: usize,
                n: usize,
                k: usize,
                a: &[f32],
                b: &[f32],
                c: &mut [f32],
                beta: f32,
            ) {
                let (ap, bp, cp) = (a.as_ptr(), b.as_ptr(), c.as_mut_ptr());
                // Column blocks of B (4 rows of weights, a few KB) stay in L1 while every row
                // of A passes over them.
                let mut j = 0;
                while j < n {
                    let nr = (n - j).min(4);
                    let mut i = 0;
                    while i < m {
                        let mr = (m - i).min(4);
                        let args = (k, ap, bp, cp, n, i, j, beta);
                        match (mr, nr) {
                            (4, 4) => tile::<4, 4>(
                                args.0, args.1, args.2, args.3, args.4, args.5, args.6, args.7,
                            ),
                            (4, 3) => tile::<4, 3>(
                                args.0, args.1, args.2, args.3, args.4, args.5, args.6, args.7,
                            ),
                            (4, 2) => tile::<4, 2>(
                                args.0, args.1, args.2, args.3, args.4, args.5, args.6, args.7,
                            ),
                            (4, 1) => tile::<4, 1>(
                                args.0, args.1, args.2, args.3, args.4, args.5, args.6, args.7,
                            ),
                            (3, 4) => tile::<3, 4>(
                                args.0, args.1, args.2, args.3, args.4, args.5, args.6, args.7,
                            ),
                            (3, 3) => tile::<3, 3>(
                                args.0, args.1, args.2, args.3, args.4, args.5, args.6, args.7,
                            ),
                            (3, 2) => tile::<3, 2>(
                                args.0, args.1, args.2, args.3, args.4, args.5, args.6, args.7,
                            ),
                            (3, 1) => tile::<3, 1>(
                                args.0, args.1, args.2, args.3, args.4, args.5, args.6, args.7,
                            ),
                            (2, 4) => tile::<2, 4>(
                                args.0, args.1, args.2, args.3, args.4, args.5, args.6, args.7,
                            ),
                            (2, 3) => tile::<2, 3>(
                                args.0, args.1, args.2, args.3, args.4, args.5, args.6, args.7,
                            ),
                            (2, 2) => tile::<2, 2>(
                                args.0, args.1, args.2, args.3, args.4, args.5, args.6, args.7,
                            ),
                            (2, 1) => tile::<2, 1>(
                                args.0, args.1, args.2, args.3, args.4, args.5, args.6, args.7,
                            ),
                            (1, 4) => tile::<1, 4>(
                                args.0, args.1, args.2, args.3, args.4, args.5, args.6, args.7,
                            ),
                            (1, 3) => tile::<1, 3>(
                                args.0, args.1, args.2, args.3, args.4, args.5, args.6, args.7,
                            ),
                            (1, 2) => tile::<1, 2>(
                                args.0, args.1, args.2, args.3, args.4, args.5, args.6, args.7,
                            ),
                            _ => tile::<1, 1>(
                                args.0, args.1, args.2, args.3, args.4, args.5, args.6, args.7,
                            ),
                        }
                        i += 4;
                    }
                    j += 4;
                }
            }
        }
    };
}

abt_kernel!(
    avx512,
    "avx512f",
    __m512,
    16,
    _mm512_setzero_ps,
    _mm512_loadu_ps,
    _mm512_fmadd_ps,
    |v| _mm512_reduce_add_ps(v)
);
abt_kernel!(
    avx2,
    "avx2,fma",
    __m256,
    8,
    _mm256_setzero_ps,
    _mm256_loadu_ps,
    _mm256_fmadd_ps,
    |v| {
        let s = _mm_add_ps(_mm256_extractf128_ps::<1>(v), _mm256_castps256_ps128(v));
        let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
        let s = _mm_add_ss(s, _mm_shuffle_ps::<1>(s, s));
        _mm_cvtss_f32(s)
    }
);

/// Row-major transpose: (rows x cols) -> (cols x rows).
pub fn transpose(src: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    let mut out = vec![0.0f32; rows * cols];
    for r in 0..rows {
        for (c, &v) in src[r * cols..(r + 1) * cols].iter().enumerate() {
            out[c * rows + r] = v;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_naive_product_for_all_edge_shapes() {
        for &(m, n, k) in &[
            (1, 1, 8),
            (3, 5, 9),
            (4, 4, 64),
            (7, 6, 77),
            (32, 130, 67),
            (5, 3, 128),
            (2, 9, 3),
            (9, 17, 200),
        ] {
            let a: Vec<f32> = (0..m * k)
                .map(|i| ((i * 7 % 13) as f32 - 6.0) * 0.1)
                .collect();
            let b: Vec<f32> = (0..n * k)
                .map(|i| ((i * 5 % 11) as f32 - 5.0) * 0.1)
                .collect();
            for beta in [0.0f32, 1.0] {
                let init: Vec<f32> = (0..m * n).map(|i| i as f32 * 0.01).collect();
                let mut c = init.clone();
                gemm_abt(m, n, k, &a, &b, &mut c, beta);
                for i in 0..m {
                    for j in 0..n {
                        let want: f32 = (0..k).map(|p| a[i * k + p] * b[j * k + p]).sum::<f32>()
                            + beta * init[i * n + j];
                        let got = c[i * n + j];
                        assert!(
                            (got - want).abs() <= 1e-4 * want.abs().max(1.0),
                            "{m}x{n}x{k} beta {beta} [{i},{j}]: {got} vs {want}"
                        );
                    }
                }
            }
        }
    }
}
