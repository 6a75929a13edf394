//! The benchmark suite's training step (bench/cases.json: the case's recurrent layer, a Linear
//! from the last step, MSE or BCE-with-logits, Adam at 1e-3, float32, batch first, fixed random
//! data) through the core API alone, on any device: the seqtorch side of the GPU table, which
//! `tools/gpu_check.sh run` takes next to PyTorch's cuDNN anchors (bench/gpu/torch_cuda.py).
//! Each step ends by reading the loss (one synchronisation, as PyTorch's anchor synchronises).
//!
//!   cargo run --release -p seqtorch-core --features cuda --example train_step -- \
//!       [--device cpu|cuda:N] [--steps N] [--cases a,b] [--tf32]
//!       [--precision highest|high|medium] [--per-step]
//!
//! Prints one JSON object: per case, median and minimum ms per training step, the achieved
//! TFLOP/s of the recurrent products (counted as bench/cases.ts counts them) and, on a GPU, the
//! peak memory in MiB; a case that fails is reported with its error, the rest still run, and
//! the exit status is 1.

use std::time::Instant;

use seqtorch_core::autograd::backward;
use seqtorch_core::nn::loss::{bce_with_logits, mse, Reduction};
use seqtorch_core::nn::{embedding, linear};
use seqtorch_core::ops::random::{manual_seed, randint, randn};
use seqtorch_core::optim::{adam_step, AdamConfig, ParamState};
use seqtorch_core::rnn::{rnn_forward, with_whole_sequence, RnnConfig, RnnInput, RnnMode};
use seqtorch_core::{Device, Result, Tensor};
use serde_json::{json, Value};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const CASES: &str = include_str!("../../../bench/cases.json");

struct Model {
    cfg: RnnConfig,
    /// Embedding table (optional), the layer's weights, then the head's weight and bias.
    params: Vec<Tensor>,
    embedded: bool,
}

fn param(shape: &[usize], bound: f32, device: Device) -> Result<Tensor> {
    // PyTorch's default init for recurrent and linear weights: U(-1/sqrt(h), 1/sqrt(h)).
    randn(shape)?
        .mul_scalar(bound as f64 / 1.7)?
        .to_device(device)?
        .requires_grad_(true)
}

fn build(c: &Value, device: Device) -> Result<(Model, Tensor, Tensor, bool)> {
    manual_seed(0);
    let n = |k: &str| c[k].as_u64().unwrap_or(0) as usize;
    let mode = match c["cell"].as_str() {
        Some("GRU") => RnnMode::Gru,
        Some("RNN") => RnnMode::Tanh,
        _ => RnnMode::Lstm,
    };
    let cfg = RnnConfig {
        mode,
        input_size: n("input"),
        hidden_size: n("hidden"),
        num_layers: n("layers"),
        bias: true,
        batch_first: true,
        dropout: if n("layers") > 1 {
            c["dropout"].as_f64().unwrap_or(0.0) as f32
        } else {
            0.0
        },
        bidirectional: c["bidirectional"].as_bool().unwrap_or(false),
        proj_size: 0,
    };
    let bound = 1.0 / (cfg.hidden_size as f32).sqrt();
    let mut params = Vec::new();
    let embedded = c.get("embedding").is_some();
    if embedded {
        params.push(param(
            &[
                c["embedding"]["vocab"].as_u64().unwrap_or(1) as usize,
                cfg.input_size,
            ],
            1.0,
            device,
        )?);
    }
    for s in cfg.weight_shapes() {
        params.push(param(&s, bound, device)?);
    }
    let feat = cfg.hidden_size * cfg.directions();
    params.push(param(&[1, feat], 1.0 / (feat as f32).sqrt(), device)?);
    params.push(param(&[1], 1.0 / (feat as f32).sqrt(), device)?);
    let (batch, seq) = (n("batch"), n("seq"));
    let x = if embedded {
        let vocab = c["embedding"]["vocab"].as_i64().unwrap_or(2);
        randint(1, vocab, &[batch, seq])?
    } else {
        randn(&[batch, seq, cfg.input_size])?
    }
    .to_device(device)?;
    let bce = c["loss"].as_str() == Some("BCEWithLogits");
    let y = if bce {
        randint(0, 2, &[batch, 1])?.to_dtype(seqtorch_core::DType::F32)?
    } else {
        randn(&[batch, 1])?
    }
    .to_device(device)?;
    Ok((
        Model {
            cfg,
            params,
            embedded,
        },
        x,
        y,
        bce,
    ))
}

/// The recurrent products' flops in one training step (forward and the two backward products),
/// as bench/cases.ts counts them.
fn recurrent_flops(cfg: &RnnConfig, batch: usize, seq: usize) -> f64 {
    let (g, h, d) = (
        cfg.mode.gates() as f64,
        cfg.hidden_size as f64,
        cfg.directions() as f64,
    );
    (0..cfg.num_layers)
        .map(|l| {
            let input = if l == 0 { cfg.input_size as f64 } else { h * d };
            d * 3.0 * 2.0 * g * h * (input + h) * batch as f64 * seq as f64
        })
        .sum()
}

fn step(
    m: &Model,
    x: &Tensor,
    y: &Tensor,
    bce: bool,
    states: &mut [ParamState],
    adam: &AdamConfig,
) -> Result<f64> {
    m.params.iter().try_for_each(|p| p.set_grad(None))?;
    let (input, first) = if m.embedded {
        (embedding(&m.params[0], x, Some(0))?, 1)
    } else {
        (x.clone(), 0)
    };
    let n = m.params.len();
    let out = rnn_forward(
        &m.cfg,
        RnnInput {
            input: &input,
            batch_sizes: None,
            hx: None,
            cx: None,
            weights: &m.params[first..n - 2],
            training: true,
        },
    )?;
    let pred = linear(
        &out.output.select(1, -1)?,
        &m.params[n - 2],
        Some(&m.params[n - 1]),
    )?;
    let loss = if bce {
        bce_with_logits(&pred, y, None, None, Reduction::Mean)?
    } else {
        mse(&pred, y, Reduction::Mean)?
    };
    backward(&loss, None, false)?;
    adam_step(adam, &m.params, states)?;
    loss.item()
}

fn main() -> Result<()> {
    // As the Node addon does: freed step buffers stay mapped for a minute instead of coming back
    // as freshly zeroed pages (10% of m-lstm512's step in `clear_page` without it).
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: sets one integer option of the allocator (15: mi_option_purge_delay).
        unsafe { libmimalloc_sys::mi_option_set(15, 60_000) };
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let opt = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let device = Device::parse(&opt("--device").unwrap_or_else(|| "cpu".into()))?;
    // The GPU's recurrence step by step (two launches a step) instead of one launch per
    // direction (rnn/sequence.rs): the GPU check times both.
    let per_step = args.iter().any(|a| a == "--per-step");
    let steps: usize = opt("--steps")
        .and_then(|s| s.parse().ok())
        .unwrap_or(10usize)
        .max(1);
    let wanted: Vec<String> = opt("--cases")
        .map(|s| s.split(',').map(String::from).collect())
        .unwrap_or_default();
    #[cfg(feature = "cuda")]
    seqtorch_core::backend::cuda::set_allow_tf32(args.iter().any(|a| a == "--tf32"));
    if let Some(p) = opt("--precision") {
        // After --tf32: 'high' and 'medium' also allow TF32 on a GPU.
        let p = seqtorch_core::precision::MatmulPrecision::parse(&p)?;
        seqtorch_core::precision::set_float32_matmul_precision(p);
    }
    let suite: Value = serde_json::from_str(CASES).expect("bench/cases.json is JSON");
    let adam = AdamConfig {
        lr: 1e-3,
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        weight_decay: 0.0,
        amsgrad: false,
        decoupled: false,
        maximize: false,
    };
    let mut report = Vec::new();
    let mut failed = false;
    for c in suite["cases"].as_array().expect("a case list") {
        let name = c["name"].as_str().unwrap_or("?");
        if !wanted.is_empty() && !wanted.iter().any(|w| w == name) {
            continue;
        }
        // One case failing (on a GPU seen for the first time, say) still leaves the others'
        // numbers in the report.
        let entry = time_case(c, device, steps, per_step, &adam).unwrap_or_else(|e| {
            failed = true;
            json!({ "name": name, "error": e.to_string() })
        });
        eprintln!("{entry}");
        report.push(entry);
    }
    println!(
        "{}",
        json!({
            "device": device.to_string(),
            "tf32": args.iter().any(|a| a == "--tf32"),
            "recurrence": if per_step { "per-step" } else { "whole-sequence" },
            "cases": report
        })
    );
    if failed {
        // After the report: the caller (the GPU check) sees a failed stage.
        seqtorch_core::bail!(value, "some cases failed: their errors are in the report");
    }
    Ok(())
}

/// One case's training steps: median and minimum ms, the recurrent products' TFLOP/s and, on
/// a GPU, the peak memory its buffers held (as PyTorch's anchor reads `max_memory_allocated`
/// after emptying the cache and resetting the peak before building the model).
fn time_case(
    c: &Value,
    device: Device,
    steps: usize,
    per_step: bool,
    adam: &AdamConfig,
) -> Result<Value> {
    use seqtorch_core::backend::cuda;
    if let Device::Cuda(i) = device {
        cuda::empty_cache(i)?;
        cuda::reset_peak_memory_stats(i)?;
    }
    let (model, x, y, bce) = build(c, device)?;
    let mut states = vec![ParamState::default(); model.params.len()];
    let mut times = Vec::with_capacity(steps);
    let mut loss = 0.0;
    with_whole_sequence(!per_step, || -> Result<()> {
        for _ in 0..2 {
            step(&model, &x, &y, bce, &mut states, adam)?;
        }
        for _ in 0..steps {
            let t = Instant::now();
            loss = step(&model, &x, &y, bce, &mut states, adam)?;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        Ok(())
    })?;
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    let flops = recurrent_flops(
        &model.cfg,
        c["batch"].as_u64().unwrap_or(0) as usize,
        c["seq"].as_u64().unwrap_or(0) as usize,
    );
    let peak_gpu_mb = match device {
        Device::Cuda(i) => Some(cuda::memory_stats(i)?.peak_allocated as f64 / (1u64 << 20) as f64),
        Device::Cpu => None,
    };
    Ok(json!({
        "name": c["name"],
        "medianMs": median,
        "minMs": times[0],
        "steps": steps,
        "lastLoss": loss,
        "recurrentTflops": flops / (median / 1000.0) / 1e12,
        "peakGpuMb": peak_gpu_mb,
    }))
}
