//! A whole recurrent stack (layers x directions) as one autograd node with three outputs:
//! the last layer's outputs, the final hidden states and (LSTM) the final cell states.

use std::borrow::Cow;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use super::config::{RnnConfig, RnnMode};
use super::direction::{self, DirForward, DirGrads, DirWeights};
use super::layout::{batch_first_output, swap_leading, StepLayout};
use super::step_weights::{HhBf16, HhPanels, StepWeights};
use super::stream_split;
use crate::autograd::{is_grad_enabled, CustomBackward, Node};
use crate::backend::fused::{self, FusedOp};
use crate::kernels::gemm::runs_on_bf16;
use crate::kernels::gemm_bf16::PackedB;
use crate::kernels::transpose::transpose;
use crate::shape::fmt_shape;
use crate::{bail, threads, DType, HostData, Result, Tensor};

/// Inputs of one forward call. `input` is padded ([T, B, I], or [B, T, I] when batch-first, or
/// [T, I] unbatched) unless `batch_sizes` is given, in which case it is the data of a packed
/// batch ([rows, I]) with PyTorch's `batch_sizes`.
pub struct RnnInput<'a> {
    pub input: &'a Tensor,
    pub batch_sizes: Option<&'a [usize]>,
    pub hx: Option<&'a Tensor>,
    pub cx: Option<&'a Tensor>,
    pub weights: &'a [Tensor],
    pub training: bool,
}

pub struct RnnOutput {
    pub output: Tensor,
    pub h_n: Tensor,
    /// LSTM only.
    pub c_n: Option<Tensor>,
}

/// How the user's tensors map onto the step-major rows the kernels use.
#[derive(Clone, Copy)]
struct Shape {
    steps: usize,
    batch: usize,
    unbatched: bool,
    packed: bool,
}

impl Shape {
    /// Whether the caller's tensors are batch-first while the kernels run step-major: the
    /// input, the output and their gradients are then reordered.
    fn reordered(&self, cfg: &RnnConfig) -> bool {
        cfg.batch_first && !self.unbatched && !self.packed
    }
}

fn f32_data(t: &Tensor, what: &str) -> Result<Vec<f32>> {
    Ok(t.host()?.f32(what)?.to_vec())
}

fn tuple(shape: &[usize]) -> String {
    let parts: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    format!("({})", parts.join(", "))
}

fn check_weights(cfg: &RnnConfig, weights: &[Tensor]) -> Result<()> {
    let shapes = cfg.weight_shapes();
    if weights.len() != shapes.len() {
        bail!(
            value,
            "{}: expected {} weight tensors, got {}",
            cfg.mode.name(),
            shapes.len(),
            weights.len()
        );
    }
    for (i, (w, s)) in weights.iter().zip(&shapes).enumerate() {
        if w.shape() != s.as_slice() {
            bail!(
                value,
                "{}: weight {i} should have shape {}, got {}",
                cfg.mode.name(),
                fmt_shape(s),
                fmt_shape(w.shape())
            );
        }
        if w.dtype() != DType::F32 {
            bail!(type, "{}: weights must be float32", cfg.mode.name());
        }
    }
    Ok(())
}

fn input_shape(cfg: &RnnConfig, inp: &RnnInput) -> Result<(Shape, Vec<usize>)> {
    let name = cfg.mode.name();
    let x = inp.input;
    if x.dtype() != DType::F32 {
        bail!(type, "{name}: input must be float32, got {}", x.dtype());
    }
    if let Some(bs) = inp.batch_sizes {
        if x.ndim() != 2 {
            bail!(
                value,
                "{name}: packed input data must be 2-D, got {}-D",
                x.ndim()
            );
        }
        if bs.is_empty() || bs.contains(&0) || bs.windows(2).any(|w| w[1] > w[0]) {
            bail!(
                value,
                "{name}: batch_sizes must be positive and non-increasing"
            );
        }
        let total = bs.iter().try_fold(0usize, |a, &b| a.checked_add(b));
        if total != Some(x.shape()[0]) {
            bail!(
                value,
                "{name}: batch_sizes add up to {} rows, but the data has {}",
                total.map_or("more than 2^64".to_string(), |t| t.to_string()),
                x.shape()[0]
            );
        }
        check_feature(cfg, x)?;
        let shape = Shape {
            steps: bs.len(),
            batch: bs[0],
            unbatched: false,
            packed: true,
        };
        return Ok((shape, bs.to_vec()));
    }
    if x.ndim() != 2 && x.ndim() != 3 {
        bail!(
            value,
            "{name}: Expected input to be 2D or 3D, got {}D instead",
            x.ndim()
        );
    }
    check_feature(cfg, x)?;
    let s = x.shape();
    let shape = if x.ndim() == 2 {
        Shape {
            steps: s[0],
            batch: 1,
            unbatched: true,
            packed: false,
        }
    } else if cfg.batch_first {
        Shape {
            steps: s[1],
            batch: s[0],
            unbatched: false,
            packed: false,
        }
    } else {
        Shape {
            steps: s[0],
            batch: s[1],
            unbatched: false,
            packed: false,
        }
    };
    if shape.steps == 0 {
        bail!(value, "Expected sequence length to be larger than 0 in RNN");
    }
    if shape.batch == 0 {
        // Nothing to run; the caller returns empty outputs (no per-step layout needed).
        return Ok((shape, Vec::new()));
    }
    let batch_sizes = crate::memory::filled(name, &[shape.steps], shape.batch)?;
    Ok((shape, batch_sizes))
}

/// Refuses, before anything is allocated, a forward (and backward) whose workspaces exceed the
/// memory ceiling: their size grows with the hidden size and sequence, not with the input.
fn check_workspace(cfg: &RnnConfig, rows: usize, needs_grad: bool) -> Result<()> {
    let (hid, out, d) = (
        cfg.hidden_size as u128,
        cfg.output_size() as u128,
        cfg.directions() as u128,
    );
    let g = cfg.mode.gates() as u128 * hid;
    let in_max = (cfg.input_size as u128).max(d * out);
    // Per row and direction: projections and activations (2 g), outputs and saved states.
    let per_row = 2 * g + 3 * out + 4 * hid + in_max;
    let layers = if needs_grad {
        cfg.num_layers as u128
    } else {
        1
    };
    let floats = rows as u128 * per_row * d * layers * if needs_grad { 2 } else { 1 };
    crate::memory::check_bytes(cfg.mode.name(), "the recurrent workspace", floats * 4)
}

fn check_feature(cfg: &RnnConfig, x: &Tensor) -> Result<()> {
    let got = x.shape()[x.ndim() - 1];
    if got != cfg.input_size {
        bail!(
            value,
            "input.size(-1) must be equal to input_size. Expected {}, got {got}",
            cfg.input_size
        );
    }
    Ok(())
}

/// Checks hx / cx against PyTorch's expectations and returns them as flat [L*D, B, *] data.
fn initial_states(cfg: &RnnConfig, shape: Shape, inp: &RnnInput) -> Result<(Vec<f32>, Vec<f32>)> {
    let ld = cfg.num_layers * cfg.directions();
    let (out, hid, b) = (cfg.output_size(), cfg.hidden_size, shape.batch);
    let lstm = cfg.mode == RnnMode::Lstm;
    if lstm && inp.hx.is_some() != inp.cx.is_some() {
        bail!(
            value,
            "LSTM: hx and cx must be given together, as the tuple (h_0, c_0)"
        );
    }
    if let Some(h) = inp.hx {
        let want_dims = if shape.unbatched { 2 } else { 3 };
        let dims_ok = h.ndim() == want_dims && inp.cx.is_none_or(|c| c.ndim() == want_dims);
        if !dims_ok {
            let (kind, d) = if shape.unbatched {
                ("unbatched 2-D", "2-D")
            } else {
                ("batched 3-D", "3-D")
            };
            match inp.cx {
                Some(c) => bail!(
                    value,
                    "For {kind} input, hx and cx should also be {d} but got ({}-D, {}-D) tensors",
                    h.ndim(),
                    c.ndim()
                ),
                None => bail!(
                    value,
                    "For {kind} input, hx should also be {d} but got {}-D tensor",
                    h.ndim()
                ),
            }
        }
        // PyTorch checks unbatched states after adding the batch dimension of size 1.
        let as_batched = |t: &Tensor| -> Vec<usize> {
            let mut s = t.shape().to_vec();
            if shape.unbatched {
                s.insert(1, 1);
            }
            s
        };
        let expected_h = [ld, b, out];
        if as_batched(h) != expected_h {
            let label = if lstm { "hidden[0]" } else { "hidden" };
            bail!(
                value,
                "Expected {label} size {}, got {}",
                tuple(&expected_h),
                fmt_shape(&as_batched(h))
            );
        }
        if let Some(c) = inp.cx {
            let expected_c = [ld, b, hid];
            if as_batched(c) != expected_c {
                bail!(
                    value,
                    "Expected hidden[1] size {}, got {}",
                    tuple(&expected_c),
                    fmt_shape(&as_batched(c))
                );
            }
        }
    }
    let h0 = match inp.hx {
        Some(h) => f32_data(h, "hx")?,
        None => vec![0.0; ld * b * out],
    };
    let c0 = match (lstm, inp.cx) {
        (true, Some(c)) => f32_data(c, "cx")?,
        (true, None) => vec![0.0; ld * b * hid],
        (false, _) => Vec::new(),
    };
    Ok((h0, c0))
}

/// Runs `a` and `b`, in parallel when the pool has more than one thread.
fn join<A: Send, B: Send>(a: impl FnOnce() -> A + Send, b: impl FnOnce() -> B + Send) -> (A, B) {
    if threads::get_num_threads() > 1 {
        threads::install(|| rayon::join(a, b))
    } else {
        (a(), b())
    }
}

/// Per layer: its input rows, each direction's forward state, and the dropout mask applied to
/// its output (none for the last layer or in evaluation).
struct LayerState {
    input: Vec<f32>,
    dirs: Vec<DirForward>,
    mask: Option<Vec<f32>>,
}

struct Weights<'a> {
    per_dir: Vec<DirWeights<'a>>,
}

/// How many transposed weight copies have been built (a prepared layout is built once per
/// weight version; tests use this to prove steps reuse them).
static PREPARED_BUILDS: AtomicUsize = AtomicUsize::new(0);

pub fn prepared_weight_builds() -> usize {
    PREPARED_BUILDS.load(Ordering::Relaxed)
}

/// Counts one prepared layout built elsewhere in the module (`stream_split`'s shares).
pub(super) fn count_prepared_build() {
    PREPARED_BUILDS.fetch_add(1, Ordering::Relaxed);
}

/// `w` ([rows, cols]) transposed, cached on the weight until its next in-place write.
fn prepared_transpose(w: &Tensor) -> Result<Arc<Vec<f32>>> {
    w.derived(|w| {
        PREPARED_BUILDS.fetch_add(1, Ordering::Relaxed);
        let (rows, cols) = (w.shape()[0], w.shape()[1]);
        w.with_f32("rnn weight", |v| transpose(v, rows, cols))
    })
}

/// Sequences (batch rows) below which an inference forward over several steps may be split
/// by hidden units (`stream_split`): from 16 the time loop runs row blocks on separate
/// threads (`direction::row_blocks`).
const SPLIT_MAX_SEQUENCE_BATCH: usize = 16;

/// Input rows up to which a layer counts as a streaming step (one row per sequence): its input
/// projection reads a prepared W_ih^T instead of packing W_ih (above it the packed GEMM's copy
/// is amortised), and its step products keep W_hh^T row-major for the one-row kernel.
const PREPARED_INPUT_MAX_ROWS: usize = 64;

/// `w` (W_hh, [g, out]) packed for bf16 step products, cached like `prepared_transpose`.
fn prepared_bf16(w: &Tensor) -> Result<Arc<HhBf16>> {
    w.derived(|w| {
        PREPARED_BUILDS.fetch_add(1, Ordering::Relaxed);
        let (g, out) = (w.shape()[0], w.shape()[1]);
        w.with_f32("rnn weight", |v| HhBf16::new(v, g, out))
    })
}

/// `w` (W_ih, [g, in]) as W_ih^T packed for the bf16 input projection, cached like
/// `prepared_transpose`: inference at `'medium'` packed it at every call (1.7 ms on one thread
/// at m-lstm512, while the other waited; bench/NOTES.md).
fn prepared_bf16_ih(w: &Tensor) -> Result<Arc<PackedB>> {
    w.derived(|w| {
        PREPARED_BUILDS.fetch_add(1, Ordering::Relaxed);
        let (g, input) = (w.shape()[0], w.shape()[1]);
        w.with_f32("rnn weight", |v| PackedB::new(v, input, g, true))
    })
}

/// `w` (W_hh, [g, out]) packed in float32 panels both ways, cached like `prepared_transpose`.
fn prepared_panels(w: &Tensor) -> Result<Arc<HhPanels>> {
    w.derived(|w| {
        PREPARED_BUILDS.fetch_add(1, Ordering::Relaxed);
        let (g, out) = (w.shape()[0], w.shape()[1]);
        w.with_f32("rnn weight", |v| HhPanels::new(v, g, out))
    })
}

/// One direction's W_hh, (with a projection) W_hr and (for short inputs) W_ih, transposed; W_hh
/// packed instead for bf16 when the matmul precision asks for it, or in float32 panels when the
/// processor's kernel plan does.
enum PreparedHh {
    F32(Arc<Vec<f32>>),
    Panels(Arc<HhPanels>),
    Bf16(Arc<HhBf16>),
}

struct PreparedDirection {
    w_hh: PreparedHh,
    w_hr_t: Option<Arc<Vec<f32>>>,
    w_ih_t: Option<Arc<Vec<f32>>>,
    w_ih_bf16: Option<Arc<PackedB>>,
}

/// The weights read in place (no copies), plus each direction's prepared transposes.
struct WeightViews<'t> {
    host: Vec<HostData<'t>>,
    transposed: Vec<PreparedDirection>,
}

impl<'t> WeightViews<'t> {
    /// `rows`: input rows per direction (steps x batch), which decides whether W_ih^T pays.
    fn new(cfg: &RnnConfig, weights: &'t [Tensor], rows: usize) -> Result<WeightViews<'t>> {
        let k = cfg.weights_per_direction();
        let transposed = weights
            .chunks_exact(k)
            .map(|w| {
                let w_hr = (cfg.proj_size > 0).then(|| prepared_transpose(&w[k - 1]));
                let w_ih = (rows <= PREPARED_INPUT_MAX_ROWS).then(|| prepared_transpose(&w[0]));
                // The input projection on bf16 where `sgemm` would run it so (rows x in x g).
                let (g, input) = (w[0].shape()[0], w[0].shape()[1]);
                let w_ih_bf16 = (rows > PREPARED_INPUT_MAX_ROWS && runs_on_bf16(rows, input, g))
                    .then(|| prepared_bf16_ih(&w[0]));
                let w_hh = if crate::precision::cpu_bf16() {
                    PreparedHh::Bf16(prepared_bf16(&w[1])?)
                } else if crate::kernels::plan::plan().step_panels && rows > PREPARED_INPUT_MAX_ROWS
                {
                    // Streaming steps (a row or a few per step) keep W_hh^T row-major, where a
                    // single row streams it (`gemm_ab`'s row kernel; a one-row panel tile has
                    // two accumulator chains): 47-57 against 54-58 µs per step of the streaming
                    // bench's GRU on Zen 3, at this machine's noise.
                    PreparedHh::Panels(prepared_panels(&w[1])?)
                } else {
                    PreparedHh::F32(prepared_transpose(&w[1])?)
                };
                Ok(PreparedDirection {
                    w_hh,
                    w_hr_t: w_hr.transpose()?,
                    w_ih_t: w_ih.transpose()?,
                    w_ih_bf16: w_ih_bf16.transpose()?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        // Read guards last: building a transpose reads the weight too, and one thread should
        // not hold a lock while taking it again.
        let host = weights
            .iter()
            .map(|w| w.host())
            .collect::<Result<Vec<_>>>()?;
        Ok(WeightViews { host, transposed })
    }

    fn borrow(&self, cfg: &RnnConfig) -> Result<Weights<'_>> {
        let k = cfg.weights_per_direction();
        let data = self
            .host
            .iter()
            .map(|h| h.f32("rnn weight"))
            .collect::<Result<Vec<&[f32]>>>()?;
        let per_dir = data
            .chunks_exact(k)
            .zip(&self.transposed)
            .map(|(w, p)| {
                let mut i = 2;
                let (b_ih, b_hh) = if cfg.bias {
                    i += 2;
                    (Some(w[2]), Some(w[3]))
                } else {
                    (None, None)
                };
                let w_hr = (cfg.proj_size > 0).then(|| w[i]);
                DirWeights {
                    w_ih: w[0],
                    b_ih,
                    b_hh,
                    w_hr,
                    step: match &p.w_hh {
                        PreparedHh::F32(t) => StepWeights::Rows {
                            t: t.as_slice(),
                            rows: w[1],
                        },
                        PreparedHh::Panels(p) => StepWeights::Panels(p),
                        PreparedHh::Bf16(b) => StepWeights::Bf16(b),
                    },
                    w_hr_t: p.w_hr_t.as_deref().map(|v| v.as_slice()),
                    w_ih_t: p.w_ih_t.as_deref().map(|v| v.as_slice()),
                    w_ih_bf16: p.w_ih_bf16.as_deref(),
                }
            })
            .collect();
        Ok(Weights { per_dir })
    }
}

/// Interleaves per-direction outputs [rows, out] into [rows, D * out]: the batch-first output
/// of a single sequence of `rows` steps.
fn concat_directions(dirs: &[&[f32]], rows: usize, out: usize) -> Vec<f32> {
    if dirs.len() == 1 {
        return dirs[0].to_vec();
    }
    batch_first_output(dirs, rows, 1, out)
}

/// Direction `k`'s columns of [rows, D * out] (borrowed when there is one direction).
fn split_direction(y: &[f32], rows: usize, d: usize, out: usize, k: usize) -> Cow<'_, [f32]> {
    if d == 1 {
        return Cow::Borrowed(y);
    }
    let mut v = vec![0.0f32; rows * out];
    for r in 0..rows {
        v[r * out..(r + 1) * out].copy_from_slice(&y[(r * d + k) * out..(r * d + k + 1) * out]);
    }
    Cow::Owned(v)
}

/// Runs the stack. Records one autograd node when grad mode is on and anything requires grad.
/// A batch of zero sequences: outputs with a zero-size batch dimension, as PyTorch returns.
fn empty_output(cfg: &RnnConfig, shape: Shape, inp: &RnnInput) -> Result<RnnOutput> {
    let (d, out, hid) = (cfg.directions(), cfg.output_size(), cfg.hidden_size);
    let s = inp.input.shape();
    let mut out_shape = s.to_vec();
    *out_shape.last_mut().expect("2-D or 3-D input") = d * out;
    let state = |size: usize| vec![cfg.num_layers * d, shape.batch, size];
    Ok(RnnOutput {
        output: Tensor::zeros_f32(cfg.mode.name(), &out_shape)?,
        h_n: Tensor::zeros_f32(cfg.mode.name(), &state(out))?,
        c_n: if cfg.mode == RnnMode::Lstm {
            Some(Tensor::zeros_f32(cfg.mode.name(), &state(hid))?)
        } else {
            None
        },
    })
}

/// The whole stack as one fused op: CPU kernels now, CUDA's with the CUDA backend.
struct RnnStack<'a> {
    cfg: &'a RnnConfig,
    inp: RnnInput<'a>,
}

impl FusedOp for RnnStack<'_> {
    type Output = RnnOutput;

    fn name(&self) -> &'static str {
        self.cfg.mode.name()
    }

    fn operands(&self) -> Vec<&Tensor> {
        let mut v = vec![self.inp.input];
        v.extend(self.inp.hx);
        v.extend(self.inp.cx);
        v.extend(self.inp.weights.iter());
        v
    }

    fn cpu(self) -> Result<RnnOutput> {
        rnn_forward_cpu(self.cfg, self.inp)
    }

    /// The stack in tensor ops until fused CUDA kernels exist (see `composite`).
    fn cuda(self, _ordinal: usize) -> Result<RnnOutput> {
        rnn_forward_reference(self.cfg, self.inp)
    }
}

/// The stack written in tensor ops (`super::composite`), after the fused path's checks: the
/// CUDA body for now, and runnable on any device (the tests run it on the CPU against the
/// fused kernels and PyTorch's fixtures).
pub fn rnn_forward_reference(cfg: &RnnConfig, inp: RnnInput) -> Result<RnnOutput> {
    cfg.validate()?;
    check_weights(cfg, inp.weights)?;
    let (shape, batch_sizes) = input_shape(cfg, &inp)?;
    // Checks hx and cx with PyTorch's messages (the data it returns is not needed here).
    initial_states(cfg, shape, &inp)?;
    let device = inp.input.device();
    if shape.batch == 0 {
        let e = empty_output(cfg, shape, &inp)?;
        return Ok(RnnOutput {
            output: e.output.to_device(device)?,
            h_n: e.h_n.to_device(device)?,
            c_n: e.c_n.map(|c| c.to_device(device)).transpose()?,
        });
    }
    super::composite::rnn_forward_composite(
        cfg,
        &inp,
        shape.steps,
        shape.batch,
        shape.unbatched,
        &batch_sizes,
    )
}

/// One time step through the whole stack, for streaming: `input` is [batch, input_size] (or
/// [input_size] unbatched), states as in `rnn_forward`. Returns the last layer's output for
/// this step ([batch, D * out], a view) and the new states. Uses the same fused kernels and
/// prepared weights as a full forward.
pub fn rnn_step(cfg: &RnnConfig, inp: RnnInput) -> Result<RnnOutput> {
    if inp.batch_sizes.is_some() {
        bail!(
            value,
            "{}.step(): takes one time step, not a packed sequence",
            cfg.mode.name()
        );
    }
    if inp.input.ndim() != 1 && inp.input.ndim() != 2 {
        bail!(
            value,
            "{}.step(): expected one time step, [batch, input_size] or [input_size], got a {}-D tensor",
            cfg.mode.name(),
            inp.input.ndim()
        );
    }
    let time_major = RnnConfig {
        batch_first: false,
        ..cfg.clone()
    };
    let x = inp.input.unsqueeze(0)?;
    let out = rnn_forward(&time_major, RnnInput { input: &x, ..inp })?;
    Ok(RnnOutput {
        output: out.output.select(0, 0)?,
        ..out
    })
}

/// Runs the stack on the device its tensors share. Records one autograd node when grad mode is
/// on and anything requires grad.
pub fn rnn_forward(cfg: &RnnConfig, inp: RnnInput) -> Result<RnnOutput> {
    fused::run(RnnStack { cfg, inp })
}

/// The stack's outputs as tensors from the last layer's outputs (`x` step-major, or `x_last`
/// already batch-first where the shape is reordered) and the final states, before any autograd
/// node is attached.
fn output_tensors(
    cfg: &RnnConfig,
    shape: Shape,
    lay: &StepLayout,
    x: Vec<f32>,
    x_last: Vec<f32>,
    h_n: Vec<f32>,
    c_n: Vec<f32>,
) -> Result<RnnOutput> {
    let (d, b) = (cfg.directions(), shape.batch);
    let feat = d * cfg.output_size();
    let (out_data, out_shape) = if shape.packed {
        (x, vec![lay.rows, feat])
    } else if shape.unbatched {
        (x, vec![shape.steps, feat])
    } else if shape.reordered(cfg) {
        (x_last, vec![b, shape.steps, feat])
    } else {
        (x, vec![shape.steps, b, feat])
    };
    let state_shape = |size: usize| {
        if shape.unbatched {
            vec![cfg.num_layers * d, size]
        } else {
            vec![cfg.num_layers * d, b, size]
        }
    };
    Ok(RnnOutput {
        output: Tensor::from_f32(out_data, out_shape)?,
        h_n: Tensor::from_f32(h_n, state_shape(cfg.output_size()))?,
        c_n: if cfg.mode == RnnMode::Lstm {
            Some(Tensor::from_f32(c_n, state_shape(cfg.hidden_size))?)
        } else {
            None
        },
    })
}

fn rnn_forward_cpu(cfg: &RnnConfig, inp: RnnInput) -> Result<RnnOutput> {
    cfg.validate()?;
    check_weights(cfg, inp.weights)?;
    let (shape, batch_sizes) = input_shape(cfg, &inp)?;
    let (h0, c0) = initial_states(cfg, shape, &inp)?;
    if shape.batch == 0 {
        return empty_output(cfg, shape, &inp);
    }
    let lay = StepLayout::new(batch_sizes);

    let mut inputs: Vec<Tensor> = vec![inp.input.clone()];
    inputs.extend(inp.hx.cloned());
    inputs.extend(inp.cx.cloned());
    inputs.extend(inp.weights.iter().cloned());
    let needs_grad = is_grad_enabled() && inputs.iter().any(|t| t.requires_grad());
    check_workspace(cfg, lay.rows, needs_grad)?;

    // Read in place (a CPU tensor's storage is borrowed): one copy whether or not it is
    // reordered to step-major.
    let host = inp.input.host()?;
    let raw = host.f32("input")?;
    let x0 = if shape.reordered(cfg) {
        swap_leading(raw, shape.batch, shape.steps, cfg.input_size)
    } else {
        raw.to_vec()
    };
    drop(host);
    // Inference of one step (a streaming step, one row per sequence) or of a few sequences
    // (which the time loop below would run on one thread) whose weights outgrow a core's cache
    // or whose products are worth two cores: split by hidden units (not where training mode
    // drops out between layers).
    let dropout = inp.training && cfg.dropout > 0.0 && cfg.num_layers > 1;
    let split = (!needs_grad
        && !dropout
        && !shape.packed
        && shape.steps > 0
        && (shape.steps == 1 || shape.batch < SPLIT_MAX_SEQUENCE_BATCH))
        .then(|| stream_split::parties(cfg, shape.batch))
        .flatten();
    if let Some(parties) = split {
        let (steps, b) = (shape.steps, shape.batch);
        let run = stream_split::forward(cfg, &x0, steps, b, inp.weights, &h0, &c0, parties)?;
        let (x, x_last) = if shape.reordered(cfg) {
            (Vec::new(), swap_leading(&run.y, steps, b, cfg.hidden_size))
        } else {
            (run.y, Vec::new())
        };
        return output_tensors(cfg, shape, &lay, x, x_last, run.h_n, run.c_n);
    }
    let views = WeightViews::new(cfg, inp.weights, lay.rows)?;
    let weights = views.borrow(cfg)?;

    let (d, out, hid, b) = (
        cfg.directions(),
        cfg.output_size(),
        cfg.hidden_size,
        shape.batch,
    );
    let mut layers: Vec<LayerState> = Vec::with_capacity(cfg.num_layers);
    let mut x = x0;
    let mut x_last = Vec::new();
    let mut h_n = vec![0.0f32; cfg.num_layers * d * b * out];
    let mut c_n = vec![
        0.0f32;
        if cfg.mode == RnnMode::Lstm {
            cfg.num_layers * d * b * hid
        } else {
            0
        }
    ];
    for l in 0..cfg.num_layers {
        let in_size = cfg.layer_input_size(l);
        let run = |k: usize| {
            let i = l * d + k;
            let (h0k, c0k) = (
                &h0[i * b * out..(i + 1) * b * out],
                c0.get(i * b * hid..(i + 1) * b * hid).unwrap_or(&[]),
            );
            direction::forward(
                cfg,
                &lay,
                &x,
                in_size,
                &weights.per_dir[i],
                h0k,
                c0k,
                k == 1,
                needs_grad,
            )
        };
        let dirs = if d == 2 {
            let (f, r) = join(|| run(0), || run(1));
            vec![f, r]
        } else {
            vec![run(0)]
        };
        for (k, dir) in dirs.iter().enumerate() {
            let i = l * d + k;
            h_n[i * b * out..(i + 1) * b * out].copy_from_slice(&dir.h_n);
            if !c_n.is_empty() {
                c_n[i * b * hid..(i + 1) * b * hid].copy_from_slice(&dir.c_n);
            }
        }
        let ys: Vec<&[f32]> = dirs.iter().map(|dir| &dir.y[..]).collect();
        let last = l + 1 == cfg.num_layers;
        let (y, mask) = if last && shape.reordered(cfg) {
            // Straight into the output's order: one copy instead of an interleaved copy and
            // then a reordered one.
            x_last = batch_first_output(&ys, shape.steps, b, out);
            (Vec::new(), None)
        } else {
            let mut y = concat_directions(&ys, lay.rows, out);
            let mask = if inp.training && cfg.dropout > 0.0 && !last {
                let m = crate::nn::dropout::mask(&[y.len()], cfg.dropout as f64)?;
                y.iter_mut().zip(&m).for_each(|(v, s)| *v *= s);
                Some(m)
            } else {
                None
            };
            (y, mask)
        };
        let layer_input = std::mem::replace(&mut x, y);
        layers.push(LayerState {
            input: if needs_grad { layer_input } else { Vec::new() },
            dirs: if needs_grad { dirs } else { Vec::new() },
            mask: if needs_grad { mask } else { None },
        });
    }

    // `x` now holds the last layer's (undropped) outputs, step-major, or `x_last` batch-first.
    let RnnOutput { output, h_n, c_n } = output_tensors(cfg, shape, &lay, x, x_last, h_n, c_n)?;
    if !needs_grad {
        return Ok(RnnOutput { output, h_n, c_n });
    }
    let node = Node::new(crate::autograd::Op::Custom(Box::new(RnnBackward {
        cfg: cfg.clone(),
        shape,
        lay,
        layers,
        num_weights: inp.weights.len(),
        inputs,
        has_hx: inp.hx.is_some(),
        has_cx: inp.cx.is_some(),
    })));
    let node: Option<Arc<Node>> = Some(node);
    Ok(RnnOutput {
        output: output.with_grad_fn_output(node.clone(), 0),
        h_n: h_n.with_grad_fn_output(node.clone(), 1),
        c_n: c_n.map(|c| c.with_grad_fn_output(node, 2)),
    })
}

struct RnnBackward {
    cfg: RnnConfig,
    shape: Shape,
    lay: StepLayout,
    layers: Vec<LayerState>,
    /// The weights are the last `num_weights` inputs, read again in backward (their versions
    /// are checked first, so they are the values forward used).
    num_weights: usize,
    inputs: Vec<Tensor>,
    has_hx: bool,
    has_cx: bool,
}

impl CustomBackward for RnnBackward {
    fn name(&self) -> &'static str {
        match self.cfg.mode {
            RnnMode::Lstm => "LstmBackward0",
            RnnMode::Gru => "GruBackward0",
            _ => "RnnBackward0",
        }
    }

    fn inputs(&self) -> Vec<Tensor> {
        self.inputs.clone()
    }

    fn num_outputs(&self) -> usize {
        if self.cfg.mode == RnnMode::Lstm {
            3
        } else {
            2
        }
    }

    fn backward(&self, grads: &[Option<Tensor>]) -> Result<Vec<Option<Tensor>>> {
        let cfg = &self.cfg;
        let (shape, lay) = (self.shape, &self.lay);
        let (d, out, hid, b) = (
            cfg.directions(),
            cfg.output_size(),
            cfg.hidden_size,
            shape.batch,
        );
        let feat = d * out;
        let ld = cfg.num_layers * d;

        let mut dy = match &grads[0] {
            Some(g) => {
                // Borrowed in place: one copy, reordered or not.
                let host = g.host()?;
                let v = host.f32("the output's gradient")?;
                if shape.reordered(cfg) {
                    swap_leading(v, b, shape.steps, feat)
                } else {
                    v.to_vec()
                }
            }
            None => vec![0.0; lay.rows * feat],
        };
        let dh_n = grads
            .get(1)
            .cloned()
            .flatten()
            .map(|g| g.to_vec_f32())
            .unwrap_or_else(|| vec![0.0; ld * b * out]);
        let dc_n = match grads.get(2).cloned().flatten() {
            Some(g) => g.to_vec_f32(),
            None => vec![
                0.0;
                if cfg.mode == RnnMode::Lstm {
                    ld * b * hid
                } else {
                    0
                }
            ],
        };

        let weight_tensors = &self.inputs[self.inputs.len() - self.num_weights..];
        let views = WeightViews::new(cfg, weight_tensors, lay.rows)?;
        let weights = views.borrow(cfg)?;
        let k = cfg.weights_per_direction();
        let mut weight_grads: Vec<Option<Tensor>> = vec![None; self.num_weights];
        let mut dh0 = vec![0.0f32; ld * b * out];
        let mut dc0 = vec![0.0f32; dc_n.len()];
        let mut dx = Vec::new();

        let input_wants_grad = self.inputs[0].requires_grad();
        for l in (0..cfg.num_layers).rev() {
            let layer = &self.layers[l];
            let in_size = cfg.layer_input_size(l);
            let want_dx = l > 0 || input_wants_grad;
            let run = |kd: usize| -> DirGrads {
                let i = l * d + kd;
                let dy_k = split_direction(&dy, lay.rows, d, out, kd);
                let dc_k = dc_n.get(i * b * hid..(i + 1) * b * hid).unwrap_or(&[]);
                direction::backward(
                    cfg,
                    lay,
                    &layer.input,
                    in_size,
                    &weights.per_dir[i],
                    &layer.dirs[kd],
                    &dy_k,
                    &dh_n[i * b * out..(i + 1) * b * out],
                    dc_k,
                    kd == 1,
                    want_dx,
                )
            };
            let dirs: Vec<DirGrads> = if d == 2 {
                let (f, r) = join(|| run(0), || run(1));
                vec![f, r]
            } else {
                vec![run(0)]
            };
            let mut dx_l: Vec<f32> = Vec::new();
            for (kd, g) in dirs.into_iter().enumerate() {
                let i = l * d + kd;
                if dx_l.is_empty() {
                    dx_l = g.dx;
                } else {
                    dx_l.iter_mut().zip(&g.dx).for_each(|(a, v)| *a += v);
                }
                dh0[i * b * out..(i + 1) * b * out].copy_from_slice(&g.dh0);
                if !dc0.is_empty() {
                    dc0[i * b * hid..(i + 1) * b * hid].copy_from_slice(&g.dc0);
                }
                let base = i * k;
                let shapes = cfg.weight_shapes();
                let mut put = |j: usize, v: Vec<f32>| -> Result<()> {
                    weight_grads[base + j] = Some(Tensor::from_f32(v, shapes[base + j].clone())?);
                    Ok(())
                };
                put(0, g.dw_ih)?;
                put(1, g.dw_hh)?;
                let mut j = 2;
                if let (Some(bi), Some(bh)) = (g.db_ih, g.db_hh) {
                    put(2, bi)?;
                    put(3, bh)?;
                    j = 4;
                }
                if let Some(hr) = g.dw_hr {
                    put(j, hr)?;
                }
            }
            if l > 0 {
                if let Some(mask) = &self.layers[l - 1].mask {
                    dx_l.iter_mut().zip(mask).for_each(|(v, m)| *v *= m);
                }
                dy = dx_l;
            } else {
                dx = dx_l;
            }
        }

        let dx = if !input_wants_grad {
            None
        } else if shape.reordered(cfg) {
            Some(swap_leading(&dx, shape.steps, b, cfg.input_size))
        } else {
            Some(dx)
        };
        let mut result = vec![dx
            .map(|dx| Tensor::from_f32(dx, self.inputs[0].shape().to_vec()))
            .transpose()?];
        let mut idx = 1;
        if self.has_hx {
            result.push(Some(Tensor::from_f32(
                dh0,
                self.inputs[idx].shape().to_vec(),
            )?));
            idx += 1;
        }
        if self.has_cx {
            result.push(Some(Tensor::from_f32(
                dc0,
                self.inputs[idx].shape().to_vec(),
            )?));
        }
        result.extend(weight_grads);
        Ok(result)
    }
}
