//! Runs the backend's kernels on a real GPU and compares them with the CPU backend: the first
//! thing the GPU check does, before any CUDA tensor exists. Each case feeds strided, broadcast
//! and transposed layouts, the same way the CPU kernels are fed.

use std::sync::Arc;

use cudarc::driver::{CudaContext, CudaModule, LaunchConfig, PushKernelArg};

use super::device::{arch_for, driver};
use super::kernels;
use super::storage::st_layout;
use crate::backend::{BackendStorage, BinaryOp, CpuStorage, UnaryOp};
use crate::{bail, Layout, Result};

/// One case's result: the largest difference from the CPU backend.
#[derive(Debug, Clone)]
pub struct CaseResult {
    pub name: String,
    pub max_abs_diff: f32,
}

/// Launches the elementwise kernels on `cuda:ordinal` and compares them with the CPU backend.
pub fn run(ordinal: usize) -> Result<Vec<CaseResult>> {
    if super::status().driver_devices.unwrap_or(0) <= ordinal {
        bail!(
            device,
            "no cuda:{ordinal}: {}",
            super::status().reason.unwrap_or_default()
        );
    }
    let ctx = driver("creating the CUDA context", CudaContext::new(ordinal))?;
    let (major, minor) = driver("reading the compute capability", ctx.compute_capability())?;
    let ptx = kernels::compile("elementwise", arch_for(major, minor))?;
    let module = driver(
        "loading the elementwise module",
        ctx.load_module(cudarc::nvrtc::Ptx::from_src(ptx)),
    )?;
    let mut results = Vec::new();
    // [3, 4] row-major data; a transposed view of it; a broadcast row.
    let data: Vec<f32> = (0..12).map(|i| (i as f32 - 5.5) * 0.37).collect();
    let row: Vec<f32> = vec![0.5, -1.25, 2.0];
    let base = Layout::contiguous(vec![3, 4]);
    let transposed = base.permute(&[1, 0]);
    let row_broadcast = Layout::contiguous(vec![3]).broadcast_to(&[4, 3]);
    let cpu = CpuStorage::F32(data.clone());
    let cpu_row = CpuStorage::F32(row.clone());
    for (name, op, code) in [
        ("add(transposed, broadcast row)", BinaryOp::Add, 0),
        ("mul(transposed, broadcast row)", BinaryOp::Mul, 2),
        ("div(transposed, broadcast row)", BinaryOp::Div, 3),
        ("tanh_backward", BinaryOp::TanhBackward, 5),
        ("threshold_backward", BinaryOp::ReluBackward, 6),
    ] {
        let want = cpu.binary(&transposed, &cpu_row, &row_broadcast, op)?;
        let got = launch_binary(
            &ctx,
            &module,
            &data,
            &transposed,
            &row,
            &row_broadcast,
            code,
        )?;
        results.push(compare(name, &want, &got));
    }
    for (name, op, code, arg) in [
        ("tanh(transposed)", UnaryOp::Tanh, 4, 0.0f32),
        ("sigmoid(transposed)", UnaryOp::Sigmoid, 3, 0.0),
        ("powf(transposed, 3)", UnaryOp::Powf(3.0), 12, 3.0),
    ] {
        let want = cpu.unary(&transposed, op)?;
        let got = launch_unary(&ctx, &module, &data, &transposed, code, arg)?;
        results.push(compare(name, &want, &got));
    }
    Ok(results)
}

fn compare(name: &str, want: &CpuStorage, got: &[f32]) -> CaseResult {
    let CpuStorage::F32(w) = want else {
        unreachable!("float cases")
    };
    let max_abs_diff = w
        .iter()
        .zip(got)
        .map(|(a, b)| {
            if a.is_nan() && b.is_nan() {
                0.0
            } else {
                (a - b).abs()
            }
        })
        .fold(
            if w.len() == got.len() {
                0.0
            } else {
                f32::INFINITY
            },
            f32::max,
        );
    CaseResult {
        name: name.into(),
        max_abs_diff,
    }
}

fn launch_binary(
    ctx: &Arc<CudaContext>,
    module: &Arc<CudaModule>,
    a: &[f32],
    la: &Layout,
    b: &[f32],
    lb: &Layout,
    op: i32,
) -> Result<Vec<f32>> {
    let stream = ctx.default_stream();
    let f = driver("binary_f32", module.load_function("binary_f32"))?;
    let n = la.numel();
    let da = driver("upload", stream.clone_htod(a))?;
    let db = driver("upload", stream.clone_htod(b))?;
    let mut out = driver("alloc", stream.alloc_zeros::<f32>(n))?;
    let (sa, sb, n64) = (st_layout(la)?, st_layout(lb)?, n as u64);
    let mut launch = stream.launch_builder(&f);
    launch
        .arg(&mut out)
        .arg(&da)
        .arg(&sa)
        .arg(&db)
        .arg(&sb)
        .arg(&n64)
        .arg(&op);
    // SAFETY: the arguments match binary_f32's signature; buffers hold n elements and the
    // layouts address only elements of their inputs.
    driver("launch binary_f32", unsafe {
        launch.launch(LaunchConfig::for_num_elems(n as u32))
    })?;
    driver("download", stream.clone_dtoh(&out))
}

fn launch_unary(
    ctx: &Arc<CudaContext>,
    module: &Arc<CudaModule>,
    x: &[f32],
    lx: &Layout,
    op: i32,
    arg: f32,
) -> Result<Vec<f32>> {
    let stream = ctx.default_stream();
    let f = driver("unary_f32", module.load_function("unary_f32"))?;
    let n = lx.numel();
    let dx = driver("upload", stream.clone_htod(x))?;
    let mut out = driver("alloc", stream.alloc_zeros::<f32>(n))?;
    let (sx, n64) = (st_layout(lx)?, n as u64);
    let mut launch = stream.launch_builder(&f);
    launch
        .arg(&mut out)
        .arg(&dx)
        .arg(&sx)
        .arg(&n64)
        .arg(&op)
        .arg(&arg);
    // SAFETY: the arguments match unary_f32's signature; the buffers hold n elements.
    driver("launch unary_f32", unsafe {
        launch.launch(LaunchConfig::for_num_elems(n as u32))
    })?;
    driver("download", stream.clone_dtoh(&out))
}
