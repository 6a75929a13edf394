//! The recurrent stack in tensor ops (`rnn_forward_reference`, the CUDA body), both ways: LSTM
//! and GRU directions as one whole-sequence op (`rnn/sequence.rs`), and step by step around the
//! fused cell op; against the fused CPU kernels, on the CPU and,
//! where a GPU is usable, on cuda:0: outputs, final states and the gradient of every input and
//! weight, over every mode, layers, directions, projections, packed sequences, unbatched input,
//! initial states, no bias, and inter-layer dropout (same seed, same mask). Its gradients also pass the finite-difference check. Tolerance:
//! |a - b| <= 1e-5 + 1e-4 |b| (the two sum products in different orders).

mod common;

use common::{check, rnn_config as config, values};
use seqtorch_core::autograd::backward;
use seqtorch_core::ops::random::manual_seed;
use seqtorch_core::rnn::{
    rnn_forward, rnn_forward_reference, with_whole_sequence, RnnConfig, RnnInput, RnnMode,
};
use seqtorch_core::{Device, Result, Tensor};

/// Dropout cases seed the global generator: runs of one case are kept together.
static SEEDED: std::sync::Mutex<()> = std::sync::Mutex::new(());

struct Case {
    name: &'static str,
    cfg: RnnConfig,
    x_shape: Vec<usize>,
    states: bool,
    batch_sizes: Option<Vec<usize>>,
    dropout_seed: Option<u64>,
}

/// The leaves of a case: x, the optional states, every weight (values scaled to stay away from
/// saturation).
fn leaves(case: &Case) -> Vec<(Vec<f32>, Vec<usize>)> {
    let cfg = &case.cfg;
    let ld = cfg.num_layers * cfg.directions();
    let unbatched = case.x_shape.len() == 2 && case.batch_sizes.is_none();
    let batch = match &case.batch_sizes {
        Some(bs) => bs[0],
        None if unbatched => 1,
        None if cfg.batch_first => case.x_shape[0],
        None => case.x_shape[1],
    };
    let state = |size: usize| {
        if unbatched {
            vec![ld, size]
        } else {
            vec![ld, batch, size]
        }
    };
    let arg = |shape: Vec<usize>, seed: u64, scale: f32| {
        let n = shape.iter().product();
        (
            values(n, seed).into_iter().map(|v| v * scale).collect(),
            shape,
        )
    };
    let mut out = vec![arg(case.x_shape.clone(), 1, 1.0)];
    if case.states {
        out.push(arg(state(cfg.output_size()), 2, 0.8));
        if cfg.mode == RnnMode::Lstm {
            out.push(arg(state(cfg.hidden_size), 3, 0.8));
        }
    }
    for (i, s) in cfg.weight_shapes().into_iter().enumerate() {
        out.push(arg(s, 10 + i as u64, 0.6));
    }
    out
}

fn forward(case: &Case, t: &[Tensor], reference: bool) -> Result<Tensor> {
    let lstm = case.cfg.mode == RnnMode::Lstm;
    let n_states = if case.states {
        1 + usize::from(lstm)
    } else {
        0
    };
    if let Some(seed) = case.dropout_seed {
        manual_seed(seed);
    }
    let inp = RnnInput {
        input: &t[0],
        batch_sizes: case.batch_sizes.as_deref(),
        hx: (n_states > 0).then(|| &t[1]),
        cx: (n_states > 1).then(|| &t[2]),
        weights: &t[1 + n_states..],
        training: true,
    };
    let out = if reference {
        rnn_forward_reference(&case.cfg, inp)?
    } else {
        rnn_forward(&case.cfg, inp)?
    };
    let mut parts = vec![out.output.flatten()?, out.h_n.flatten()?];
    if let Some(c) = out.c_n {
        parts.push(c.flatten()?);
    }
    Tensor::cat(&parts, 0)
}

fn data(t: &Tensor) -> Vec<f32> {
    t.host().unwrap().f32("test").unwrap().to_vec()
}

/// Outputs and the gradient of sum(outputs * u) for a fixed u, for every leaf.
fn run(case: &Case, reference: bool) -> (Vec<f32>, Vec<Vec<f32>>) {
    run_on(case, Device::Cpu, reference)
}

/// `run` with every leaf made on `device`.
fn run_on(case: &Case, device: Device, reference: bool) -> (Vec<f32>, Vec<Vec<f32>>) {
    let leaves: Vec<Tensor> = leaves(case)
        .into_iter()
        .map(|(v, s)| {
            Tensor::from_f32(v, s)
                .and_then(|t| t.to_device(device))
                .and_then(|t| t.requires_grad_(true))
                .unwrap()
        })
        .collect();
    let y = forward(case, &leaves, reference).unwrap();
    let u = Tensor::from_f32(values(y.shape()[0], 99), vec![y.shape()[0]])
        .and_then(|t| t.to_device(device))
        .unwrap();
    let loss = y.mul(&u).unwrap().sum(None, false).unwrap();
    backward(&loss, None, false).unwrap();
    let grads = leaves
        .iter()
        .map(|l| l.grad().map(|g| data(&g)).unwrap_or_default())
        .collect();
    (data(&y), grads)
}

fn close(what: &str, a: &[f32], b: &[f32]) {
    assert_eq!(a.len(), b.len(), "{what}: length");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!(
            (x - y).abs() <= 1e-5 + 1e-4 * y.abs(),
            "{what}: element {i}: tensor ops {x} vs fused {y}"
        );
    }
}

fn cases() -> Vec<Case> {
    let mut v = Vec::new();
    let mut add =
        |name, cfg, x_shape: &[usize], states, batch_sizes: Option<Vec<usize>>, dropout_seed| {
            v.push(Case {
                name,
                cfg,
                x_shape: x_shape.to_vec(),
                states,
                batch_sizes,
                dropout_seed,
            })
        };
    let mut lstm2bi = config(RnnMode::Lstm, 3, 4, 2);
    lstm2bi.bidirectional = true;
    add(
        "lstm 2 layers bidirectional, states",
        lstm2bi,
        &[4, 2, 3],
        true,
        None,
        None,
    );
    let mut gru = config(RnnMode::Gru, 3, 3, 2);
    gru.bidirectional = true;
    gru.batch_first = true;
    add(
        "gru batch-first bidirectional",
        gru,
        &[2, 4, 3],
        false,
        None,
        None,
    );
    let mut tanh = config(RnnMode::Tanh, 2, 4, 2);
    tanh.bias = false;
    add(
        "rnn tanh, no bias, states",
        tanh,
        &[5, 3, 2],
        true,
        None,
        None,
    );
    let mut relu = config(RnnMode::Relu, 3, 5, 1);
    relu.batch_first = true;
    add("rnn relu batch-first", relu, &[3, 4, 3], true, None, None);
    let mut proj = config(RnnMode::Lstm, 3, 5, 2);
    proj.proj_size = 2;
    proj.bidirectional = true;
    add(
        "lstm projection bidirectional",
        proj,
        &[3, 2, 3],
        true,
        None,
        None,
    );
    let mut packed = config(RnnMode::Lstm, 2, 3, 1);
    packed.bidirectional = true;
    add(
        "lstm packed (3, 2, 1)",
        packed,
        &[6, 2],
        true,
        Some(vec![3, 2, 1]),
        None,
    );
    let mut gru_packed = config(RnnMode::Gru, 2, 3, 2);
    gru_packed.bidirectional = true;
    add(
        "gru packed (3, 2, 2), 2 layers",
        gru_packed,
        &[7, 2],
        false,
        Some(vec![3, 2, 2]),
        None,
    );
    add(
        "rnn packed (2, 2, 1, 1) with states",
        config(RnnMode::Tanh, 2, 3, 1),
        &[6, 2],
        true,
        Some(vec![2, 2, 1, 1]),
        None,
    );
    add(
        "gru unbatched",
        config(RnnMode::Gru, 3, 4, 1),
        &[5, 3],
        true,
        None,
        None,
    );
    add(
        "lstm unbatched",
        config(RnnMode::Lstm, 3, 4, 1),
        &[5, 3],
        true,
        None,
        None,
    );
    let mut dropout = config(RnnMode::Lstm, 2, 3, 3);
    dropout.dropout = 0.4;
    add(
        "lstm 3 layers, dropout 0.4 (same seed)",
        dropout,
        &[3, 2, 2],
        false,
        None,
        Some(1234),
    );
    let mut big = config(RnnMode::Gru, 16, 32, 2);
    big.batch_first = true;
    add(
        "gru 16 -> 32, 2 layers, batch 5, 9 steps",
        big,
        &[5, 9, 16],
        true,
        None,
        None,
    );
    v
}

/// The stack's two tensor-op paths: LSTM and GRU directions as one whole-sequence op, or step
/// by step (what larger hidden sizes and projections run on CUDA).
const PATHS: [(bool, &str); 2] = [(true, "whole-sequence"), (false, "per-step")];

#[test]
fn tensor_op_stack_matches_the_fused_kernels_with_every_gradient() {
    let _guard = SEEDED.lock().unwrap_or_else(|e| e.into_inner());
    for (whole, path) in PATHS {
        for case in cases() {
            let (y_ref, g_ref) = with_whole_sequence(whole, || run(&case, true));
            let (y_fused, g_fused) = run(&case, false);
            let name = format!("{} ({path})", case.name);
            close(&format!("{name}: outputs"), &y_ref, &y_fused);
            assert_eq!(g_ref.len(), g_fused.len());
            for (i, (a, b)) in g_ref.iter().zip(&g_fused).enumerate() {
                assert!(!b.is_empty(), "{name}: leaf {i} got no fused gradient");
                close(&format!("{name}: gradient of leaf {i}"), a, b);
            }
        }
    }
}

/// Every case with its tensors on cuda:0 (the tensor-op stack with the CUDA cell kernels and
/// cuBLAS, TF32 off) against the fused CPU kernels. Without a GPU it says it was skipped and why.
#[cfg(feature = "cuda")]
#[test]
fn every_case_on_the_gpu_matches_the_fused_cpu_kernels() {
    let Some(gpu) = common::gpu_device() else {
        return;
    };
    let _guard = SEEDED.lock().unwrap_or_else(|e| e.into_inner());
    for (whole, path) in PATHS {
        for case in cases() {
            let (y_gpu, g_gpu) = with_whole_sequence(whole, || run_on(&case, gpu, false));
            let (y_cpu, g_cpu) = run(&case, false);
            let name = format!("{} on the GPU ({path})", case.name);
            close(&format!("{name}: outputs"), &y_gpu, &y_cpu);
            for (i, (a, b)) in g_gpu.iter().zip(&g_cpu).enumerate() {
                assert!(!a.is_empty(), "{name}: leaf {i} got no GPU gradient");
                close(&format!("{name}: gradient of leaf {i}"), a, b);
            }
        }
    }
}

#[test]
fn tensor_op_stack_gradients_pass_finite_differences() {
    for (whole, _) in PATHS {
        for case in cases()
            .into_iter()
            .filter(|c| c.dropout_seed.is_none() && c.cfg.hidden_size < 10)
        {
            let inputs = leaves(&case);
            let name = case.name;
            with_whole_sequence(whole, || {
                check(name, inputs, move |t| forward(&case, t, true))
            });
        }
    }
}
