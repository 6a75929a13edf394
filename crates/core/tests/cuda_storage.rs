//! Every primitive of the CUDA storage (`BackendStorage`, `BackendDevice`) against the CPU
//! backend, fed contiguous, transposed, narrowed (offset) and broadcast layouts. Skipped, saying
//! why, where no GPU is usable; `SEQTORCH_REQUIRE_GPU` (set by `tools/gpu_check.sh run`) turns
//! the skip into a failure. Tolerance: exact for data movement and integer math; |a - b| <=
//! 1e-5 + 1e-5|b| for float math (libdevice's transcendental functions against the CPU's), and
//! 1e-5 + 1e-4|b| for products (cuBLAS sums in another order; TF32 off).
#![cfg(feature = "cuda")]

mod common;

use seqtorch_core::backend::cuda::CudaDevice;
use seqtorch_core::backend::{
    BackendDevice, BackendStorage, BinaryOp, CpuDevice, CpuStorage, MatmulDims, UnaryOp,
};
use seqtorch_core::{DType, Layout};

fn gpu() -> Option<CudaDevice> {
    common::gpu_usable()
        .then(|| CudaDevice::open(0).unwrap_or_else(|e| panic!("opening cuda:0: {e}")))
}

fn f32s(n: usize, seed: u32) -> Vec<f32> {
    // Deterministic values in about [-3, 3], with a few exact zeros.
    (0..n)
        .map(|i| {
            let x = ((i as u32).wrapping_mul(2_654_435_761).wrapping_add(seed) >> 8) as f32;
            let v = (x / (1u32 << 24) as f32) * 6.0 - 3.0;
            if i % 7 == 3 {
                0.0
            } else {
                v
            }
        })
        .collect()
}

fn upload<D: BackendDevice>(dev: &D, s: &CpuStorage) -> D::Storage {
    dev.upload(s).unwrap()
}

fn host<S: BackendStorage>(s: &S, l: &Layout) -> CpuStorage {
    s.to_cpu(l).unwrap()
}

fn assert_close(what: &str, got: &CpuStorage, want: &CpuStorage, atol: f32, rtol: f32) {
    match (got, want) {
        (CpuStorage::F32(g), CpuStorage::F32(w)) => {
            assert_eq!(g.len(), w.len(), "{what}: length");
            for (i, (a, b)) in g.iter().zip(w).enumerate() {
                let ok =
                    (a.is_nan() && b.is_nan()) || a == b || (a - b).abs() <= atol + rtol * b.abs();
                assert!(ok, "{what}: element {i}: gpu {a} vs cpu {b}");
            }
        }
        (CpuStorage::I64(g), CpuStorage::I64(w)) => assert_eq!(g, w, "{what}"),
        _ => panic!("{what}: dtypes differ"),
    }
}

fn exact(what: &str, got: &CpuStorage, want: &CpuStorage) {
    assert_close(what, got, want, 0.0, 0.0)
}

/// Layouts of a [4, 6] buffer (24 elements at offset 0, or 30 with a 6-element prefix).
fn views() -> Vec<(&'static str, Layout)> {
    let base = Layout::contiguous(vec![4, 6]);
    vec![
        ("contiguous", base.clone()),
        ("transposed", base.permute(&[1, 0])),
        ("narrowed columns", base.narrow(1, 2, 3)),
        ("offset rows", Layout::contiguous_at(vec![3, 6], 6)),
        (
            "broadcast row",
            Layout::contiguous(vec![6]).broadcast_to(&[5, 6]),
        ),
        ("selected column", base.select(1, 4)),
    ]
}

fn transfers_gathers_and_conversions_match_the_cpu<D: BackendDevice>(dev: &D) {
    let data = CpuStorage::F32(f32s(30, 1));
    let ints = CpuStorage::I64((0..30).map(|i| (i * 7919 - 100_000) as i64).collect());
    let (g, gi) = (upload(dev, &data), upload(dev, &ints));
    for (name, l) in views() {
        exact(
            &format!("to_cpu {name}"),
            &host(&g, &l),
            &data.contiguous(&l).unwrap(),
        );
        exact(
            &format!("to_cpu i64 {name}"),
            &host(&gi, &l),
            &ints.contiguous(&l).unwrap(),
        );
        let c = g.contiguous(&l).unwrap();
        let cl = Layout::contiguous(l.shape().to_vec());
        exact(
            &format!("contiguous {name}"),
            &host(&c, &cl),
            &data.contiguous(&l).unwrap(),
        );
        for dt in [DType::F32, DType::I64] {
            exact(
                &format!("to_dtype {dt:?} {name}"),
                &host(&g.to_dtype(&l, dt).unwrap(), &cl),
                &data.to_dtype(&l, dt).unwrap(),
            );
            exact(
                &format!("i64 to_dtype {dt:?} {name}"),
                &host(&gi.to_dtype(&l, dt).unwrap(), &cl),
                &ints.to_dtype(&l, dt).unwrap(),
            );
        }
    }
    // Float to int at the edges: NaN, infinities, beyond int64, negative fractions.
    let edge = CpuStorage::F32(vec![
        f32::NAN,
        f32::INFINITY,
        f32::NEG_INFINITY,
        1e19,
        -1e19,
        -2.7,
        2.7,
        -0.0,
    ]);
    let l = Layout::contiguous(vec![8]);
    exact(
        "edge f32 -> i64",
        &host(&upload(dev, &edge).to_dtype(&l, DType::I64).unwrap(), &l),
        &edge.to_dtype(&l, DType::I64).unwrap(),
    );
    // Empty tensors.
    let empty = CpuStorage::F32(Vec::new());
    let e = upload(dev, &empty);
    assert_eq!(e.len(), 0);
    exact("empty", &host(&e, &Layout::contiguous(vec![0, 3])), &empty);
}

fn unary_ops_match_the_cpu<D: BackendDevice>(dev: &D) {
    let mut values = f32s(30, 2);
    values[5] = f32::NAN;
    values[6] = 2.0;
    let data = CpuStorage::F32(values);
    let positive = CpuStorage::F32(f32s(30, 3).iter().map(|v| v.abs() + 0.01).collect());
    let ints = CpuStorage::I64((0..30).map(|i| (i as i64 - 15) * 3).collect());
    let ops = [
        UnaryOp::Neg,
        UnaryOp::Exp,
        UnaryOp::Sigmoid,
        UnaryOp::Tanh,
        UnaryOp::Relu,
        UnaryOp::Sin,
        UnaryOp::Cos,
        UnaryOp::Abs,
        UnaryOp::Sign,
        UnaryOp::Square,
        UnaryOp::Powf(3.0),
        UnaryOp::Powf(0.5),
        UnaryOp::EqMask(2.0),
        UnaryOp::EqMask(f32::NAN),
        UnaryOp::ClampMin(-0.5),
        UnaryOp::ClampMin(f32::NAN),
        UnaryOp::ClampMax(0.75),
        UnaryOp::ClampMax(0.0),
        UnaryOp::GtMask(0.0),
        UnaryOp::LtMask(0.75),
    ];
    let (g_data, g_positive) = (upload(dev, &data), upload(dev, &positive));
    for (name, l) in views() {
        for op in ops {
            // A fractional power of a negative number is NaN on both; test it on positives.
            let (input, g) = if matches!(op, UnaryOp::Powf(p) if p < 1.0) {
                (&positive, &g_positive)
            } else {
                (&data, &g_data)
            };
            let cl = Layout::contiguous(l.shape().to_vec());
            assert_close(
                &format!("{op:?} {name}"),
                &host(&g.unary(&l, op).unwrap(), &cl),
                &input.unary(&l, op).unwrap(),
                1e-5,
                1e-5,
            );
        }
        for op in [UnaryOp::Log, UnaryOp::Sqrt] {
            let g = &g_positive;
            let cl = Layout::contiguous(l.shape().to_vec());
            assert_close(
                &format!("{op:?} {name}"),
                &host(&g.unary(&l, op).unwrap(), &cl),
                &positive.unary(&l, op).unwrap(),
                1e-5,
                1e-5,
            );
        }
        let gi = upload(dev, &ints);
        for op in [
            UnaryOp::Neg,
            UnaryOp::Abs,
            UnaryOp::Relu,
            UnaryOp::Sign,
            UnaryOp::Exp,
            UnaryOp::Square,
        ] {
            let cl = Layout::contiguous(l.shape().to_vec());
            let got = host(&gi.unary(&l, op).unwrap(), &cl);
            let want = ints.unary(&l, op).unwrap();
            assert_eq!(got.dtype(), want.dtype(), "int64 {op:?} dtype");
            assert_close(&format!("int64 {op:?} {name}"), &got, &want, 0.0, 1e-6);
        }
    }
}

fn binary_ops_with_broadcasting_match_the_cpu<D: BackendDevice>(dev: &D) {
    let a = CpuStorage::F32(f32s(24, 4));
    let row = CpuStorage::F32(vec![0.5, -1.25, 2.0, 0.0]);
    let ai = CpuStorage::I64((0..24).map(|i| (i64::MAX - 10).wrapping_add(i)).collect());
    let rowi = CpuStorage::I64(vec![3, -7, i64::MIN, 1]);
    // [6, 4] as the transpose of a [4, 6] buffer, against a row broadcast over 6 rows.
    let la = Layout::contiguous(vec![4, 6]).permute(&[1, 0]);
    let lr = Layout::contiguous(vec![4]).broadcast_to(&[6, 4]);
    let out = Layout::contiguous(vec![6, 4]);
    let (ga, gr, gai, gri) = (
        upload(dev, &a),
        upload(dev, &row),
        upload(dev, &ai),
        upload(dev, &rowi),
    );
    for op in [
        BinaryOp::Add,
        BinaryOp::Sub,
        BinaryOp::Mul,
        BinaryOp::Div,
        BinaryOp::SigmoidBackward,
        BinaryOp::TanhBackward,
        BinaryOp::ReluBackward,
    ] {
        assert_close(
            &format!("{op:?}"),
            &host(&ga.binary(&la, &gr, &lr, op).unwrap(), &out),
            &a.binary(&la, &row, &lr, op).unwrap(),
            1e-6,
            1e-6,
        );
        // Operand order swapped (the broadcast one first).
        assert_close(
            &format!("{op:?} swapped"),
            &host(&gr.binary(&lr, &ga, &la, op).unwrap(), &out),
            &row.binary(&lr, &a, &la, op).unwrap(),
            1e-6,
            1e-6,
        );
        // int64 with int64 (wrapping for add/sub/mul, float32 otherwise), and mixed dtypes.
        let got = host(&gai.binary(&la, &gri, &lr, op).unwrap(), &out);
        let want = ai.binary(&la, &rowi, &lr, op).unwrap();
        assert_eq!(got.dtype(), want.dtype(), "int64 {op:?} dtype");
        assert_close(&format!("int64 {op:?}"), &got, &want, 0.0, 1e-6);
        assert_close(
            &format!("mixed {op:?}"),
            &host(&ga.binary(&la, &gri, &lr, op).unwrap(), &out),
            &a.binary(&la, &rowi, &lr, op).unwrap(),
            1e-6,
            1e-6,
        );
    }
}

fn sums_over_dimensions_match_the_cpu<D: BackendDevice>(dev: &D) {
    let shape = vec![3, 4, 5];
    let data = CpuStorage::F32(f32s(60, 5));
    let ints = CpuStorage::I64((0..60).map(|i| i * 1_000_000_007 - 7).collect());
    let (g, gi) = (upload(dev, &data), upload(dev, &ints));
    let base = Layout::contiguous(shape.clone());
    for l in [base.clone(), base.permute(&[2, 0, 1])] {
        for dims in [vec![0], vec![1], vec![2], vec![0, 2], vec![0, 1, 2]] {
            let mut out_shape = l.shape().to_vec();
            dims.iter().for_each(|&d| out_shape[d] = 1);
            let ol = Layout::contiguous(out_shape);
            assert_close(
                &format!("sum {dims:?} of {:?}", l.shape()),
                &host(&g.sum_dims(&l, &dims).unwrap(), &ol),
                &data.sum_dims(&l, &dims).unwrap(),
                1e-5,
                1e-5,
            );
            exact(
                &format!("int64 sum {dims:?}"),
                &host(&gi.sum_dims(&l, &dims).unwrap(), &ol),
                &ints.sum_dims(&l, &dims).unwrap(),
            );
        }
    }
    // A sum over an empty dimension is zeros.
    let empty = CpuStorage::F32(Vec::new());
    let le = Layout::contiguous(vec![2, 0, 3]);
    exact(
        "sum over empty",
        &host(
            &upload(dev, &empty).sum_dims(&le, &[1]).unwrap(),
            &Layout::contiguous(vec![2, 1, 3]),
        ),
        &empty.sum_dims(&le, &[1]).unwrap(),
    );
}

fn products_match_the_cpu_for_every_operand_layout<D: BackendDevice>(dev: &D) {
    // (batch, m, k, n), with A and B given row-major, transposed, or (B) broadcast over the batch.
    for (batch, m, k, n) in [
        (1, 7, 13, 5),
        (1, 1, 64, 32),
        (1, 32, 64, 1),
        (3, 4, 1, 6),
        (4, 17, 33, 9),
        (2, 0, 3, 4),
        (2, 3, 0, 4),
    ] {
        let a = CpuStorage::F32(f32s(batch * m * k, 6));
        let b = CpuStorage::F32(f32s(batch * k * n, 7));
        let (ga, gb) = (upload(dev, &a), upload(dev, &b));
        let a_layouts = [
            ("A row-major", Layout::contiguous(vec![batch, m, k])),
            (
                "A transposed",
                Layout::contiguous(vec![batch, k, m]).permute(&[0, 2, 1]),
            ),
        ];
        let b_layouts = [
            ("B row-major", Layout::contiguous(vec![batch, k, n])),
            (
                "B transposed",
                Layout::contiguous(vec![batch, n, k]).permute(&[0, 2, 1]),
            ),
            (
                "B broadcast",
                Layout::contiguous(vec![1, k, n]).broadcast_to(&[batch, k, n]),
            ),
        ];
        let dims = MatmulDims { batch, m, k, n };
        let out = Layout::contiguous(vec![batch, m, n]);
        for (an, la) in &a_layouts {
            for (bn, lb) in &b_layouts {
                let want = a.matmul(la, &b, lb, dims).unwrap();
                let got = host(&ga.matmul(la, &gb, lb, dims).unwrap(), &out);
                assert_close(
                    &format!("[{batch}, {m}, {k}] @ [{k}, {n}] {an} {bn}"),
                    &got,
                    &want,
                    1e-5,
                    1e-4,
                );
            }
        }
    }
}

fn index_select_and_index_add_match_the_cpu<D: BackendDevice>(dev: &D) {
    let data = CpuStorage::F32(f32s(24, 8));
    let ints = CpuStorage::I64((0..24).collect());
    let base = Layout::contiguous(vec![4, 6]);
    let (g, gi) = (upload(dev, &data), upload(dev, &ints));
    for l in [base.clone(), base.permute(&[1, 0])] {
        for dim in 0..2 {
            let index = vec![1, 0, 1, l.shape()[dim] - 1];
            let mut shape = l.shape().to_vec();
            shape[dim] = index.len();
            let ol = Layout::contiguous(shape.clone());
            exact(
                &format!("index_select dim {dim}"),
                &host(&g.index_select(&l, dim, &index).unwrap(), &ol),
                &data.index_select(&l, dim, &index).unwrap(),
            );
            exact(
                &format!("int64 index_select dim {dim}"),
                &host(&gi.index_select(&l, dim, &index).unwrap(), &ol),
                &ints.index_select(&l, dim, &index).unwrap(),
            );
            // index_add_ of those rows back into zeros: repeated indices add up.
            let src = data.index_select(&l, dim, &index).unwrap();
            let dl = Layout::contiguous(l.shape().to_vec());
            let mut want = CpuDevice.zeros(l.shape(), DType::F32).unwrap();
            want.index_add_(&dl, dim, &index, &src, &ol).unwrap();
            let mut got = dev.zeros(l.shape(), DType::F32).unwrap();
            got.index_add_(&dl, dim, &index, &upload(dev, &src), &ol)
                .unwrap();
            assert_close(
                &format!("index_add_ dim {dim}"),
                &host(&got, &dl),
                &want,
                1e-6,
                1e-6,
            );
        }
    }
}

fn writes_into_views_match_the_cpu<D: BackendDevice>(dev: &D) {
    let base = Layout::contiguous(vec![4, 6]);
    let src = CpuStorage::F32(f32s(24, 9));
    let gsrc = upload(dev, &src);
    for (name, dst) in [
        ("transposed", base.permute(&[1, 0])),
        ("narrowed", base.narrow(1, 1, 4)),
        ("column", base.select(1, 2)),
    ] {
        let sl = Layout::contiguous(dst.shape().to_vec());
        let mut want = CpuStorage::F32(f32s(24, 10));
        let mut got = upload(dev, &want);
        want.copy_into(&dst, &src, &sl).unwrap();
        got.copy_into(&dst, &gsrc, &sl).unwrap();
        exact(&format!("copy_into {name}"), &host(&got, &base), &want);
        want.add_assign(&dst, &src, &sl).unwrap();
        got.add_assign(&dst, &gsrc, &sl).unwrap();
        assert_close(
            &format!("add_assign {name}"),
            &host(&got, &base),
            &want,
            1e-6,
            1e-6,
        );
        // int64 into float32 converts, as on the CPU.
        let isrc = CpuStorage::I64((0..24).map(|i| i * 3 - 30).collect());
        want.copy_into(&dst, &isrc, &sl).unwrap();
        got.copy_into(&dst, &upload(dev, &isrc), &sl).unwrap();
        exact(
            &format!("copy_into int64 -> float32 {name}"),
            &host(&got, &base),
            &want,
        );
    }
}

fn fills_and_seeded_random_numbers_match_the_cpu<D: BackendDevice>(dev: &D) {
    let l = Layout::contiguous(vec![3, 5]);
    for (value, dtype) in [
        (0.0, DType::F32),
        (-2.5, DType::F32),
        (7.0, DType::I64),
        (0.0, DType::I64),
    ] {
        exact(
            &format!("full {value} {dtype:?}"),
            &host(&dev.full(&[3, 5], value, dtype).unwrap(), &l),
            &CpuDevice.full(&[3, 5], value, dtype).unwrap(),
        );
    }
    // The generator is global: the CPU and GPU runs of this check must not interleave.
    static SEEDED: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = SEEDED.lock().unwrap_or_else(|e| e.into_inner());
    seqtorch_core::ops::random::manual_seed(42);
    let want_u = CpuDevice.rand_uniform(&[3, 5], -1.0, 2.0).unwrap();
    let want_n = CpuDevice.rand_normal(&[3, 5], 0.5, 2.0).unwrap();
    seqtorch_core::ops::random::manual_seed(42);
    exact(
        "rand_uniform",
        &host(&dev.rand_uniform(&[3, 5], -1.0, 2.0).unwrap(), &l),
        &want_u,
    );
    exact(
        "rand_normal",
        &host(&dev.rand_normal(&[3, 5], 0.5, 2.0).unwrap(), &l),
        &want_n,
    );
}

#[test]
fn tensor_creation_on_a_gpu_needs_the_switch() {
    // GPU tensors are opt-in (SEQTORCH_EXPERIMENTAL_CUDA=1) until validated on a GPU: without
    // the switch creation is refused with the reason, on every machine.
    match CudaDevice::new(0) {
        Ok(_) => assert!(seqtorch_core::backend::cuda::is_available()),
        Err(e) => {
            assert!(!seqtorch_core::backend::cuda::is_available());
            assert!(
                e.message.contains("cannot use device cuda:0"),
                "{}",
                e.message
            );
        }
    }
}

/// The checks run with the CPU as the device under test too: that proves the checks themselves
/// (their CPU side, shapes and tolerances) wherever the tests run, GPU or not.
mod on_the_cpu {
    use super::*;

    #[test]
    fn transfers_gathers_and_conversions_match_the_cpu() {
        super::transfers_gathers_and_conversions_match_the_cpu(&CpuDevice)
    }

    #[test]
    fn unary_ops_match_the_cpu() {
        super::unary_ops_match_the_cpu(&CpuDevice)
    }

    #[test]
    fn binary_ops_with_broadcasting_match_the_cpu() {
        super::binary_ops_with_broadcasting_match_the_cpu(&CpuDevice)
    }

    #[test]
    fn sums_over_dimensions_match_the_cpu() {
        super::sums_over_dimensions_match_the_cpu(&CpuDevice)
    }

    #[test]
    fn products_match_the_cpu_for_every_operand_layout() {
        super::products_match_the_cpu_for_every_operand_layout(&CpuDevice)
    }

    #[test]
    fn index_select_and_index_add_match_the_cpu() {
        super::index_select_and_index_add_match_the_cpu(&CpuDevice)
    }

    #[test]
    fn writes_into_views_match_the_cpu() {
        super::writes_into_views_match_the_cpu(&CpuDevice)
    }

    #[test]
    fn fills_and_seeded_random_numbers_match_the_cpu() {
        super::fills_and_seeded_random_numbers_match_the_cpu(&CpuDevice)
    }
}

mod on_the_gpu {
    use super::*;

    #[test]
    fn transfers_gathers_and_conversions_match_the_cpu() {
        if let Some(dev) = gpu() {
            super::transfers_gathers_and_conversions_match_the_cpu(&dev)
        }
    }

    #[test]
    fn unary_ops_match_the_cpu() {
        if let Some(dev) = gpu() {
            super::unary_ops_match_the_cpu(&dev)
        }
    }

    #[test]
    fn binary_ops_with_broadcasting_match_the_cpu() {
        if let Some(dev) = gpu() {
            super::binary_ops_with_broadcasting_match_the_cpu(&dev)
        }
    }

    #[test]
    fn sums_over_dimensions_match_the_cpu() {
        if let Some(dev) = gpu() {
            super::sums_over_dimensions_match_the_cpu(&dev)
        }
    }

    #[test]
    fn products_match_the_cpu_for_every_operand_layout() {
        if let Some(dev) = gpu() {
            super::products_match_the_cpu_for_every_operand_layout(&dev)
        }
    }

    #[test]
    fn index_select_and_index_add_match_the_cpu() {
        if let Some(dev) = gpu() {
            super::index_select_and_index_add_match_the_cpu(&dev)
        }
    }

    #[test]
    fn writes_into_views_match_the_cpu() {
        if let Some(dev) = gpu() {
            super::writes_into_views_match_the_cpu(&dev)
        }
    }

    #[test]
    fn fills_and_seeded_random_numbers_match_the_cpu() {
        if let Some(dev) = gpu() {
            super::fills_and_seeded_random_numbers_match_the_cpu(&dev)
        }
    }
}
