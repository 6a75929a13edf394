//! A recorded operation: what it was, the inputs it reads gradients back into, and what it saved.

use std::cell::{Cell, RefCell};
use std::sync::{Arc, Mutex, MutexGuard};

use super::grad_mode::is_grad_enabled;
use crate::ops::reduce::Extreme;
use crate::{Result, Tensor};

/// Gradient rule for heavy fused operations (a whole RNN stack, a loss) that keep their own
/// saved state. `backward` gets one optional gradient per output (`None`: that output did not
/// reach the loss) and returns one optional gradient per input, in `inputs()` order.
pub trait CustomBackward: Send + Sync {
    fn name(&self) -> &'static str;
    fn inputs(&self) -> Vec<Tensor>;
    fn num_outputs(&self) -> usize {
        1
    }
    /// The inputs whose values `backward` reads (PyTorch's saved variables): an in-place
    /// change to one of them between forward and backward is an error. All inputs unless an
    /// op says otherwise.
    fn saved_tensors(&self) -> Vec<Tensor> {
        self.inputs()
    }
    fn backward(&self, grad_outputs: &[Option<Tensor>]) -> Result<Vec<Option<Tensor>>>;
}

/// Every differentiable primitive. Saved outputs are stored detached so a node never keeps
/// its own output alive through a cycle.
pub enum Op {
    Add(Tensor, Tensor),
    Sub(Tensor, Tensor),
    Mul(Tensor, Tensor),
    Div(Tensor, Tensor),
    Neg(Tensor),
    Pow {
        input: Tensor,
        exponent: f32,
    },
    Clamp {
        input: Tensor,
        min: Option<f32>,
        max: Option<f32>,
    },
    Exp {
        input: Tensor,
        output: Tensor,
    },
    Log(Tensor),
    Sigmoid {
        input: Tensor,
        output: Tensor,
    },
    Tanh {
        input: Tensor,
        output: Tensor,
    },
    Relu(Tensor),
    Sin(Tensor),
    Cos(Tensor),
    Abs(Tensor),
    Mm(Tensor, Tensor),
    Bmm(Tensor, Tensor),
    /// `keep_shape` is the input shape with every reduced dimension set to 1.
    Sum {
        input: Tensor,
        keep_shape: Vec<usize>,
    },
    /// Like `Sum`, divided by the number of reduced elements.
    Mean {
        input: Tensor,
        keep_shape: Vec<usize>,
        count: usize,
    },
    Expand(Tensor),
    /// Full max or min: the gradient is shared evenly among all elements equal to `value`, as
    /// in PyTorch.
    ExtremeAll {
        input: Tensor,
        value: f32,
        kind: Extreme,
    },
    /// Max or min along `dim`: `indices[o * inner + i]` is the winning position.
    ExtremeDim {
        input: Tensor,
        dim: usize,
        indices: Vec<usize>,
        keep_shape: Vec<usize>,
        kind: Extreme,
    },
    Reshape(Tensor),
    Permute {
        input: Tensor,
        dims: Vec<usize>,
    },
    Narrow {
        input: Tensor,
        dim: usize,
        start: usize,
    },
    /// `index[i]` is the input position of output position `i` along `dim`.
    IndexSelect {
        input: Tensor,
        dim: usize,
        index: Vec<usize>,
    },
    Cat {
        inputs: Vec<Tensor>,
        dim: usize,
    },
    Clone(Tensor),
    /// A copy to another device: the gradient goes back to the input's device.
    ToDevice {
        input: Tensor,
    },
    Custom(Box<dyn CustomBackward>),
}

impl Op {
    pub fn name(&self) -> &'static str {
        match self {
            Op::Add(..) => "AddBackward0",
            Op::Sub(..) => "SubBackward0",
            Op::Mul(..) => "MulBackward0",
            Op::Div(..) => "DivBackward0",
            Op::Neg(..) => "NegBackward0",
            Op::Pow { .. } => "PowBackward0",
            Op::Clamp { .. } => "ClampBackward1",
            Op::Exp { .. } => "ExpBackward0",
            Op::Log(..) => "LogBackward0",
            Op::Sigmoid { .. } => "SigmoidBackward0",
            Op::Tanh { .. } => "TanhBackward0",
            Op::Relu(..) => "ReluBackward0",
            Op::Sin(..) => "SinBackward0",
            Op::Cos(..) => "CosBackward0",
            Op::Abs(..) => "AbsBackward0",
            Op::Mm(..) => "MmBackward0",
            Op::Bmm(..) => "BmmBackward0",
            Op::Sum { .. } => "SumBackward0",
            Op::Mean { .. } => "MeanBackward0",
            Op::Expand(..) => "ExpandBackward0",
            Op::ExtremeAll { kind, .. } => match kind {
                Extreme::Max => "MaxBackward1",
                Extreme::Min => "MinBackward1",
            },
            Op::ExtremeDim { kind, .. } => match kind {
                Extreme::Max => "MaxBackward0",
                Extreme::Min => "MinBackward0",
            },
            Op::Reshape(..) => "ViewBackward0",
            Op::Permute { .. } => "PermuteBackward0",
            Op::Narrow { .. } => "NarrowBackward0",
            Op::Cat { .. } => "CatBackward0",
            Op::IndexSelect { .. } => "IndexSelectBackward0",
            Op::Clone(..) => "CloneBackward0",
            Op::ToDevice { .. } => "ToCopyBackward0",
            Op::Custom(c) => c.name(),
        }
    }

    pub fn inputs(&self) -> Vec<Tensor> {
        match self {
            Op::Add(a, b) | Op::Sub(a, b) | Op::Mul(a, b) | Op::Div(a, b) => {
                vec![a.clone(), b.clone()]
            }
            Op::Mm(a, b) | Op::Bmm(a, b) => vec![a.clone(), b.clone()],
            Op::Neg(a)
            | Op::Sin(a)
            | Op::Cos(a)
            | Op::Abs(a)
            | Op::Log(a)
            | Op::Relu(a)
            | Op::Expand(a)
            | Op::Reshape(a)
            | Op::Clone(a) => {
                vec![a.clone()]
            }
            Op::Pow { input, .. }
            | Op::Clamp { input, .. }
            | Op::Exp { input, .. }
            | Op::Sigmoid { input, .. }
            | Op::Tanh { input, .. }
            | Op::Sum { input, .. }
            | Op::Mean { input, .. }
            | Op::ExtremeAll { input, .. }
            | Op::ExtremeDim { input, .. }
            | Op::Permute { input, .. }
            | Op::Narrow { input, .. }
            | Op::ToDevice { input }
            | Op::IndexSelect { input, .. } => vec![input.clone()],
            Op::Cat { inputs, .. } => inputs.clone(),
            Op::Custom(c) => c.inputs(),
        }
    }
}

impl Op {
    /// Calls `f` with each tensor whose values the gradient rule reads; their versions are
    /// checked before backward uses them. Ops that only need shapes (add, reshape, sum...)
    /// save none, as in PyTorch, so changing their inputs in place afterwards is allowed. A
    /// visitor, not a Vec: this runs for every recorded op.
    pub fn for_each_saved(&self, mut f: impl FnMut(&Tensor)) {
        match self {
            Op::Mul(a, b) | Op::Div(a, b) | Op::Mm(a, b) | Op::Bmm(a, b) => {
                f(a);
                f(b);
            }
            Op::Pow { input, .. } | Op::Clamp { input, .. } | Op::ExtremeAll { input, .. } => {
                f(input)
            }
            Op::Log(a) | Op::Relu(a) | Op::Sin(a) | Op::Cos(a) | Op::Abs(a) => f(a),
            Op::Exp { output, .. } | Op::Sigmoid { output, .. } | Op::Tanh { output, .. } => {
                f(output)
            }
            Op::Custom(c) => c.saved_tensors().iter().for_each(f),
            Op::Add(..)
            | Op::Sub(..)
            | Op::Neg(..)
            | Op::Sum { .. }
            | Op::Mean { .. }
            | Op::Expand(..)
            | Op::ExtremeDim { .. }
            | Op::Reshape(..)
            | Op::Permute { .. }
            | Op::Narrow { .. }
            | Op::IndexSelect { .. }
            | Op::Cat { .. }
            | Op::ToDevice { .. }
            | Op::Clone(..) => {}
        }
    }
}

/// The versions of a node's saved tensors: two inline (every primitive), more on the heap
/// (fused ops), so recording a primitive allocates nothing for them.
#[derive(Default)]
struct SavedVersions {
    inline: [u64; 2],
    len: usize,
    rest: Vec<u64>,
}

impl SavedVersions {
    fn push(&mut self, v: u64) {
        if self.len < 2 {
            self.inline[self.len] = v;
        } else {
            self.rest.push(v);
        }
        self.len += 1;
    }

    fn get(&self, i: usize) -> u64 {
        if i < 2 {
            self.inline[i]
        } else {
            self.rest[i - 2]
        }
    }
}

pub struct Node {
    name: &'static str,
    num_outputs: usize,
    /// `None` once the graph was freed by a backward pass without `retain_graph`.
    op: Mutex<Option<Op>>,
    /// Version of each tensor `op.for_each_saved` visits, when the node was recorded.
    saved_versions: SavedVersions,
}

impl Node {
    /// Records `op` when grad mode is on and any input requires grad; the closure is only
    /// called then, so nothing is saved for inference.
    pub fn record(inputs: &[&Tensor], op: impl FnOnce() -> Op) -> Option<Arc<Node>> {
        if !is_grad_enabled() || !inputs.iter().any(|t| t.requires_grad()) {
            return None;
        }
        Some(Self::new(op()))
    }

    pub(crate) fn new(op: Op) -> Arc<Node> {
        let num_outputs = match &op {
            Op::Custom(c) => c.num_outputs(),
            _ => 1,
        };
        let mut saved_versions = SavedVersions::default();
        op.for_each_saved(|t| saved_versions.push(t.version()));
        Arc::new(Node {
            name: op.name(),
            num_outputs,
            op: Mutex::new(Some(op)),
            saved_versions,
        })
    }

    /// Records a fused op when grad mode is on and any of its inputs requires grad.
    pub fn record_custom(
        inputs: &[&Tensor],
        custom: impl FnOnce() -> Box<dyn CustomBackward>,
    ) -> Option<Arc<Node>> {
        Self::record(inputs, || Op::Custom(custom()))
    }

    pub fn name(&self) -> &'static str {
        self.name
    }

    pub fn num_outputs(&self) -> usize {
        self.num_outputs
    }

    pub(crate) fn op(&self) -> MutexGuard<'_, Option<Op>> {
        self.op.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// PyTorch's error when a saved tensor changed in place after this node was recorded.
    pub(crate) fn check_saved_versions(&self, op: &Op) -> Result<()> {
        let mut i = 0;
        let mut changed: Option<(Tensor, u64, u64)> = None;
        op.for_each_saved(|t| {
            let expected = self.saved_versions.get(i);
            i += 1;
            let now = t.version();
            if now != expected && changed.is_none() {
                changed = Some((t.clone(), now, expected));
            }
        });
        let Some((t, now, expected)) = changed else {
            return Ok(());
        };
        let origin = match t.grad_fn() {
            Some(n) => format!(", which is output {} of {},", t.output_nr(), n.name()),
            None => String::new(),
        };
        crate::bail!(
            value,
            "one of the variables needed for gradient computation has been modified by an inplace operation: [torch.{}Tensor {}]{origin} is at version {now}; expected version {expected} instead. Hint: the variable was changed in place (copy_(), an optimizer step, loadStateDict or an init function) after {} used it; run backward() before changing it, or change a clone().",
            t.dtype().torch_name(),
            crate::shape::fmt_shape(t.shape()),
            self.name
        );
    }

    pub(crate) fn release(&self) {
        let op = self.op().take();
        drop(op);
    }
}

// Dropping a long graph must not recurse once per node: a chain of a million ops (or an
// unrolled cell over 100,000 steps) would overflow the stack. The outermost node being
// dropped on a thread drains a queue; nodes whose last handle goes while it runs hand their
// op to that queue instead of dropping it in place, so the depth stays constant.
thread_local! {
    static DROPPING: Cell<bool> = const { Cell::new(false) };
    static DEFERRED: RefCell<Vec<Op>> = const { RefCell::new(Vec::new()) };
}

/// Resets the flag even if dropping an op panics, so later drops still work.
struct DrainGuard;

impl Drop for DrainGuard {
    fn drop(&mut self) {
        let _ = DROPPING.try_with(|d| d.set(false));
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let Some(op) = self.op.get_mut().unwrap_or_else(|e| e.into_inner()).take() else {
            return;
        };
        let nested = DROPPING.try_with(|d| d.replace(true)).unwrap_or(false);
        if nested {
            // An outer drop on this thread is draining: queue the op for it.
            // (At thread exit the queue may be gone; the op is then dropped in place.)
            let _ = DEFERRED.try_with(move |q| q.borrow_mut().push(op));
            return;
        }
        let _guard = DrainGuard;
        drop(op);
        loop {
            let next = DEFERRED.try_with(|q| q.borrow_mut().pop()).ok().flatten();
            match next {
                Some(op) => drop(op),
                None => break,
            }
        }
    }
}
