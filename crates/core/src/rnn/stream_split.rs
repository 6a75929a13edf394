//! One recurrent step of inference (a streaming step: `stream().step()`, a cell-by-cell
//! generation loop; one row per sequence, several when a server batches its streams) split by
//! hidden units between cores.
//!
//! Such a step reads every weight once for a few rows of products, so it runs at the speed the
//! weights stream in. On the Sapphire Rapids-class Xeon a core streams about 70 GB/s from its
//! own L2 (2 MB) but 30-35 GB/s from L3: the streaming bench's GRU (128 -> 256, 2 layers, 2.75
//! MB of weights) took 79-86 µs a step on one core against 11 µs for a model whose weights fit
//! L2. Split by hidden units, each core reads only the weight columns of its units, always the
//! same ones (`spin_team` keeps participant i on one thread), so its share stays in its L2
//! between tokens. Every participant computes its units' gates and states for every row; a
//! barrier between layers makes the whole of a layer's new state visible to the next layer's
//! products. With many rows the products themselves are worth splitting, whatever the
//! weights' size (`KernelPlan::stream_split_min_work`).
//!
//! The sums are the serial step's own where it uses the same product kernel (up to 64 rows:
//! the kernel sums each column alike whichever columns it is given; the gate kernels are per
//! unit), so results are identical there.

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

/// A step's outputs: the last layer's state (the output rows), and every layer's h and c.
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

/// The step of `cfg`'s layers (one direction, no projection) for the `rows` input rows `x`,
/// from states `h0` and (LSTM) `c0` (`rows` rows per layer), split between `parties`
/// participants.
/// `weights` are the stack's weight tensors in PyTorch's order. When the team is taken (another
/// thread's step), the participants' work runs one after another on this thread.
pub(super) fn forward(
    cfg: &RnnConfig,
    x: &[f32],
    rows: usize,
    weights: &[Tensor],
    h0: &[f32],
    c0: &[f32],
    parties: usize,
) -> Result<SplitStep> {
    let (hid, layers, mode) = (cfg.hidden_size, cfg.num_layers, cfg.mode);
    let gates_n = mode.gates();
    let lstm = mode == RnnMode::Lstm;
    assert!(h0.len() == layers * rows * hid && (!lstm || c0.len() == layers * rows * hid));
    assert!(x.len() == rows * cfg.input_size);
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
    let state = rows * hid;
    let mut h_n = vec![0.0f32; layers * state];
    let mut c_n = vec![0.0f32; if lstm { layers * state } else { 0 }];
    let (hs, cs) = (Shared::new(&mut h_n), Shared::new(&mut c_n));
    // Participant p's part of layer l: its units' products, gates and states.
    let part = |p: usize, l: usize| {
        let (u0, u1) = share(p, parties, hid);
        let hp = u1 - u0;
        if hp == 0 {
            return;
        }
        let w = &prepared[l];
        let in_size = cfg.layer_input_size(l);
        // SAFETY: layer l - 1's states were all written before this layer started (the team's
        // barrier, or the loop below); this layer writes only its own rows.
        let input = if l == 0 {
            x
        } else {
            unsafe { hs.read((l - 1) * state, state) }
        };
        let h_prev = &h0[l * state..(l + 1) * state];
        // The gate values gate after gate (`hp` each) per row: the layout the gate kernels read
        // for a layer of `hp` units.
        let width = gates_n * hp;
        let mut xw = vec![0.0f32; rows * width];
        let mut hw = vec![0.0f32; rows * width];
        gemm_ab(rows, width, in_size, input, &w.ih.blocks[p], &mut xw, 0.0);
        gemm_ab(rows, width, hid, h_prev, &w.hh.blocks[p], &mut hw, 0.0);
        let bias: Vec<f32> = w
            .bias
            .chunks_exact(hid)
            .flat_map(|b| &b[u0..u1])
            .copied()
            .collect();
        let mut act = vec![0.0f32; width];
        let mut ghn = vec![0.0f32; if mode == RnnMode::Gru { hp } else { 0 }];
        for r in 0..rows {
            let (xw, hw) = (
                &xw[r * width..(r + 1) * width],
                &hw[r * width..(r + 1) * width],
            );
            let at = l * state + r * hid + u0;
            // SAFETY: units u0..u1 of layer l's rows are this participant's alone.
            let h = unsafe { hs.slice(at, hp) };
            match mode {
                RnnMode::Tanh | RnnMode::Relu => {
                    gates::elman_forward(mode == RnnMode::Relu, xw, hw, &bias, h)
                }
                RnnMode::Lstm => {
                    let c = unsafe { cs.slice(at, hp) };
                    let c_in = Some(&c0[at..at + hp]);
                    gates::lstm_forward(hp, xw, hw, &bias, c_in, c, &mut act, h);
                }
                RnnMode::Gru => {
                    let h_in = Some(&h_prev[r * hid + u0..r * hid + u1]);
                    gates::gru_forward(hp, xw, hw, &bias, h_in, h, &mut act, &mut ghn);
                }
            }
        }
    };
    let job = |p: usize, barrier: &SpinBarrier| {
        for l in 0..layers {
            part(p, l);
            if l + 1 < layers {
                barrier.wait();
            }
        }
    };
    match spin_team::run(parties, &job) {
        Ok(()) => {}
        Err(TeamError::Unavailable) => {
            for l in 0..layers {
                (0..parties).for_each(|p| part(p, l));
            }
        }
        Err(TeamError::HelperPanicked) => {
            bail!(internal, "{}.step(): a helper thread failed", mode.name())
        }
    }
    let y = h_n[(layers - 1) * state..].to_vec();
    Ok(SplitStep { y, h_n, c_n })
}
