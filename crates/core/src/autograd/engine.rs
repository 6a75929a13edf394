//! The backward pass: topological order over recorded nodes, gradients summed per node,
//! leaf gradients accumulated into `.grad` in place (so an earlier `.grad` handle sees them).

use std::collections::HashMap;
use std::sync::Arc;

use super::backprop::input_gradients;
use super::grad_mode::NoGradGuard;
use super::node::Node;
use crate::shape::fmt_shape;
use crate::{bail, Result, Tensor};

const FREED_GRAPH: &str = "Trying to backward through the graph a second time (or directly access saved tensors after they have already been freed). Saved intermediate values of the graph are freed when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time or if you need to access saved tensors after calling backward.";

fn node_key(n: &Arc<Node>) -> usize {
    Arc::as_ptr(n) as usize
}

thread_local! {
    /// Backward passes started on this thread (a pass runs on its caller's thread).
    static PASS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Which backward pass is running on this thread: nodes that gather state across a pass
/// (`rnn::recurrent_product`) tell a later pass's from an earlier one's that failed half-way.
pub(crate) fn current_backward_pass() -> u64 {
    PASS.with(|p| p.get())
}

/// Computes gradients of `root` with respect to every leaf that requires grad.
/// `gradient` is d(something)/d(root); it may be omitted only for one-element roots.
pub fn backward(root: &Tensor, gradient: Option<&Tensor>, retain_graph: bool) -> Result<()> {
    if !root.requires_grad() {
        bail!(
            value,
            "element 0 of tensors does not require grad and does not have a grad_fn"
        );
    }
    let seed = match gradient {
        Some(g) => {
            if g.shape() != root.shape() {
                bail!(
                    value,
                    "Mismatch in shape: grad_output[0] has a shape of {} and output[0] has a shape of {}.",
                    fmt_shape(g.shape()),
                    fmt_shape(root.shape())
                );
            }
            if g.dtype() != root.dtype() {
                bail!(
                    type,
                    "backward(): gradient must be {}, got {}",
                    root.dtype(),
                    g.dtype()
                );
            }
            g.detach()
        }
        None => {
            if root.numel() != 1 {
                bail!(
                    value,
                    "grad can be implicitly created only for scalar outputs"
                );
            }
            crate::ops::creation::ones_like(root)?
        }
    };

    let _no_grad = NoGradGuard::new();
    PASS.with(|p| p.set(p.get() + 1));
    let root_node = match root.grad_fn() {
        None => return accumulate_leaf(root, seed),
        Some(n) => n.clone(),
    };

    let order = topological_order(&root_node)?;
    // Per node, the summed gradient of each of its outputs so far.
    let mut pending: HashMap<usize, Vec<Option<Tensor>>> = HashMap::new();
    add_pending(&mut pending, &root_node, root.output_nr(), seed)?;

    for node in order.iter().rev() {
        let Some(grads_out) = pending.remove(&node_key(node)) else {
            continue;
        };
        let (inputs, grads) = {
            let guard = node.op();
            let op = guard.as_ref().expect("checked by topological_order");
            node.check_saved_versions(op)?;
            (op.inputs(), input_gradients(op, &grads_out)?)
        };
        // An input's gradient may be a view of an output's (reshape, transpose): let it be
        // the only handle on its buffer, so a leaf can keep it without a copy.
        drop(grads_out);
        for (input, g) in inputs.iter().zip(grads) {
            let Some(g) = g else { continue };
            if !input.requires_grad() {
                continue;
            }
            match input.grad_fn() {
                Some(n) => add_pending(&mut pending, n, input.output_nr(), g)?,
                None => accumulate_leaf(input, g)?,
            }
        }
    }
    if !retain_graph {
        for node in &order {
            node.release();
        }
    }
    Ok(())
}

/// Nodes reachable from `root`, each after every node that consumes it. Iterative, so very
/// long chains (thousands of ops) cannot overflow the stack. Fails before any gradient is
/// written if part of the graph was already freed.
fn topological_order(root: &Arc<Node>) -> Result<Vec<Arc<Node>>> {
    let mut order = Vec::new();
    let mut visited: HashMap<usize, ()> = HashMap::new();
    // (node, children expanded?)
    let mut stack: Vec<(Arc<Node>, bool)> = vec![(root.clone(), false)];
    while let Some((node, expanded)) = stack.pop() {
        if expanded {
            order.push(node);
            continue;
        }
        if visited.insert(node_key(&node), ()).is_some() {
            continue;
        }
        let children: Vec<Arc<Node>> = {
            let guard = node.op();
            let Some(op) = guard.as_ref() else {
                bail!(value, "{FREED_GRAPH}")
            };
            op.inputs()
                .iter()
                .filter_map(|t| t.grad_fn().cloned())
                .collect()
        };
        stack.push((node, true));
        for c in children {
            if !visited.contains_key(&node_key(&c)) {
                stack.push((c, false));
            }
        }
    }
    // `order` is post-order: inputs before their consumers.
    Ok(order)
}

fn add_pending(
    pending: &mut HashMap<usize, Vec<Option<Tensor>>>,
    node: &Arc<Node>,
    output_nr: usize,
    g: Tensor,
) -> Result<()> {
    let slots = pending
        .entry(node_key(node))
        .or_insert_with(|| vec![None; node.num_outputs()]);
    slots[output_nr] = Some(match slots[output_nr].take() {
        Some(prev) => prev.add(&g)?,
        None => g,
    });
    Ok(())
}

fn accumulate_leaf(leaf: &Tensor, g: Tensor) -> Result<()> {
    let g = if g.shape() != leaf.shape() {
        let reshaped = g.reshape_to(leaf.shape())?;
        drop(g);
        reshaped
    } else {
        g
    };
    let mut slot = leaf.0.grad.lock().unwrap_or_else(|e| e.into_inner());
    match slot.as_ref() {
        // The leaf's grad never aliases another tensor's data: a gradient nothing else can
        // reach is kept as it is (as PyTorch's AccumulateGrad steals one), any other is copied.
        None if g.is_sole_owner_of_its_buffer() => *slot = Some(g),
        None => *slot = Some(g.deep_copy()?),
        Some(existing) => {
            if existing.dtype() != g.dtype() {
                bail!(
                    type,
                    "backward(): gradient dtype does not match the accumulated grad"
                );
            }
            // `add_` copies `g` first when it is the accumulated gradient itself
            // (`w.backward(w.grad)`), so the read and the write never hold one lock twice.
            existing.add_(&g)?;
        }
    }
    Ok(())
}
