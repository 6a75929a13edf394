//! Recurrent inference split by hidden units between cores: a streaming step (`stream().step()`,
//! a cell-by-cell generation loop; one row per sequence, several when a server batches its
//! streams), and the forward of a few sequences (fewer than the time loop would spread over
//! threads by rows).
//!
//! Such a step reads every weight once for a few rows of products, so it runs at the speed the
//! weights stream in. On the Sapphire Rapids-class Xeon a core streams about 70 GB/s from its
//! own L2 (2 MB) but 30-35 GB/s from L3: the streaming bench's GRU (128 -> 256, 2 layers, 2.75
//! MB of weights) took 79-86 µs a step on one core against 11 µs for a model whose weights fit
//! L2. Split by hidden units, each core reads only the weight columns of its units, always the
//! same ones (`spin_team` keeps participant i on one thread), so its share stays in its L2
//! between tokens. Every participant computes its units' input projections (for all steps at
//! once), recurrent products, gates and states for every row; a barrier after every step makes
//! the whole of the new state visible to the next step's products (and a layer's outputs to
//! the next layer). With many rows the products themselves are worth splitting, whatever the
//! weights' size (`KernelPlan::stream_split_min_work`).
//!
//! The sums are the serial step's own where it uses the same product kernels (one step of up
//! to 64 rows: the kernel sums each column alike whichever columns it is given; the gate
//! kernels are per unit), so results are identical there; elsewhere they differ in the last
//! bits (the serial forward's input projection goes through the packed GEMM).

use std::sync::Arc;

use super::config::{RnnConfig, RnnMode};
use super::direction::{gate_bias, Shared};
use super::gates;
use crate::kernels::gemm_ab::gemm_ab;
use crate::spin_team::{self, SpinBarrier, TeamError};
use crate::{bail, threads, Result, Tensor};

/// Units per share are a multiple of this (16 floats, one cache line): no two participants
/// write the same line of a state.
const UNIT_ALIGN: usize = 16;

/// Weight bytes one participant's share should not exceed (half of the Xeon's 2 MB L2: the
/// rest holds the step's other data and whatever the caller does between steps).
const SHARE_BYTES: usize = 1 << 20;

/// Multiply-adds a participant should have at least (about 5 µs of products on one core), so
/// that a batch of many rows uses more participants than its weights' size alone asks for.
const SHARE_WORK: usize = 1 << 19;

/// The outputs: the last layer's states at every step (the output rows, step-major), and every
/// layer's final h and c.
pub(super) struct SplitStep {
    pub y: Vec<f32>,
    pub h_n: Vec<f32>,
    pub c_n: Vec<f32>,
}

/// The participants one step of `rows` rows of `cfg` splits between, or None where it runs as
/// usual: the kernel plan enables the split from `stream_split_min_bytes` of weights (which
/// then no longer fit one core's cache) or from `stream_split_min_work` multiply-adds (enough
/// products for several cores); unmeasured processors never split. More than one thread must
/// be allowed, the products run in float32, and the caller is not itself a pool thread (whose
/// work is already spread).
pub(super) fn parties(cfg: &RnnConfig, rows: usize) -> Option<usize> {
    if cfg.directions() != 1
        || cfg.proj_size != 0
        || crate::precision::cpu_bf16()
        || rayon::current_thread_index().is_some()
    {
        return None;
    }
    let g = cfg.mode.gates() * cfg.hidden_size;
    let floats: usize = (0..cfg.num_layers)
        .map(|l| (cfg.layer_input_size(l) + cfg.hidden_size) * g)
        .sum();
    let (bytes, work) = (floats * 4, floats.saturating_mul(rows));
    let plan = crate::kernels::plan::plan();
    if bytes < plan.stream_split_min_bytes && work < plan.stream_split_min_work {
        return None;
    }
    let most = threads::get_num_threads().min(cfg.hidden_size / UNIT_ALIGN);
    let wanted = bytes.div_ceil(SHARE_BYTES).max(work.div_ceil(SHARE_WORK));
    (most >= 2).then(|| wanted.clamp(2, most))
}

/// Participant `p`'s hidden units among `parties`: whole lines, the last share the rest.
fn share(p: usize, parties: usize, hidden: usize) -> (usize, usize) {
    let per = hidden.div_ceil(parties).div_ceil(UNIT_ALIGN) * UNIT_ALIGN;
    ((p * per).min(hidden), ((p + 1) * per).min(hidden))
}

/// A weight (`gates * hidden` x `k`, W_ih or W_hh) transposed and cut into the participants'
/// column blocks, each stored whole: participant p's block is `k` rows of its units' columns,
/// gate after gate. Read from one contiguous region, a share stays in its core's L2; columns of
/// the shared transpose, interleaved with the others', did not (the hardware prefetchers pulled
/// the neighbours' lines in too: 63 against 87 µs a step, where the shares run in 24-29).
struct ColumnShares {
    parties: usize,
    blocks: Vec<Vec<f32>>,
}

impl ColumnShares {
    fn new(w: &[f32], gates: usize, hidden: usize, k: usize, parties: usize) -> ColumnShares {
        let blocks = (0..parties)
            .map(|p| {
                let (u0, u1) = share(p, parties, hidden);
                let hp = u1 - u0;
                let mut block = vec![0.0f32; k * gates * hp];
                for gate in 0..gates {
                    for (j, unit) in (u0..u1).enumerate() {
                        let row = &w[(gate * hidden + unit) * k..(gate * hidden + unit + 1) * k];
                        for (r, &v) in row.iter().enumerate() {
                            block[r * gates * hp + gate * hp + j] = v;
                        }
                    }
                }
                block
            })
            .collect();
        ColumnShares { parties, blocks }
    }

    /// Cached on the weight tensor until its next in-place write or another team size.
    fn of(w: &Tensor, gates: usize, hidden: usize, parties: usize) -> Result<Arc<ColumnShares>> {
        w.derived_matching(
            |s: &ColumnShares| s.parties == parties,
            |w| {
                super::stack::count_prepared_build();
                let k = w.shape()[1];
                w.with_f32("rnn weight", |v| {
                    ColumnShares::new(v, gates, hidden, k, parties)
                })
            },
        )
    }
}

/// One layer's weights as the participants read them.
struct LayerWeights {
    ih: Arc<ColumnShares>,
    hh: Arc<ColumnShares>,
    bias: Vec<f32>,
}

/// One participant's buffers for one layer: its units' input projections for every step, and
/// per-step scratch.
struct Lane {
    xw: Vec<f32>,
    hw: Vec<f32>,
    act: Vec<f32>,
    ghn: Vec<f32>,
    bias: Vec<f32>,
}

/// `cfg`'s layers (one direction, no projection) over `steps` steps of `rows` input rows each
/// (`x` step-major), from states `h0` and (LSTM) `c0` (`rows` rows per layer), split between
/// `parties` participants. A barrier follows every step: the next step's products read the
/// whole of this step's state. When the team is taken (another thread's step), the
/// participants' work runs one after another on this thread.
#[allow(clippy::too_many_arguments)]
pub(super) fn forward(
    cfg: &RnnConfig,
    x: &[f32],
    steps: usize,
    rows: usize,
    weights: &[Tensor],
    h0: &[f32],
    c0: &[f32],
    parties: usize,
) -> Result<SplitStep> {
    let (hid, layers, mode) = (cfg.hidden_size, cfg.num_layers, cfg.mode);
    let gates_n = mode.gates();
    let lstm = mode == RnnMode::Lstm;
    let state = rows * hid; // one layer's state at one step
    let seq = steps * state; // one layer's outputs over the sequence
    assert!(x.len() == steps * rows * cfg.input_size);
    assert!(h0.len() == layers * state && (!lstm || c0.len() == layers * state));
    let per_layer = cfg.weights_per_direction();
    let prepared = weights
        .chunks_exact(per_layer)
        .map(|w| {
            let bias = |i: usize| -> Result<Option<Vec<f32>>> {
                if !cfg.bias {
                    return Ok(None);
                }
                Ok(Some(w[i].host()?.f32("rnn bias")?.to_vec()))
            };
            let (b_ih, b_hh) = (bias(2)?, bias(3)?);
            Ok(LayerWeights {
                ih: ColumnShares::of(&w[0], gates_n, hid, parties)?,
                hh: ColumnShares::of(&w[1], gates_n, hid, parties)?,
                bias: gate_bias(mode, hid, b_ih.as_deref(), b_hh.as_deref()),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    // Every layer's outputs at every step (the next layer's input), and the final c per layer,
    // which the LSTM gate kernels update in place step by step.
    let mut outs = vec![0.0f32; layers * seq];
    let mut c_n = vec![0.0f32; if lstm { layers * state } else { 0 }];
    let (os, cs) = (Shared::new(&mut outs), Shared::new(&mut c_n));
    // Participant p's start of layer l: its units' input projections for all steps.
    let begin = |p: usize, l: usize| -> Option<Lane> {
        let (u0, u1) = share(p, parties, hid);
        let hp = u1 - u0;
        if hp == 0 {
            return None;
        }
        let w = &prepared[l];
        // SAFETY: layer l - 1 finished before layer l begins (the team's barrier after its
        // last step, or the loop below), and nothing writes it any more.
        let input = if l == 0 {
            x
        } else {
            unsafe { os.read((l - 1) * seq, seq) }
        };
        let width = gates_n * hp;
        let mut xw = vec![0.0f32; steps * rows * width];
        gemm_ab(
            steps * rows,
            width,
            cfg.layer_input_size(l),
            input,
            &w.ih.blocks[p],
            &mut xw,
            0.0,
        );
        if lstm {
            for r in 0..rows {
                let at = l * state + r * hid + u0;
                // SAFETY: units u0..u1 of layer l's rows are this participant's alone.
                unsafe { cs.slice(at, hp) }.copy_from_slice(&c0[at..at + hp]);
            }
        }
        Some(Lane {
            xw,
            hw: vec![0.0f32; rows * width],
            act: vec![0.0f32; width],
            ghn: vec![0.0f32; if mode == RnnMode::Gru { hp } else { 0 }],
            bias: w
                .bias
                .chunks_exact(hid)
                .flat_map(|b| &b[u0..u1])
                .copied()
                .collect(),
        })
    };
    // Participant p's step t of layer l: its units' recurrent products, gates and states.
    let step = |p: usize, l: usize, t: usize, lane: &mut Lane| {
        let (u0, u1) = share(p, parties, hid);
        let (hp, width) = (u1 - u0, gates_n * (u1 - u0));
        // SAFETY: step t - 1 finished before step t began (barrier or loop order).
        let h_prev = if t == 0 {
            &h0[l * state..(l + 1) * state]
        } else {
            unsafe { os.read(l * seq + (t - 1) * state, state) }
        };
        gemm_ab(
            rows,
            width,
            hid,
            h_prev,
            &prepared[l].hh.blocks[p],
            &mut lane.hw,
            0.0,
        );
        for r in 0..rows {
            let xw = &lane.xw[(t * rows + r) * width..(t * rows + r + 1) * width];
            let hw = &lane.hw[r * width..(r + 1) * width];
            // SAFETY: units u0..u1 of every row are this participant's alone.
            let h = unsafe { os.slice(l * seq + t * state + r * hid + u0, hp) };
            match mode {
                RnnMode::Tanh | RnnMode::Relu => {
                    gates::elman_forward(mode == RnnMode::Relu, xw, hw, &lane.bias, h)
                }
                RnnMode::Lstm => {
                    let c = unsafe { cs.slice(l * state + r * hid + u0, hp) };
                    gates::lstm_forward(hp, xw, hw, &lane.bias, None, c, &mut lane.act, h);
                }
                RnnMode::Gru => {
                    let h_in = Some(&h_prev[r * hid + u0..r * hid + u1]);
                    gates::gru_forward(
                        hp,
                        xw,
                        hw,
                        &lane.bias,
                        h_in,
                        h,
                        &mut lane.act,
                        &mut lane.ghn,
                    );
                }
            }
        }
    };
    let job = |p: usize, barrier: &SpinBarrier| {
        for l in 0..layers {
            let mut lane = begin(p, l);
            for t in 0..steps {
                if let Some(lane) = lane.as_mut() {
                    step(p, l, t, lane);
                }
                if l + 1 < layers || t + 1 < steps {
                    barrier.wait();
                }
            }
        }
    };
    match spin_team::run(parties, &job) {
        Ok(()) => {}
        Err(TeamError::Unavailable) => {
            for l in 0..layers {
                let mut lanes: Vec<Option<Lane>> = (0..parties).map(|p| begin(p, l)).collect();
                for t in 0..steps {
                    for (p, lane) in lanes.iter_mut().enumerate() {
                        if let Some(lane) = lane.as_mut() {
                            step(p, l, t, lane);
                        }
                    }
                }
            }
        }
        Err(TeamError::HelperPanicked) => {
            bail!(internal, "{}: a helper thread failed", mode.name())
        }
    }
    let h_n = (0..layers)
        .flat_map(|l| &outs[l * seq + (steps - 1) * state..(l + 1) * seq])
        .copied()
        .collect();
    let y = outs[(layers - 1) * seq..].to_vec();
    Ok(SplitStep { y, h_n, c_n })
}
