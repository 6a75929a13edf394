//! Branch-free exp, sigmoid and tanh that the compiler vectorises (the C library's versions
//! are scalar calls and dominated the recurrent step). Error bounds, checked by the tests
//! below over a dense grid against float64, with and without fused multiply-adds: exp
//! relative error <= 3e-7; sigmoid absolute error <= 1.5e-7; tanh absolute error <= 2e-7 and
//! relative error <= 3e-6 where |tanh| > 1e-3.
//!
//! The recurrent gate kernels use `tanh_rational` instead of `tanh`: a third of the
//! instructions, absolute error <= 4e-7 (a few float32 steps near +-1), relative error <= 4e-7
//! everywhere.
//!
//! The polynomials are written with an explicit multiply-add strategy: Rust never contracts
//! `a * b + c` into one instruction, and the separate multiply and add made the LSTM's gate math
//! a third slower on AVX-512 (bench/NOTES.md). Code compiled for FMA instructions uses
//! [`Fused`]; code that may run without them uses [`Portable`] (on x86-64 without FMA a fused
//! `mul_add` is a library call per element).

/// How `a * b + c` is computed inside the activation polynomials.
pub trait MulAdd {
    fn mul_add(a: f32, b: f32, c: f32) -> f32;
}

/// One fused multiply-add instruction (a single rounding). Only for code compiled with FMA
/// instructions available (the `dispatch!` AVX2+FMA and AVX-512 bodies, or aarch64).
pub struct Fused;

impl MulAdd for Fused {
    #[inline(always)]
    fn mul_add(a: f32, b: f32, c: f32) -> f32 {
        a.mul_add(b, c)
    }
}

/// A multiply then an add (two roundings): cheap on every processor.
pub struct Separate;

impl MulAdd for Separate {
    #[inline(always)]
    fn mul_add(a: f32, b: f32, c: f32) -> f32 {
        a * b + c
    }
}

/// The strategy for code compiled for the target's baseline: fused where the baseline has the
/// instruction (aarch64, or an x86-64 build that enables FMA), separate otherwise.
#[cfg(any(target_arch = "aarch64", target_feature = "fma"))]
pub type Portable = Fused;
#[cfg(not(any(target_arch = "aarch64", target_feature = "fma")))]
pub type Portable = Separate;

const LOG2E: f32 = std::f32::consts::LOG2_E;
/// ln 2 split so `n * LN2_HI` is exact for the |n| <= 127 used here.
const LN2_HI: f32 = 0.693_359_4;
const LN2_LO: f32 = -2.121_944_4e-4;
/// Adding and subtracting 1.5 * 2^23 rounds a float to the nearest integer.
const ROUND: f32 = 12_582_912.0;

/// e^x for x in [-87, 88] (arguments outside are clamped; results stay finite).
#[inline(always)]
pub fn exp<M: MulAdd>(x: f32) -> f32 {
    let x = x.clamp(-87.0, 88.0);
    let k = M::mul_add(x, LOG2E, ROUND);
    let n = k - ROUND;
    let r = M::mul_add(-n, LN2_LO, M::mul_add(-n, LN2_HI, x));
    // Minimax polynomial for e^r on [-ln2/2, ln2/2] (Cephes coefficients).
    let mut p = 1.987_569_2e-4f32;
    p = M::mul_add(p, r, 1.398_2e-3);
    p = M::mul_add(p, r, 8.333_452e-3);
    p = M::mul_add(p, r, 4.166_579_6e-2);
    p = M::mul_add(p, r, 1.666_666_5e-1);
    p = M::mul_add(p, r, 0.5);
    let e = M::mul_add(p * r, r, r) + 1.0;
    // 2^n from the integer that the rounding left in k's low mantissa bits.
    let n_int = (k.to_bits() as i32).wrapping_sub(0x4B40_0000);
    e * f32::from_bits(((n_int + 127) as u32) << 23)
}

#[inline(always)]
pub fn sigmoid<M: MulAdd>(x: f32) -> f32 {
    1.0 / (1.0 + exp::<M>(-x))
}

#[inline(always)]
pub fn tanh<M: MulAdd>(x: f32) -> f32 {
    let a = x.abs();
    let e = exp::<M>(-2.0 * a);
    let big = (1.0 - e) / (1.0 + e);
    // Near zero the quotient loses relative precision: use the Taylor series there.
    let x2 = x * x;
    let small = M::mul_add(x2, -17.0 / 315.0, 2.0 / 15.0);
    let small = a * M::mul_add(x2, M::mul_add(x2, small, -1.0 / 3.0), 1.0);
    let t = if a < 0.0625 { small } else { big };
    t.copysign(x)
}

/// Where float32's tanh has reached +-1 (tanh 9 = 1 - 3e-8): `tanh_rational`'s inputs are
/// clamped to it.
const TANH_LIMIT: f32 = 9.0;

/// tanh as x P(x^2) / Q(x^2), a rational minimax fit on [0, 9] (`tools/fit_tanh.py`: largest
/// relative error 2e-8 in float64; the float32 arithmetic brings it to 3.1e-7 with fused
/// multiply-adds, 3.5e-7 without). No exp and no branch: about 15 vector instructions where
/// `tanh` takes 45, which made the LSTM's gate math 27-35% faster on Zen 3 (bench/NOTES.md).
/// Odd by construction, exact at 0 and +-1 beyond the fit, accurate relative to the result
/// near 0 (x P / Q -> x), and NaN stays NaN (the clamps keep it).
#[inline(always)]
pub fn tanh_rational<M: MulAdd>(x: f32) -> f32 {
    let x = x.clamp(-TANH_LIMIT, TANH_LIMIT);
    let u = x * x;
    let mut p = 1.335_465_3e-8f32;
    p = M::mul_add(p, u, 2.060_907_5e-5);
    p = M::mul_add(p, u, 3.495_587_5e-3);
    p = M::mul_add(p, u, 0.133_810_25);
    p = M::mul_add(p, u, 1.0);
    let mut q = 7.776_554_3e-7f32;
    q = M::mul_add(q, u, 3.285_634_2e-4);
    q = M::mul_add(q, u, 2.587_698e-2);
    q = M::mul_add(q, u, 0.467_143_42);
    q = M::mul_add(q, u, 1.0);
    // At the clamp the quotient rounds to about 1 + 1 ulp: clamped to +-1 exactly, as PyTorch
    // saturates.
    (x * p / q).clamp(-1.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid() -> impl Iterator<Item = f32> {
        (-200_000..=200_000)
            .map(|i| i as f32 * 1e-4)
            .chain((-1000..=1000).map(|i| i as f32 * 0.1))
    }

    fn exp_relative_error<M: MulAdd>() {
        for x in grid().filter(|x| x.abs() < 80.0) {
            let want = (x as f64).exp();
            let rel = ((exp::<M>(x) as f64 - want) / want).abs();
            assert!(rel <= 3e-7, "exp({x}): rel error {rel}");
        }
    }

    #[test]
    fn exp_relative_error_fused_and_separate() {
        exp_relative_error::<Fused>();
        exp_relative_error::<Separate>();
    }

    fn tanh_rational_error_bounds<M: MulAdd>() {
        let tanh = tanh_rational::<M>;
        for x in grid() {
            let t = (x as f64).tanh();
            let got = tanh(x) as f64;
            assert!((got - t).abs() <= 4e-7, "tanh_rational({x}): {got} vs {t}");
            if t != 0.0 {
                assert!(((got - t) / t).abs() <= 4e-7, "tanh_rational({x}) relative");
            }
            assert_eq!(tanh(-x), -tanh(x), "odd at {x}");
        }
        // Near 0, where 1 - e^-2x would cancel: relative accuracy down to the smallest inputs.
        for i in 1..=1000 {
            let x = i as f32 * 1e-7;
            let t = (x as f64).tanh();
            assert!(
                ((tanh(x) as f64 - t) / t).abs() <= 2e-7,
                "tanh_rational({x}) near 0"
            );
        }
        assert_eq!(tanh(0.0), 0.0);
        for x in [TANH_LIMIT, 9.5, 100.0, f32::INFINITY] {
            assert_eq!((tanh(x), tanh(-x)), (1.0, -1.0), "saturated at {x}");
        }
        assert!(tanh(f32::NAN).is_nan());
    }

    #[test]
    fn tanh_rational_error_bounds_fused_and_separate() {
        tanh_rational_error_bounds::<Fused>();
        tanh_rational_error_bounds::<Separate>();
    }

    #[test]
    fn sigmoid_and_tanh_error_bounds_fused_and_separate() {
        sigmoid_and_tanh_error_bounds::<Fused>();
        sigmoid_and_tanh_error_bounds::<Separate>();
    }

    fn sigmoid_and_tanh_error_bounds<M: MulAdd>() {
        let (sigmoid, tanh) = (sigmoid::<M>, tanh::<M>);
        for x in grid() {
            let s = 1.0 / (1.0 + (-(x as f64)).exp());
            assert!((sigmoid(x) as f64 - s).abs() <= 1.5e-7, "sigmoid({x})");
            let t = (x as f64).tanh();
            let got = tanh(x) as f64;
            assert!((got - t).abs() <= 2e-7, "tanh({x}): {got} vs {t}");
            if t.abs() > 1e-3 {
                assert!(((got - t) / t).abs() <= 3e-6, "tanh({x}) relative");
            }
        }
        assert_eq!(tanh(0.0), 0.0);
        assert_eq!(tanh(100.0), 1.0);
        assert_eq!(tanh(-100.0), -1.0);
        assert_eq!(sigmoid(-200.0), 0.0f32.max(sigmoid(-200.0)));
        assert!(sigmoid(200.0) == 1.0 && sigmoid(-200.0) < 1e-37);
    }
}
