//! The machine's single-precision peak, measured with a register-only FMA loop rather than with
//! the GEMM under test: independent accumulator chains (more than FMA latency x FMA ports, so
//! every port issues every cycle), no loads or stores, on every thread at once. The benchmark
//! reports each kernel's GFLOP/s against this number.

use std::hint::black_box;
use std::time::Instant;

/// Multiply-adds each thread runs per accumulator (long enough to dwarf start-up).
const ITERATIONS: u64 = 20_000_000;

/// The instruction set a measurement used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FmaIsa {
    Avx512,
    Avx2,
    Scalar,
}

impl FmaIsa {
    pub fn name(self) -> &'static str {
        match self {
            FmaIsa::Avx512 => "avx512",
            FmaIsa::Avx2 => "avx2",
            FmaIsa::Scalar => "scalar",
        }
    }

    /// The instruction sets this processor can run, widest first.
    pub fn available() -> Vec<FmaIsa> {
        let mut v = Vec::new();
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f") {
                v.push(FmaIsa::Avx512);
            }
            if std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
            {
                v.push(FmaIsa::Avx2);
            }
        }
        v.push(FmaIsa::Scalar);
        v
    }
}

/// Runs `iterations` FMAs on each of the ISA's accumulators; returns (flops, a checksum that
/// keeps the work observable).
fn run(isa: FmaIsa, iterations: u64) -> (f64, f32) {
    match isa {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: only listed by `available()` when the processor has AVX-512F.
        FmaIsa::Avx512 => unsafe { x86::avx512(iterations) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: only listed by `available()` when the processor has AVX2 and FMA.
        FmaIsa::Avx2 => unsafe { x86::avx2(iterations) },
        _ => scalar(iterations),
    }
}

fn scalar(iterations: u64) -> (f64, f32) {
    let (a, b) = (black_box(0.999_999_9f32), black_box(1e-7f32));
    let mut acc = [0.0f32; 8];
    for _ in 0..iterations {
        for x in acc.iter_mut() {
            *x = x.mul_add(a, b);
        }
    }
    (2.0 * 8.0 * iterations as f64, acc.iter().sum())
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;
    use std::hint::black_box;

    /// 12 chains of 16 lanes: two 512-bit FMA ports of latency 4 need 8 in flight.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn avx512(iterations: u64) -> (f64, f32) {
        let a = _mm512_set1_ps(black_box(0.999_999_9));
        let b = _mm512_set1_ps(black_box(1e-7));
        let mut acc = [_mm512_setzero_ps(); 12];
        for _ in 0..iterations {
            for x in acc.iter_mut() {
                *x = _mm512_fmadd_ps(*x, a, b);
            }
        }
        let mut sum = 0.0;
        for x in acc {
            sum += _mm512_reduce_add_ps(x);
        }
        (2.0 * 16.0 * 12.0 * iterations as f64, sum)
    }

    /// 12 chains of 8 lanes (of the 16 ymm registers): two FMA ports of latency 4-5.
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn avx2(iterations: u64) -> (f64, f32) {
        let a = _mm256_set1_ps(black_box(0.999_999_9));
        let b = _mm256_set1_ps(black_box(1e-7));
        let mut acc = [_mm256_setzero_ps(); 12];
        for _ in 0..iterations {
            for x in acc.iter_mut() {
                *x = _mm256_fmadd_ps(*x, a, b);
            }
        }
        let mut lanes = [0.0f32; 8];
        let mut sum = 0.0;
        for x in acc {
            _mm256_storeu_ps(lanes.as_mut_ptr(), x);
            sum += lanes.iter().sum::<f32>();
        }
        (2.0 * 8.0 * 12.0 * iterations as f64, sum)
    }
}

/// One measurement: GFLOP/s of `threads` threads running the loop at once, and the checksum.
#[derive(Debug, Clone, Copy)]
pub struct FmaPeak {
    pub isa: FmaIsa,
    pub threads: usize,
    pub gflops: f64,
    pub checksum: f32,
}

/// Measures the ISA's peak on `threads` threads (best of three runs).
pub fn measure(isa: FmaIsa, threads: usize, iterations: Option<u64>) -> FmaPeak {
    let iterations = iterations.unwrap_or(ITERATIONS);
    let threads = threads.max(1);
    let mut best = 0.0f64;
    let mut checksum = 0.0;
    for _ in 0..3 {
        let start = Instant::now();
        let results: Vec<(f64, f32)> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|_| s.spawn(move || run(isa, iterations)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("an FMA loop cannot panic"))
                .collect()
        });
        let seconds = start.elapsed().as_secs_f64();
        let flops: f64 = results.iter().map(|r| r.0).sum();
        checksum = results.iter().map(|r| r.1).sum();
        best = best.max(flops / seconds / 1e9);
    }
    FmaPeak {
        isa,
        threads,
        gflops: best,
        checksum,
    }
}

/// The highest of the ISAs' peaks on `threads` threads.
pub fn peak_gflops(threads: usize) -> FmaPeak {
    let isas = FmaIsa::available();
    // The scalar loop only where there is no vector unit to measure.
    let vector = isas.len() > 1;
    isas.into_iter()
        .filter(|&isa| !(vector && isa == FmaIsa::Scalar))
        .map(|isa| measure(isa, threads, None))
        .max_by(|a, b| a.gflops.total_cmp(&b.gflops))
        .expect("the scalar loop is always available")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_loop_computes_the_fixed_point_it_converges_to() {
        // acc <- acc * a + b converges to b / (1 - a) = 1.0; after a few million steps every
        // lane is near it, so a loop that skipped work would show in the checksum.
        for isa in FmaIsa::available() {
            let (flops, sum) = run(isa, 3_000_000);
            let lanes = match isa {
                FmaIsa::Avx512 => 16.0 * 12.0,
                FmaIsa::Avx2 => 8.0 * 12.0,
                FmaIsa::Scalar => 8.0,
            };
            assert_eq!(flops, 2.0 * lanes * 3_000_000.0, "{isa:?}");
            let per_lane = sum / lanes as f32;
            assert!((0.2..=1.0001).contains(&per_lane), "{isa:?}: {per_lane}");
        }
    }

    #[test]
    fn a_measurement_reports_a_finite_rate() {
        let m = measure(FmaIsa::Scalar, 2, Some(10_000));
        assert!(m.gflops.is_finite() && m.gflops > 0.0);
        assert_eq!(m.threads, 2);
    }
}
