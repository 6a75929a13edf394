//! The large products of a training step at `setFloat32MatmulPrecision('medium')` (bf16
//! operands, float32 sums; AMX tiles where usable): the weight gradients (dG^T against the
//! inputs over every step) through `sgemm`, which packs dG^T per product, and from dG^T packed
//! once (`bf16_shared_a`, as the recurrent layers do where both weight gradients share it);
//! the input projections through `sgemm`. GFLOP/s and ms, best of 3 rounds of about 100 ms.
//!   cargo run --release -p seqtorch-core --example bf16_large_products [-- THREADS]

use seqtorch_core::kernels::bf16_shared_a::{sgemm_shared_a, SharedA};
use seqtorch_core::kernels::gemm::{sgemm, Transpose};
use seqtorch_core::precision::{cpu_bf16_products, set_float32_matmul_precision, MatmulPrecision};

mod timing;
use timing::{best_seconds, threads_arg, values};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let threads = threads_arg();
    seqtorch_core::threads::set_num_threads(threads).expect("threads");
    set_float32_matmul_precision(MatmulPrecision::Medium);
    println!(
        "{}, {threads} threads, bf16 products: {}",
        seqtorch_core::cpu_info::describe().brand,
        cpu_bf16_products()
    );
    // (m, k, n, A transposed, what): B is a weight used transposed in the projections.
    let shapes = [
        (2048, 6400, 512, true, "m-lstm512 weight gradient"),
        (6400, 512, 2048, false, "m-lstm512 input projection"),
        (1024, 6400, 256, true, "mid-lstm256 weight gradient"),
        (
            6400,
            256,
            1024,
            false,
            "mid-lstm256 layer 2 input projection",
        ),
        (512, 3200, 128, true, "small-lstm128 weight gradient"),
    ];
    for (m, k, n, ta, what) in shapes {
        let (a, b) = (values(m * k, 0.37), values(k * n, 0.11));
        let mut c = vec![0.0f32; m * n];
        let flop = 2.0 * (m * n * k) as f64;
        let (ta_, tb) = if ta {
            (Transpose::Yes, Transpose::No)
        } else {
            (Transpose::No, Transpose::Yes)
        };
        let s = best_seconds(3, 0.1, &mut || sgemm(m, k, n, &a, ta_, &b, tb, &mut c, 0.0));
        print!(
            "{what} ({m} x {k} x {n}): sgemm {:.1} GFLOP/s ({:.2} ms)",
            flop / s / 1e9,
            s * 1e3
        );
        if let Some(shared) = ta
            .then(|| SharedA::transposed_for_tiles(&a, m, k, n))
            .flatten()
        {
            let pack = best_seconds(3, 0.1, &mut || {
                drop(SharedA::transposed_for_tiles(&a, m, k, n))
            });
            let s2 = best_seconds(3, 0.1, &mut || {
                sgemm_shared_a(&shared, 0, k, n, &b, &mut c, 0.0)
            });
            print!(
                "; dG^T packed once {:.2} ms, then each product {:.1} GFLOP/s ({:.2} ms)",
                pack * 1e3,
                flop / s2 / 1e9,
                s2 * 1e3
            );
        }
        println!();
    }
}
