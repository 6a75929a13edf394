//! reduce_index.cu: sums over one dimension (in the CPU's order, so bit-equal), index_select,
//! and index_add_ with repeated indices.

mod common;

use common::values;
use seqtorch_kernel_check::{emulate, grids, kernels as k};

/// (outer, size, inner) cases: a middle dimension, the first, the last, and a size of one.
const SHAPES: [(usize, usize, usize); 4] = [(3, 5, 4), (1, 7, 6), (6, 9, 1), (4, 1, 3)];

#[test]
fn sum_dim_adds_in_order() {
    for (outer, size, inner) in SHAPES {
        let x = values(outer * size * inner, 1, 5.0);
        let xi: Vec<i64> = (0..x.len() as i64)
            .map(|v| v.wrapping_mul(i64::MAX / 7))
            .collect();
        let mut want = vec![0.0f32; outer * inner];
        let mut want_i = vec![0i64; outer * inner];
        for o in 0..outer {
            for i in 0..inner {
                for s in 0..size {
                    want[o * inner + i] += x[(o * size + s) * inner + i];
                    want_i[o * inner + i] =
                        want_i[o * inner + i].wrapping_add(xi[(o * size + s) * inner + i]);
                }
            }
        }
        let dims = (outer as u64, size as u64, inner as u64);
        for (grid, block) in grids(outer * inner) {
            let mut out = vec![f32::NAN; outer * inner];
            emulate(grid, block, || unsafe {
                k::sum_dim_f32(out.as_mut_ptr(), x.as_ptr(), dims.0, dims.1, dims.2)
            });
            assert_eq!(out, want, "sum_dim_f32 {dims:?}");
            let mut out = vec![0i64; outer * inner];
            emulate(grid, block, || unsafe {
                k::sum_dim_i64(out.as_mut_ptr(), xi.as_ptr(), dims.0, dims.1, dims.2)
            });
            assert_eq!(out, want_i, "sum_dim_i64 {dims:?}");
        }
    }
}

#[test]
fn index_select_picks_along_the_dimension() {
    for (outer, size, inner) in SHAPES {
        let x = values(outer * size * inner, 2, 5.0);
        let xi: Vec<i64> = (0..x.len() as i64).map(|v| v - 40).collect();
        // Repeats and reversed order, every index valid.
        let index: Vec<u64> = (0..size + 2)
            .map(|p| ((size + 2 - p) * 3 % size) as u64)
            .collect();
        let picks = index.len();
        let n = outer * picks * inner;
        let at = |o: usize, p: usize, i: usize| (o * size + index[p] as usize) * inner + i;
        let mut want = Vec::with_capacity(n);
        let mut want_i = Vec::with_capacity(n);
        for o in 0..outer {
            for p in 0..picks {
                for i in 0..inner {
                    want.push(x[at(o, p, i)]);
                    want_i.push(xi[at(o, p, i)]);
                }
            }
        }
        let dims = (outer as u64, size as u64, picks as u64, inner as u64);
        for (grid, block) in grids(n) {
            let mut out = vec![f32::NAN; n];
            emulate(grid, block, || unsafe {
                k::index_select_f32(
                    out.as_mut_ptr(),
                    x.as_ptr(),
                    index.as_ptr(),
                    dims.0,
                    dims.1,
                    dims.2,
                    dims.3,
                )
            });
            assert_eq!(out, want, "index_select_f32 {dims:?}");
            let mut out = vec![0i64; n];
            emulate(grid, block, || unsafe {
                k::index_select_i64(
                    out.as_mut_ptr(),
                    xi.as_ptr(),
                    index.as_ptr(),
                    dims.0,
                    dims.1,
                    dims.2,
                    dims.3,
                )
            });
            assert_eq!(out, want_i, "index_select_i64 {dims:?}");
        }
    }
}

#[test]
fn index_add_sums_repeated_indices() {
    for (outer, size, inner) in SHAPES {
        let base = values(outer * size * inner, 3, 1.0);
        let index: Vec<u64> = (0..2 * size).map(|p| (p * 5 % size) as u64).collect();
        let picks = index.len();
        let src = values(outer * picks * inner, 4, 2.0);
        let mut want: Vec<f64> = base.iter().map(|&v| v as f64).collect();
        for o in 0..outer {
            for p in 0..picks {
                for i in 0..inner {
                    want[(o * size + index[p] as usize) * inner + i] +=
                        src[(o * picks + p) * inner + i] as f64;
                }
            }
        }
        let dims = (outer as u64, size as u64, picks as u64, inner as u64);
        for (grid, block) in grids(outer * picks * inner) {
            let mut dst = base.clone();
            emulate(grid, block, || unsafe {
                k::index_add_f32(
                    dst.as_mut_ptr(),
                    src.as_ptr(),
                    index.as_ptr(),
                    dims.0,
                    dims.1,
                    dims.2,
                    dims.3,
                )
            });
            common::close(&format!("index_add_f32 {dims:?}"), &dst, &want, 1e-6);
        }
    }
}
