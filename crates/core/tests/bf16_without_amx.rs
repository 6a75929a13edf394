//! `Medium` on a processor where bf16 products would not pay: with AMX turned off
//! (`SEQTORCH_AMX=0`), an Intel processor keeps float32 products at `Medium`, bit for bit the
//! `Highest` numbers (its AVX512-BF16 kernel alone was slower than float32), while an AMD one
//! with AVX512-BF16 still rounds to bf16. Its own test binary: the switch is read once per
//! process, and the precision is process-wide.

use seqtorch_core::cpu_info::describe;
use seqtorch_core::kernels::gemm::{sgemm, Transpose};
use seqtorch_core::kernels::gemm_bf16::has_bf16_kernel;
use seqtorch_core::precision::{cpu_bf16_products, set_float32_matmul_precision, MatmulPrecision};

#[test]
fn intel_without_amx_keeps_float32_products_at_medium() {
    std::env::set_var("SEQTORCH_AMX", "0");
    let intel = describe().vendor == "GenuineIntel";
    assert_eq!(cpu_bf16_products(), has_bf16_kernel() && !intel);
    let (m, k, n) = (2048, 96, 64);
    let a: Vec<f32> = (0..m * k)
        .map(|i| ((i * 7 % 13) as f32 - 6.0) * 0.1)
        .collect();
    let b: Vec<f32> = (0..k * n)
        .map(|i| ((i * 5 % 11) as f32 - 5.0) * 0.037)
        .collect();
    let product = |precision| {
        set_float32_matmul_precision(precision);
        let mut c = vec![0.0f32; m * n];
        sgemm(m, k, n, &a, Transpose::No, &b, Transpose::Yes, &mut c, 0.0);
        set_float32_matmul_precision(MatmulPrecision::Highest);
        c
    };
    let (exact, medium) = (
        product(MatmulPrecision::Highest),
        product(MatmulPrecision::Medium),
    );
    if cpu_bf16_products() {
        assert!(
            medium != exact,
            "AMD with AVX512-BF16: Medium rounds to bf16"
        );
    } else {
        assert!(medium == exact, "no bf16 products here: Medium is float32");
    }
    if intel && has_bf16_kernel() {
        eprintln!("Intel with AVX512-BF16 and AMX off: Medium kept float32 products");
    }
}
