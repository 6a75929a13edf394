//! One timestep's gate math as a single op with its own backward, on any device: the CPU runs
//! the fused gate kernels of `gates.rs`, CUDA the kernels of `rnn_cells.cu` (the same formulas).
//! The tensor-op stack (`composite`) calls it once per step, so a step on a GPU is its products
//! plus one gate kernel, and backward one more, instead of a dozen elementwise kernels each way.
//!
//! Operands: `gi` (W_ih x + b_ih) and `gh` (W_hh h + b_hh), both [rows, k * hidden] with the
//! gates in PyTorch's order, and the previous state [rows, hidden] where the cell reads one.

use super::gates;
use crate::autograd::{CustomBackward, Node};
use crate::backend::cuda::launch::launch_f32;
use crate::backend::fused::{self, FusedOp};
use crate::storage::Storage;
use crate::{bail, DType, Device, Result, Tensor};

const MODULE: &str = "rnn_cells";

#[derive(Clone, Copy, Debug, PartialEq)]
enum Cell {
    Elman { relu: bool },
    Lstm,
    Gru,
}

impl Cell {
    fn gates(self) -> usize {
        match self {
            Cell::Elman { .. } => 1,
            Cell::Lstm => 4,
            Cell::Gru => 3,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Cell::Elman { relu: false } => "rnn_tanh_cell",
            Cell::Elman { relu: true } => "rnn_relu_cell",
            Cell::Lstm => "lstm_cell",
            Cell::Gru => "gru_cell",
        }
    }
}

/// `tanh(gi + gh)`, or `relu(gi + gh)` when `relu`.
pub(crate) fn elman_cell(relu: bool, gi: &Tensor, gh: &Tensor) -> Result<Tensor> {
    let mut out = cell(Cell::Elman { relu }, gi, gh, None)?;
    Ok(out.swap_remove(0))
}

/// LSTM step: `(o * tanh(c), c)` with `c = f * c_prev + i * g` (before any projection).
pub(crate) fn lstm_cell(gi: &Tensor, gh: &Tensor, c_prev: &Tensor) -> Result<(Tensor, Tensor)> {
    let mut out = cell(Cell::Lstm, gi, gh, Some(c_prev))?.into_iter();
    match (out.next(), out.next()) {
        (Some(m), Some(c)) => Ok((m, c)),
        _ => bail!(internal, "lstm_cell returned fewer than two outputs"),
    }
}

/// GRU step: `(1 - z) * n + z * h_prev` with PyTorch's `n = tanh(gi_n + r * gh_n)`.
pub(crate) fn gru_cell(gi: &Tensor, gh: &Tensor, h_prev: &Tensor) -> Result<Tensor> {
    let mut out = cell(Cell::Gru, gi, gh, Some(h_prev))?;
    Ok(out.swap_remove(0))
}

fn zeros(device: Device, shape: &[usize]) -> Result<Tensor> {
    Ok(Tensor::from_storage(
        Storage::full(device, shape, 0.0, DType::F32)?,
        shape.to_vec(),
    ))
}

/// (rows, hidden) after checking the operands' shapes against each other.
fn dims(kind: Cell, gi: &Tensor, gh: &Tensor, state: Option<&Tensor>) -> Result<(usize, usize)> {
    let k = kind.gates();
    if gi.ndim() != 2 || gi.shape() != gh.shape() || !gi.shape()[1].is_multiple_of(k) {
        bail!(
            internal,
            "{}: gate operands {:?} and {:?} are not two equal [rows, {k} * hidden] matrices",
            kind.name(),
            gi.shape(),
            gh.shape()
        );
    }
    let (rows, hidden) = (gi.shape()[0], gi.shape()[1] / k);
    if let Some(s) = state {
        if s.shape() != [rows, hidden] {
            bail!(
                internal,
                "{}: state {:?} does not match gates for [{rows}, {hidden}]",
                kind.name(),
                s.shape()
            );
        }
    }
    Ok((rows, hidden))
}

/// Runs the forward op and records its backward. Returns the outputs callers see (Elman, GRU:
/// h; LSTM: m, c).
fn cell(kind: Cell, gi: &Tensor, gh: &Tensor, state: Option<&Tensor>) -> Result<Vec<Tensor>> {
    let (rows, hidden) = dims(kind, gi, gh, state)?;
    let all = fused::run(Forward {
        kind,
        gi,
        gh,
        state,
        rows,
        hidden,
    })?;
    // Elman: [h]; LSTM: [m, c, act]; GRU: [h, act, ghn].
    let visible = if kind == Cell::Lstm { 2 } else { 1 };
    let mut inputs = vec![gi, gh];
    inputs.extend(state);
    let node = Node::record_custom(&inputs, || {
        Box::new(Backward {
            kind,
            rows,
            hidden,
            inputs: inputs.iter().map(|t| (*t).clone()).collect(),
            saved: all.iter().map(Tensor::detach).collect(),
        })
    });
    Ok(all
        .into_iter()
        .take(visible)
        .enumerate()
        .map(|(i, t)| t.with_grad_fn_output(node.clone(), i))
        .collect())
}

struct Forward<'a> {
    kind: Cell,
    gi: &'a Tensor,
    gh: &'a Tensor,
    state: Option<&'a Tensor>,
    rows: usize,
    hidden: usize,
}

fn host(t: &Tensor, what: &str) -> Result<Vec<f32>> {
    t.with_f32(what, |v| v.to_vec())
}

impl FusedOp for Forward<'_> {
    type Output = Vec<Tensor>;

    fn name(&self) -> &'static str {
        self.kind.name()
    }

    fn operands(&self) -> Vec<&Tensor> {
        let mut v = vec![self.gi, self.gh];
        v.extend(self.state);
        v
    }

    fn cpu(self) -> Result<Vec<Tensor>> {
        let (rows, hid, name) = (self.rows, self.hidden, self.kind.name());
        let (gi, gh) = (host(self.gi, name)?, host(self.gh, name)?);
        let state = self.state.map(|s| host(s, name)).transpose()?;
        let k = self.kind.gates();
        let t = |v: Vec<f32>, width: usize| Tensor::from_f32(v, vec![rows, width]);
        Ok(match self.kind {
            Cell::Elman { relu } => {
                let mut h = vec![0.0; rows * hid];
                gates::elman_forward(relu, &gi, &gh, &vec![0.0; hid], &mut h);
                vec![t(h, hid)?]
            }
            Cell::Lstm => {
                let mut c = state.unwrap_or_default();
                let (mut act, mut m) = (vec![0.0; rows * k * hid], vec![0.0; rows * hid]);
                gates::lstm_forward(
                    hid,
                    &gi,
                    &gh,
                    &vec![0.0; k * hid],
                    None,
                    &mut c,
                    &mut act,
                    &mut m,
                );
                vec![t(m, hid)?, t(c, hid)?, t(act, k * hid)?]
            }
            Cell::Gru => {
                let mut h = state.unwrap_or_default();
                let (mut act, mut ghn) = (vec![0.0; rows * k * hid], vec![0.0; rows * hid]);
                gates::gru_forward(
                    hid,
                    &gi,
                    &gh,
                    &vec![0.0; 4 * hid],
                    None,
                    &mut h,
                    &mut act,
                    &mut ghn,
                );
                vec![t(h, hid)?, t(act, k * hid)?, t(ghn, hid)?]
            }
        })
    }

    fn cuda(self, ordinal: usize) -> Result<Vec<Tensor>> {
        let (rows, hid) = (self.rows, self.hidden);
        let gates = [rows, self.kind.gates() * hid];
        let state = [rows, hid];
        let n = rows * hid;
        let dims = [rows as u64, hid as u64];
        match (self.kind, self.state) {
            (Cell::Elman { relu }, _) => launch_f32(
                ordinal,
                MODULE,
                "elman_cell_forward",
                &[&state],
                &[self.gi, self.gh],
                &[dims[0], dims[1], relu as u64],
                n,
            ),
            (Cell::Lstm, Some(c_prev)) => launch_f32(
                ordinal,
                MODULE,
                "lstm_cell_forward",
                &[&state, &state, &gates],
                &[self.gi, self.gh, c_prev],
                &dims,
                n,
            ),
            (Cell::Gru, Some(h_prev)) => launch_f32(
                ordinal,
                MODULE,
                "gru_cell_forward",
                &[&state, &gates, &state],
                &[self.gi, self.gh, h_prev],
                &dims,
                n,
            ),
            (kind, None) => bail!(internal, "{} without a state", kind.name()),
        }
    }
}

/// The recorded backward. `saved` holds every forward output, detached (Elman: h; LSTM: m, c,
/// act; GRU: h, act, ghn).
struct Backward {
    kind: Cell,
    rows: usize,
    hidden: usize,
    inputs: Vec<Tensor>,
    saved: Vec<Tensor>,
}

impl CustomBackward for Backward {
    fn name(&self) -> &'static str {
        match self.kind {
            Cell::Elman { relu: false } => "RnnTanhCellBackward0",
            Cell::Elman { relu: true } => "RnnReluCellBackward0",
            Cell::Lstm => "LstmCellBackward0",
            Cell::Gru => "GruCellBackward0",
        }
    }

    fn inputs(&self) -> Vec<Tensor> {
        self.inputs.clone()
    }

    fn num_outputs(&self) -> usize {
        if self.kind == Cell::Lstm {
            2
        } else {
            1
        }
    }

    /// Only the state is read back (gi and gh were consumed by forward).
    fn saved_tensors(&self) -> Vec<Tensor> {
        self.inputs.get(2).cloned().into_iter().collect()
    }

    fn backward(&self, grads: &[Option<Tensor>]) -> Result<Vec<Option<Tensor>>> {
        let device = self.inputs[0].device();
        let state = [self.rows, self.hidden];
        let grad = |i: usize| -> Result<Tensor> {
            match grads.get(i).cloned().flatten() {
                Some(g) => Ok(g),
                None => zeros(device, &state),
            }
        };
        let mut out = fused::run(BackwardRun {
            kind: self.kind,
            rows: self.rows,
            hidden: self.hidden,
            state: self.inputs.get(2),
            saved: &self.saved,
            grads: (0..self.num_outputs())
                .map(grad)
                .collect::<Result<Vec<_>>>()?,
        })?
        .into_iter()
        .map(Some)
        .collect::<Vec<_>>();
        if matches!(self.kind, Cell::Elman { .. } | Cell::Lstm) {
            // gi and gh enter the gates as a sum: one gradient serves both.
            out.insert(1, out[0].clone());
        }
        Ok(out)
    }
}

/// The backward kernels. Returns the gradients of (Elman: gi+gh; LSTM: gi+gh, c_prev; GRU: gi,
/// gh, h_prev).
struct BackwardRun<'a> {
    kind: Cell,
    rows: usize,
    hidden: usize,
    state: Option<&'a Tensor>,
    saved: &'a [Tensor],
    grads: Vec<Tensor>,
}

impl FusedOp for BackwardRun<'_> {
    type Output = Vec<Tensor>;

    fn name(&self) -> &'static str {
        self.kind.name()
    }

    fn operands(&self) -> Vec<&Tensor> {
        let mut v: Vec<&Tensor> = self.saved.iter().chain(&self.grads).collect();
        v.extend(self.state);
        v
    }

    fn cpu(self) -> Result<Vec<Tensor>> {
        let (rows, hid, name) = (self.rows, self.hidden, self.kind.name());
        let k = self.kind.gates();
        let saved = self
            .saved
            .iter()
            .map(|t| host(t, name))
            .collect::<Result<Vec<_>>>()?;
        let mut grads = self
            .grads
            .iter()
            .map(|t| host(t, name))
            .collect::<Result<Vec<_>>>()?;
        let state = self.state.map(|s| host(s, name)).transpose()?;
        let t = |v: Vec<f32>, width: usize| Tensor::from_f32(v, vec![rows, width]);
        Ok(match (self.kind, state) {
            (Cell::Elman { relu }, _) => {
                let mut da = vec![0.0; rows * hid];
                gates::elman_backward(relu, &saved[0], &grads[0], &mut da);
                vec![t(da, hid)?]
            }
            (Cell::Lstm, Some(c_prev)) => {
                let mut dgates = vec![0.0; rows * k * hid];
                let (dm, dc) = grads.split_at_mut(1);
                let dc = &mut dc[0];
                gates::lstm_backward(hid, &saved[2], &saved[1], &c_prev, &dm[0], dc, &mut dgates);
                vec![t(dgates, k * hid)?, t(std::mem::take(dc), hid)?]
            }
            (Cell::Gru, Some(h_prev)) => {
                let (mut dgi, mut dgh) = (vec![0.0; rows * k * hid], vec![0.0; rows * k * hid]);
                let dh = &mut grads[0];
                gates::gru_backward(hid, &saved[1], &saved[2], &h_prev, dh, &mut dgi, &mut dgh);
                vec![
                    t(dgi, k * hid)?,
                    t(dgh, k * hid)?,
                    t(std::mem::take(dh), hid)?,
                ]
            }
            (kind, None) => bail!(internal, "{} backward without a state", kind.name()),
        })
    }

    fn cuda(self, ordinal: usize) -> Result<Vec<Tensor>> {
        let (rows, hid) = (self.rows, self.hidden);
        let gates = [rows, self.kind.gates() * hid];
        let state = [rows, hid];
        let n = rows * hid;
        let dims = [rows as u64, hid as u64];
        let (s, g) = (self.saved, &self.grads);
        match (self.kind, self.state) {
            (Cell::Elman { relu }, _) => launch_f32(
                ordinal,
                MODULE,
                "elman_cell_backward",
                &[&state],
                &[&s[0], &g[0]],
                &[dims[0], dims[1], relu as u64],
                n,
            ),
            (Cell::Lstm, Some(c_prev)) => launch_f32(
                ordinal,
                MODULE,
                "lstm_cell_backward",
                &[&gates, &state],
                &[&s[2], &s[1], c_prev, &g[0], &g[1]],
                &dims,
                n,
            ),
            (Cell::Gru, Some(h_prev)) => launch_f32(
                ordinal,
                MODULE,
                "gru_cell_backward",
                &[&gates, &gates, &state],
                &[&s[1], &s[2], h_prev, &g[0]],
                &dims,
                n,
            ),
            (kind, None) => bail!(internal, "{} backward without a state", kind.name()),
        }
    }
}

#[cfg(test)]
mod tests {
    //! The cell op against the same step written in plain tensor ops, outputs and every input
    //! gradient, with each output's gradient present or absent.
    use super::*;
    use crate::autograd::backward;

    /// A deterministic leaf: values spread over about [-2, 2] so every gate is away from 0 and 1.
    fn leaf(shape: &[usize], seed: f32) -> Tensor {
        let n: usize = shape.iter().product();
        let v = (0..n)
            .map(|i| 2.0 * ((i as f32) * 0.73 + seed).sin())
            .collect();
        Tensor::from_f32(v, shape.to_vec())
            .and_then(|t| t.requires_grad_(true))
            .expect("leaf")
    }

    fn gate(t: &Tensor, k: usize, hid: usize) -> Tensor {
        t.narrow(1, (k * hid) as i64, hid as i64).expect("narrow")
    }

    /// sum(out_k * weight_k) over the outputs with a weight.
    fn loss(outs: &[Tensor], weights: &[Option<Tensor>]) -> Tensor {
        let mut total: Option<Tensor> = None;
        for (o, w) in outs.iter().zip(weights) {
            let Some(w) = w else { continue };
            let term = o.mul(w).and_then(|t| t.sum(None, false)).expect("term");
            total = Some(match total {
                Some(t) => t.add(&term).expect("add"),
                None => term,
            });
        }
        total.expect("at least one weighted output")
    }

    fn close(what: &str, a: &Tensor, b: &Tensor) {
        let (a, b) = (a.to_vec_f32(), b.to_vec_f32());
        assert_eq!(a.len(), b.len(), "{what}: length");
        for (i, (x, y)) in a.iter().zip(&b).enumerate() {
            assert!(
                (x - y).abs() <= 1e-5 + 1e-5 * y.abs(),
                "{what}[{i}]: {x} vs {y}"
            );
        }
    }

    /// Runs `fused` and `reference` on fresh copies of the same leaves and compares the outputs
    /// and the leaves' gradients, for every choice of which outputs the loss uses.
    fn check(
        kind: &str,
        shapes: &[Vec<usize>],
        outputs: usize,
        fused: impl Fn(&[Tensor]) -> Vec<Tensor>,
        reference: impl Fn(&[Tensor]) -> Vec<Tensor>,
    ) {
        let fresh = || -> Vec<Tensor> {
            shapes
                .iter()
                .enumerate()
                .map(|(i, s)| leaf(s, i as f32 * 1.9 + 0.3))
                .collect()
        };
        for used in 1..(1usize << outputs) {
            let (a, b) = (fresh(), fresh());
            let (fa, fb) = (fused(&a), reference(&b));
            let weights: Vec<Option<Tensor>> = (0..outputs)
                .map(|k| (used >> k & 1 == 1).then(|| leaf(fa[k].shape(), 5.0 + k as f32).detach()))
                .collect();
            for k in 0..outputs {
                close(&format!("{kind} output {k}"), &fa[k], &fb[k]);
            }
            backward(&loss(&fa, &weights), None, false).expect("fused backward");
            backward(&loss(&fb, &weights), None, false).expect("reference backward");
            for (i, (x, y)) in a.iter().zip(&b).enumerate() {
                let (gx, gy) = (x.grad().expect("fused grad"), y.grad().expect("ref grad"));
                close(
                    &format!("{kind} (outputs {used:b}) grad of input {i}"),
                    &gx,
                    &gy,
                );
            }
        }
    }

    #[test]
    fn elman_cells_match_tensor_ops() {
        for relu in [false, true] {
            check(
                "elman",
                &[vec![3, 5], vec![3, 5]],
                1,
                |t| vec![elman_cell(relu, &t[0], &t[1]).expect("cell")],
                |t| {
                    let a = t[0].add(&t[1]).expect("add");
                    vec![if relu { a.relu() } else { a.tanh() }.expect("act")]
                },
            );
        }
    }

    #[test]
    fn lstm_cell_matches_tensor_ops() {
        let hid = 5;
        check(
            "lstm",
            &[vec![3, 4 * hid], vec![3, 4 * hid], vec![3, hid]],
            2,
            |t| {
                let (m, c) = lstm_cell(&t[0], &t[1], &t[2]).expect("cell");
                vec![m, c]
            },
            |t| {
                let g = t[0].add(&t[1]).expect("add");
                let i = gate(&g, 0, hid).sigmoid().expect("i");
                let f = gate(&g, 1, hid).sigmoid().expect("f");
                let cell = gate(&g, 2, hid).tanh().expect("g");
                let o = gate(&g, 3, hid).sigmoid().expect("o");
                let c = f.mul(&t[2]).and_then(|x| x.add(&i.mul(&cell)?)).expect("c");
                let m = o.mul(&c.tanh().expect("tanh")).expect("m");
                vec![m, c]
            },
        );
    }

    #[test]
    fn gru_cell_matches_tensor_ops() {
        let hid = 4;
        check(
            "gru",
            &[vec![3, 3 * hid], vec![3, 3 * hid], vec![3, hid]],
            1,
            |t| vec![gru_cell(&t[0], &t[1], &t[2]).expect("cell")],
            |t| {
                let (gi, gh, h) = (&t[0], &t[1], &t[2]);
                let r = gate(gi, 0, hid)
                    .add(&gate(gh, 0, hid))
                    .and_then(|x| x.sigmoid());
                let z = gate(gi, 1, hid)
                    .add(&gate(gh, 1, hid))
                    .and_then(|x| x.sigmoid());
                let (r, z) = (r.expect("r"), z.expect("z"));
                let n = gate(gi, 2, hid)
                    .add(&r.mul(&gate(gh, 2, hid)).expect("rn"))
                    .and_then(|x| x.tanh())
                    .expect("n");
                // (1 - z) * n + z * h
                let out = n.add(&z.mul(&h.sub(&n).expect("sub")).expect("zh"));
                vec![out.expect("h")]
            },
        );
    }

    #[test]
    fn mismatched_operands_are_an_error() {
        let (gi, gh) = (leaf(&[2, 8], 0.0), leaf(&[2, 8], 1.0));
        let err = lstm_cell(&gi, &gh, &leaf(&[2, 3], 2.0)).unwrap_err();
        assert!(err.message.contains("lstm_cell"), "{}", err.message);
        let err = gru_cell(&gi, &leaf(&[2, 9], 1.0), &leaf(&[2, 3], 2.0)).unwrap_err();
        assert!(err.message.contains("gru_cell"), "{}", err.message);
    }
}
