//! Row-major transposes of 4-byte values: float32 (a weight W^T) and bf16 pairs (a weight
//! gradient's dG^T packed for AMX tiles, `gemm_bf16.rs`). With AVX-512, blocks of 16 x 16 go
//! through registers: each source line is loaded once and each output line stored whole,
//! instead of one scalar load and store per value down a column of the source.

/// (rows x cols) -> (cols x rows).
pub fn transpose(src: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    let mut out = vec![0.0f32; rows * cols];
    transpose_into(src, rows, cols, &mut out);
    out
}

/// `transpose` into `out` (rows * cols values, every one written), for any plain 4-byte values
/// (f32, bf16 pairs as u32).
pub fn transpose_into<T: Copy>(src: &[T], rows: usize, cols: usize, out: &mut [T]) {
    const { assert!(std::mem::size_of::<T>() == 4) };
    assert!(
        src.len() >= rows * cols && out.len() >= rows * cols,
        "transpose: buffer too small"
    );
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f") {
        // SAFETY: AVX-512F is present; both buffers hold rows * cols values of 4 bytes, which
        // the kernel copies bit for bit (T is Copy, so any copy of a value is a valid value).
        unsafe {
            avx512::transpose_words(
                src.as_ptr() as *const u32,
                rows,
                cols,
                out.as_mut_ptr() as *mut u32,
            )
        };
        return;
    }
    transpose_scalar(src, rows, cols, 0, 0, out);
}

/// The values from row `r_from` or column `c_from` on (the rest is done): each output row
/// written in runs of 16 contiguous values gathered down a column of the source (square blocks
/// written column-wise instead sent every store of a block to one cache set, 4x slower at
/// 2048 x 512).
fn transpose_scalar<T: Copy>(
    src: &[T],
    rows: usize,
    cols: usize,
    r_from: usize,
    c_from: usize,
    out: &mut [T],
) {
    const RUN: usize = 16;
    for c0 in (0..cols).step_by(RUN) {
        for r0 in (0..rows).step_by(RUN) {
            let r1 = (r0 + RUN).min(rows);
            for c in c0..(c0 + RUN).min(cols) {
                let r_start = if c < c_from { r_from.max(r0) } else { r0 };
                if r_start >= r1 {
                    continue;
                }
                for (i, o) in out[c * rows + r_start..c * rows + r1]
                    .iter_mut()
                    .enumerate()
                {
                    *o = src[(r_start + i) * cols + c];
                }
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
pub(crate) mod avx512 {
    use std::arch::x86_64::*;

    /// Whole 16 x 16 blocks in registers, the ragged right and bottom edges by the scalar loop.
    ///
    /// # Safety
    /// AVX-512F; `src` and `out` hold rows * cols values.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn transpose_words(src: *const u32, rows: usize, cols: usize, out: *mut u32) {
        let (r_full, c_full) = (rows / 16 * 16, cols / 16 * 16);
        // Output rows in order: each block stores 16 lines, one in each of 16 output rows.
        for c0 in (0..c_full).step_by(16) {
            for r0 in (0..r_full).step_by(16) {
                block(src.add(r0 * cols + c0), cols, out.add(c0 * rows + r0), rows);
            }
        }
        if r_full < rows || c_full < cols {
            let src = std::slice::from_raw_parts(src, rows * cols);
            let out = std::slice::from_raw_parts_mut(out, rows * cols);
            super::transpose_scalar(src, rows, cols, r_full, c_full, out);
        }
    }

    /// One 16 x 16 block from memory to memory.
    #[target_feature(enable = "avx512f")]
    #[inline]
    unsafe fn block(src: *const u32, ld_src: usize, out: *mut u32, ld_out: usize) {
        let mut r = [_mm512_setzero_si512(); 16];
        for (i, v) in r.iter_mut().enumerate() {
            *v = _mm512_loadu_si512(src.add(i * ld_src) as *const __m512i);
        }
        for (i, v) in transpose_16x16(&r).into_iter().enumerate() {
            _mm512_storeu_si512(out.add(i * ld_out) as *mut __m512i, v);
        }
    }

    /// Sixteen vectors of 16 values (rows) as the 16 vectors of its columns: three rounds of 16
    /// shuffles (32-bit, 64-bit, then 128-bit lanes twice over).
    ///
    /// # Safety
    /// AVX-512F.
    #[target_feature(enable = "avx512f")]
    #[inline]
    pub(crate) unsafe fn transpose_16x16(r: &[__m512i; 16]) -> [__m512i; 16] {
        // t[2i], t[2i + 1]: rows 2i and 2i + 1 interleaved, columns 4L + (0, 1) and 4L + (2, 3)
        // of each 128-bit lane L.
        let mut t = [_mm512_setzero_si512(); 16];
        for i in 0..8 {
            t[2 * i] = _mm512_unpacklo_epi32(r[2 * i], r[2 * i + 1]);
            t[2 * i + 1] = _mm512_unpackhi_epi32(r[2 * i], r[2 * i + 1]);
        }
        // u[4g + c]: in lane L, column 4L + c of rows 4g..4g + 4.
        let mut u = [_mm512_setzero_si512(); 16];
        for g in 0..4 {
            let (lo, hi) = (t[4 * g], t[4 * g + 2]);
            let (lo2, hi2) = (t[4 * g + 1], t[4 * g + 3]);
            u[4 * g] = _mm512_unpacklo_epi64(lo, hi);
            u[4 * g + 1] = _mm512_unpackhi_epi64(lo, hi);
            u[4 * g + 2] = _mm512_unpacklo_epi64(lo2, hi2);
            u[4 * g + 3] = _mm512_unpackhi_epi64(lo2, hi2);
        }
        // Column 4L + c is lane L of u[c], u[4 + c], u[8 + c], u[12 + c]: gather lanes (0, 2)
        // and (1, 3) of each pair, then lane L of all four.
        const EVEN: i32 = 0b10_00_10_00;
        const ODD: i32 = 0b11_01_11_01;
        let mut columns = [_mm512_setzero_si512(); 16];
        for c in 0..4 {
            let even_lo = _mm512_shuffle_i32x4::<EVEN>(u[c], u[4 + c]);
            let even_hi = _mm512_shuffle_i32x4::<EVEN>(u[8 + c], u[12 + c]);
            let odd_lo = _mm512_shuffle_i32x4::<ODD>(u[c], u[4 + c]);
            let odd_hi = _mm512_shuffle_i32x4::<ODD>(u[8 + c], u[12 + c]);
            columns[c] = _mm512_shuffle_i32x4::<EVEN>(even_lo, even_hi);
            columns[8 + c] = _mm512_shuffle_i32x4::<ODD>(even_lo, even_hi);
            columns[4 + c] = _mm512_shuffle_i32x4::<EVEN>(odd_lo, odd_hi);
            columns[12 + c] = _mm512_shuffle_i32x4::<ODD>(odd_lo, odd_hi);
        }
        columns
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transposes_every_shape_around_the_block() {
        // Whole blocks, ragged edges on either side or both, fewer than a block, one value.
        for &(rows, cols) in &[
            (1, 1),
            (3, 70),
            (33, 32),
            (64, 5),
            (16, 16),
            (48, 80),
            (50, 37),
            (17, 31),
        ] {
            let src: Vec<u32> = (0..rows * cols).map(|i| i as u32 * 7 + 1).collect();
            let mut t = vec![0u32; rows * cols];
            transpose_into(&src, rows, cols, &mut t);
            let f: Vec<f32> = src.iter().map(|&v| v as f32).collect();
            let tf = transpose(&f, rows, cols);
            for r in 0..rows {
                for c in 0..cols {
                    let want = src[r * cols + c];
                    assert_eq!(t[c * rows + r], want, "{rows}x{cols} [{r}, {c}]");
                    assert_eq!(
                        tf[c * rows + r],
                        want as f32,
                        "f32 {rows}x{cols} [{r}, {c}]"
                    );
                }
            }
        }
    }

    #[test]
    fn the_scalar_loop_fills_only_the_edges_it_is_given() {
        let (rows, cols) = (20, 19);
        let src: Vec<u32> = (0..rows * cols).map(|i| i as u32 + 1).collect();
        let mut whole = vec![0u32; rows * cols];
        transpose_scalar(&src, rows, cols, 0, 0, &mut whole);
        let mut t = vec![0u32; rows * cols];
        transpose_scalar(&src, rows, cols, 16, 16, &mut t);
        for r in 0..rows {
            for c in 0..cols {
                let edge = r >= 16 || c >= 16;
                let want = if edge { src[r * cols + c] } else { 0 };
                assert_eq!(t[c * rows + r], want, "[{r}, {c}]");
                assert_eq!(whole[c * rows + r], src[r * cols + c], "whole [{r}, {c}]");
            }
        }
    }
}
