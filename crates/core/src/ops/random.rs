//! Random tensors from one process-wide generator. `manual_seed` makes every random function
//! repeatable; the stream is ChaCha8, identical on every platform. The default seed is fixed
//! (as in PyTorch), so a program that never seeds is still repeatable run to run.

use std::sync::Mutex;

use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::backend::CpuStorage;
use crate::{bail, Result, Tensor};

const DEFAULT_SEED: u64 = 67_280_421_310_721;

static GENERATOR: Mutex<Option<ChaCha8Rng>> = Mutex::new(None);

/// Held by unit tests that seed or draw from the global generator, so tests running in
/// parallel threads do not interleave their draws.
#[cfg(test)]
pub(crate) static TEST_LOCK: Mutex<()> = Mutex::new(());

fn with_rng<R>(f: impl FnOnce(&mut ChaCha8Rng) -> R) -> R {
    let mut slot = GENERATOR.lock().unwrap_or_else(|e| e.into_inner());
    let rng = slot.get_or_insert_with(|| ChaCha8Rng::seed_from_u64(DEFAULT_SEED));
    f(rng)
}

pub fn manual_seed(seed: u64) {
    *GENERATOR.lock().unwrap_or_else(|e| e.into_inner()) = Some(ChaCha8Rng::seed_from_u64(seed));
}

/// Uniform in [0, 1) with 24 random bits (every float32 step in that range is reachable).
fn unit(rng: &mut ChaCha8Rng) -> f32 {
    (rng.next_u32() >> 8) as f32 * (1.0 / (1u32 << 24) as f32)
}

/// Fills `out` with U(low, high).
pub fn fill_uniform(out: &mut [f32], low: f32, high: f32) {
    with_rng(|rng| {
        for v in out.iter_mut() {
            *v = low + (high - low) * unit(rng);
        }
    });
}

/// Fills `out` with N(mean, std) by the Box-Muller transform in float64.
pub fn fill_normal(out: &mut [f32], mean: f32, std: f32) {
    with_rng(|rng| {
        let mut i = 0;
        while i < out.len() {
            // (0, 1] keeps ln() finite.
            let u1 = ((rng.next_u64() >> 11) as f64 + 1.0) * (1.0 / (1u64 << 53) as f64);
            let u2 = (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64);
            let r = (-2.0 * u1.ln()).sqrt();
            let theta = 2.0 * std::f64::consts::PI * u2;
            out[i] = mean + std * (r * theta.cos()) as f32;
            if i + 1 < out.len() {
                out[i + 1] = mean + std * (r * theta.sin()) as f32;
            }
            i += 2;
        }
    });
}

/// A uniform integer in `0..n` without modulo bias (Lemire's method).
pub fn below(n: u64) -> u64 {
    with_rng(|rng| bounded(rng, n))
}

fn bounded(rng: &mut ChaCha8Rng, n: u64) -> u64 {
    let threshold = n.wrapping_neg() % n;
    loop {
        let x = rng.next_u64();
        let m = (x as u128) * (n as u128);
        if (m as u64) >= threshold {
            return (m >> 64) as u64;
        }
    }
}

/// A random permutation of `0..n` (Fisher-Yates) from the global generator, for shuffling.
pub fn permutation(n: usize) -> Result<Vec<u32>> {
    let mut p = identity("randperm", n)?;
    with_rng(|rng| shuffle(rng, &mut p));
    Ok(p)
}

/// A random permutation of `0..n` from a given generator.
pub fn permutation_with(rng: &mut ChaCha8Rng, n: usize) -> Result<Vec<u32>> {
    let mut p = identity("randperm", n)?;
    shuffle(rng, &mut p);
    Ok(p)
}

/// `0..n` as 32-bit indices (4 bytes per sample keeps a loader over 10^8 samples affordable).
fn identity(op: &str, n: usize) -> Result<Vec<u32>> {
    if n > u32::MAX as usize {
        bail!(range, "{op}(): n must be at most 2^32 - 1, got {n}");
    }
    let mut p = crate::memory::with_capacity::<u32>(op, &[n])?;
    p.extend(0..n as u32);
    Ok(p)
}

fn shuffle(rng: &mut ChaCha8Rng, p: &mut [u32]) {
    for i in (1..p.len()).rev() {
        let j = bounded(rng, i as u64 + 1) as usize;
        p.swap(i, j);
    }
}

pub fn rand(shape: &[usize]) -> Result<Tensor> {
    let mut data = crate::memory::zeroed::<f32>("rand", shape)?;
    fill_uniform(&mut data, 0.0, 1.0);
    Tensor::from_f32(data, shape.to_vec())
}

pub fn randn(shape: &[usize]) -> Result<Tensor> {
    let mut data = crate::memory::zeroed::<f32>("randn", shape)?;
    fill_normal(&mut data, 0.0, 1.0);
    Tensor::from_f32(data, shape.to_vec())
}

/// int64 values uniform in `low..high`.
pub fn randint(low: i64, high: i64, shape: &[usize]) -> Result<Tensor> {
    if low >= high {
        bail!(
            range,
            "random_ expects 'from' to be less than 'to', but got from={low} >= to={high}"
        );
    }
    let mut data = crate::memory::zeroed::<i64>("randint", shape)?;
    let span = (high as i128 - low as i128) as u64;
    with_rng(|rng| {
        for v in data.iter_mut() {
            *v = low.wrapping_add(bounded(rng, span) as i64);
        }
    });
    Ok(Tensor::from_cpu(CpuStorage::I64(data), shape.to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeding_repeats_and_distributions_are_sane() {
        let _lock = TEST_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        manual_seed(7);
        let a = randn(&[20_000]).unwrap().to_vec_f32();
        manual_seed(7);
        let b = randn(&[20_000]).unwrap().to_vec_f32();
        assert_eq!(a, b);
        let mean = a.iter().map(|&x| x as f64).sum::<f64>() / a.len() as f64;
        let var = a.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / a.len() as f64;
        assert!(mean.abs() < 0.03, "mean {mean}");
        assert!((var - 1.0).abs() < 0.05, "var {var}");
        let u = rand(&[10_000]).unwrap().to_vec_f32();
        assert!(u.iter().all(|&x| (0.0..1.0).contains(&x)));
        let r = randint(-3, 4, &[10_000]).unwrap().to_vec_i64();
        assert!(r.iter().all(|&x| (-3..4).contains(&x)));
        for v in -3..4 {
            assert!(r.contains(&v));
        }
        assert!(randint(2, 2, &[1]).is_err());
        let mut p = permutation(100).unwrap();
        p.sort_unstable();
        assert_eq!(p, (0..100).collect::<Vec<u32>>());
    }
}
