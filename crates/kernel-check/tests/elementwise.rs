//! elementwise.cu: every unary and binary op code, the strided (transposed, offset, broadcast)
//! reads, dtype conversions with Rust's saturating casts, scatters and fills, against Rust's
//! own float and integer arithmetic (what the CPU kernels compute).

mod common;

use common::{close, values};
use seqtorch_kernel_check::{contiguous_strides, emulate, grids, kernels as k, layout, StLayout};

/// Values with the special cases every unary op must treat like the CPU: NaN, infinities,
/// signed zeros, negatives (log, sqrt), and ordinary numbers.
/// Two leading fillers: the strided view below starts at element 2.
fn specials() -> Vec<f32> {
    let mut v = vec![
        0.25,
        0.25,
        f32::NAN,
        f32::INFINITY,
        f32::NEG_INFINITY,
        0.0,
        -0.0,
        -1.5,
        2.0,
        1e-30,
    ];
    v.extend(values(16, 1, 4.0));
    v
}

/// The elements of `data` a layout addresses, in row-major order (the CPU's gather).
fn gathered<T: Copy>(data: &[T], l: &StLayout) -> Vec<T> {
    let n: u64 = l.shape[..l.ndim as usize].iter().product();
    (0..n)
        .map(|mut i| {
            let mut off = l.offset;
            for d in (0..l.ndim as usize).rev() {
                off += (i % l.shape[d]) * l.strides[d];
                i /= l.shape[d];
            }
            data[off as usize]
        })
        .collect()
}

/// A transposed view with an offset: [4, 6] read from a [6, 4] block starting at element 2.
fn transposed() -> StLayout {
    layout(2, &[4, 6], &[1, 4])
}

fn unary_reference(op: i32, arg: f32, v: f32) -> f32 {
    match op {
        0 => -v,
        1 => v.exp(),
        2 => v.ln(),
        3 => 1.0 / (1.0 + (-v).exp()),
        4 => v.tanh(),
        5 => {
            if v < 0.0 {
                0.0
            } else {
                v
            }
        }
        6 => v.sin(),
        7 => v.cos(),
        8 => v.abs(),
        9 => {
            if v > 0.0 {
                1.0
            } else if v < 0.0 {
                -1.0
            } else {
                0.0
            }
        }
        10 => v.sqrt(),
        11 => v * v,
        12 => v.powf(arg),
        13 => f32::from(u8::from(v == arg || (v.is_nan() && arg.is_nan()))),
        14 if arg.is_nan() || v < arg => arg,
        15 if arg.is_nan() || v > arg => arg,
        14 | 15 => v,
        16 => f32::from(u8::from(v > arg)),
        _ => f32::from(u8::from(v < arg)),
    }
}

#[test]
fn unary_f32_every_op_over_a_strided_view() {
    let mut data = specials();
    data.resize(2 + 24, 0.75);
    let l = transposed();
    let x = gathered(&data, &l);
    for (op, arg) in [
        (0, 0.0),
        (1, 0.0),
        (2, 0.0),
        (3, 0.0),
        (4, 0.0),
        (5, 0.0),
        (6, 0.0),
        (7, 0.0),
        (8, 0.0),
        (9, 0.0),
        (10, 0.0),
        (11, 0.0),
        (12, 2.5),
        (12, -1.0),
        (13, 2.0),
        (13, f32::NAN),
        (14, -0.5),
        (14, 0.0),
        (14, f32::NAN),
        (15, 0.75),
        (15, 0.0),
        (15, f32::NEG_INFINITY),
        (15, f32::NAN),
        (16, 0.0),
        (16, f32::NAN),
        (17, 0.75),
        (17, f32::INFINITY),
    ] {
        let want: Vec<f64> = x
            .iter()
            .map(|&v| unary_reference(op, arg, v) as f64)
            .collect();
        for (grid, block) in grids(x.len()) {
            let mut out = vec![f32::NAN; x.len()];
            emulate(grid, block, || unsafe {
                k::unary_f32(out.as_mut_ptr(), data.as_ptr(), l, x.len() as u64, op, arg)
            });
            close(&format!("unary op {op} ({arg})"), &out, &want, 1e-6);
        }
    }
}

#[test]
fn unary_i64_wraps_like_rust() {
    let data = [i64::MIN, -7, -1, 0, 1, 9, i64::MAX];
    let l = layout(0, &[7], &[1]);
    for op in [0, 8, 5, 9] {
        let want: Vec<i64> = data
            .iter()
            .map(|&v| match op {
                0 => v.wrapping_neg(),
                8 => v.wrapping_abs(),
                5 => v.max(0),
                _ => v.signum(),
            })
            .collect();
        for (grid, block) in grids(7) {
            let mut out = vec![42i64; 7];
            emulate(grid, block, || unsafe {
                k::unary_i64(out.as_mut_ptr(), data.as_ptr(), l, 7, op)
            });
            assert_eq!(out, want, "unary_i64 op {op}");
        }
    }
}

#[test]
fn binary_f32_every_op_with_broadcasting() {
    // a: [2, 3, 4] contiguous; b: a [3] vector broadcast along dims 0 and 2 (stride 0).
    let a_data = values(24, 2, 3.0);
    let mut b_data = values(3, 3, 0.9);
    b_data[1] = 0.0; // relu_backward's edge and a zero divisor
    let la = layout(0, &[2, 3, 4], &contiguous_strides(&[2, 3, 4]));
    let lb = layout(0, &[2, 3, 4], &[0, 1, 0]);
    let (a, b) = (gathered(&a_data, &la), gathered(&b_data, &lb));
    for op in 0..7 {
        let want: Vec<f64> = a
            .iter()
            .zip(&b)
            .map(|(&x, &y)| {
                (match op {
                    0 => x + y,
                    1 => x - y,
                    2 => x * y,
                    3 => x / y,
                    4 => x * y * (1.0 - y),
                    5 => x * (1.0 - y * y),
                    _ => {
                        if y <= 0.0 {
                            0.0
                        } else {
                            x
                        }
                    }
                }) as f64
            })
            .collect();
        for (grid, block) in grids(24) {
            let mut out = vec![f32::NAN; 24];
            emulate(grid, block, || unsafe {
                k::binary_f32(
                    out.as_mut_ptr(),
                    a_data.as_ptr(),
                    la,
                    b_data.as_ptr(),
                    lb,
                    24,
                    op,
                )
            });
            close(&format!("binary op {op}"), &out, &want, 1e-6);
        }
    }
}

#[test]
fn binary_i64_wraps_like_rust() {
    let a = [i64::MAX, i64::MIN, 3, -4];
    let b = [1i64, 1, -5, 1 << 62];
    let l = layout(0, &[4], &[1]);
    for op in 0..3 {
        let want: Vec<i64> = a
            .iter()
            .zip(&b)
            .map(|(&x, &y)| match op {
                0 => x.wrapping_add(y),
                1 => x.wrapping_sub(y),
                _ => x.wrapping_mul(y),
            })
            .collect();
        let mut out = vec![0i64; 4];
        emulate(3, 7, || unsafe {
            k::binary_i64(out.as_mut_ptr(), a.as_ptr(), l, b.as_ptr(), l, 4, op)
        });
        assert_eq!(out, want, "binary_i64 op {op}");
    }
}

#[test]
fn gathers_and_conversions_match_rust_casts() {
    let l = transposed();
    let mut f = specials();
    f.extend([1e19, -1e19, 123.9, -123.9]);
    f.resize(26, 0.5);
    let ints: Vec<i64> = (0..26).map(|i| (i as i64 - 13) * 1_000_000_007).collect();
    for (grid, block) in grids(24) {
        let mut out = vec![f32::NAN; 24];
        emulate(grid, block, || unsafe {
            k::gather_f32(out.as_mut_ptr(), f.as_ptr(), l, 24)
        });
        assert_eq!(
            out.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            gathered(&f, &l)
                .iter()
                .map(|v| v.to_bits())
                .collect::<Vec<_>>(),
            "gather_f32"
        );
        let mut out = vec![0i64; 24];
        emulate(grid, block, || unsafe {
            k::gather_i64(out.as_mut_ptr(), ints.as_ptr(), l, 24)
        });
        assert_eq!(out, gathered(&ints, &l), "gather_i64");
        // Rust's `as`: NaN -> 0, out of range -> the nearest end, toward zero otherwise.
        let mut out = vec![7i64; 24];
        emulate(grid, block, || unsafe {
            k::f32_to_i64(out.as_mut_ptr(), f.as_ptr(), l, 24)
        });
        let want: Vec<i64> = gathered(&f, &l).iter().map(|&v| v as i64).collect();
        assert_eq!(out, want, "f32_to_i64");
        let mut out = vec![f32::NAN; 24];
        emulate(grid, block, || unsafe {
            k::i64_to_f32(out.as_mut_ptr(), ints.as_ptr(), l, 24)
        });
        let want: Vec<f32> = gathered(&ints, &l).iter().map(|&v| v as f32).collect();
        assert_eq!(out, want, "i64_to_f32");
    }
}

#[test]
fn scatters_write_and_accumulate_into_strided_destinations() {
    let l = transposed();
    let src = values(24, 4, 2.0);
    let base = values(26, 5, 1.0);
    for accumulate in [0, 1] {
        let mut want = base.clone();
        // Destination offsets in row-major order of the view.
        let offsets = gathered(&(0..26).collect::<Vec<usize>>(), &l);
        for (i, &o) in offsets.iter().enumerate() {
            want[o] = if accumulate == 1 {
                want[o] + src[i]
            } else {
                src[i]
            };
        }
        for (grid, block) in grids(24) {
            let mut dst = base.clone();
            emulate(grid, block, || unsafe {
                k::scatter_f32(dst.as_mut_ptr(), l, src.as_ptr(), 24, accumulate)
            });
            assert_eq!(dst, want, "scatter_f32 (accumulate {accumulate})");
        }
    }
    let src: Vec<i64> = (0..24).map(|i| i * 3 - 20).collect();
    let mut dst = vec![0i64; 26];
    emulate(3, 7, || unsafe {
        k::scatter_i64(dst.as_mut_ptr(), l, src.as_ptr(), 24)
    });
    let offsets = gathered(&(0..26).collect::<Vec<usize>>(), &l);
    for (i, &o) in offsets.iter().enumerate() {
        assert_eq!(dst[o], src[i], "scatter_i64 at {o}");
    }
    assert_eq!(
        (dst[0], dst[1]),
        (0, 0),
        "scatter_i64 wrote outside the view"
    );
}

#[test]
fn fills_write_every_element() {
    for (grid, block) in grids(1000) {
        let mut f = vec![0.0f32; 1000];
        emulate(grid, block, || unsafe {
            k::fill_f32(f.as_mut_ptr(), -2.5, 1000)
        });
        assert!(f.iter().all(|&v| v == -2.5));
        let mut i = vec![0i64; 1000];
        emulate(grid, block, || unsafe {
            k::fill_i64(i.as_mut_ptr(), i64::MIN, 1000)
        });
        assert!(i.iter().all(|&v| v == i64::MIN));
    }
}
