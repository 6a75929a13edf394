//! A recorded operation: what it was, the inputs it reads gradients back into, and what it saved.

use std::sync::{Arc, Mutex, MutexGuard};

use super::grad_mode::is_grad_enabled;
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
    /// Full reduction: the gradient is shared evenly among all maximal elements, as in PyTorch.
    MaxAll {
        input: Tensor,
        max: f32,
    },
    /// `indices[o * inner + i]` is the winning position along `dim`.
    MaxDim {
        input: Tensor,
        dim: usize,
        indices: Vec<usize>,
        keep_shape: Vec<usize>,
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
            Op::MaxAll { .. } => "MaxBackward1",
            Op::MaxDim { .. } => "MaxBackward0",
            Op::Reshape(..) => "ViewBackward0",
            Op::Permute { .. } => "PermuteBackward0",
            Op::Narrow { .. } => "NarrowBackward0",
            Op::Cat { .. } => "CatBackward0",
            Op::IndexSelect { .. } => "IndexSelectBackward0",
            Op::Clone(..) => "CloneBackward0",
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
            | Op::Exp { input, .. }
            | Op::Sigmoid { input, .. }
            | Op::Tanh { input, .. }
            | Op::Sum { input, .. }
            | Op::Mean { input, .. }
            | Op::MaxAll { input, .. }
            | Op::MaxDim { input, .. }
            | Op::Permute { input, .. }
            | Op::Narrow { input, .. }
            | Op::IndexSelect { input, .. } => vec![input.clone()],
            Op::Cat { inputs, .. } => inputs.clone(),
            Op::Custom(c) => c.inputs(),
        }
    }
}

pub struct Node {
    name: &'static str,
    num_outputs: usize,
    /// `None` once the graph was freed by a backward pass without `retain_graph`.
    op: Mutex<Option<Op>>,
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
        Arc::new(Node {
            name: op.name(),
            num_outputs,
            op: Mutex::new(Some(op)),
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

    pub(crate) fn release(&self) {
        *self.op() = None;
    }
}
