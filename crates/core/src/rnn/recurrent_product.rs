//! The tensor-op stack's per-step product `h W_hh^T` with W_hh's gradient taken once per
//! direction. Through plain autograd every step's product gave W_hh a full [gates, out]
//! gradient (a small product with k = batch rows) that the engine then added to the others: T
//! products and T additions of the whole matrix. Here each step's backward only computes dh
//! and keeps (h, dgh); the step that ran first in forward runs last in backward (every later
//! step depends on it), and there the weight's gradient is one product over all steps,
//! `cat(dgh)^T cat(h)`, as the fused CPU kernels and cuDNN compute it.

use std::sync::{Arc, Mutex};

use crate::autograd::{current_backward_pass, CustomBackward, NoGradGuard, Node};
use crate::{bail, Result, Tensor};

/// One direction's kept steps: slot per step, (pass, h, dgh).
type Kept = Arc<Mutex<Vec<Option<(u64, Tensor, Tensor)>>>>;

/// The products of one direction's steps, in processing order.
pub(crate) struct RecurrentProducts {
    w: Tensor,
    kept: Kept,
    steps: usize,
    next: usize,
}

impl RecurrentProducts {
    /// For `steps` products with `w` (W_hh, [gates, out]).
    pub(crate) fn new(w: &Tensor, steps: usize) -> RecurrentProducts {
        RecurrentProducts {
            w: w.clone(),
            kept: Arc::new(Mutex::new(vec![None; steps])),
            steps,
            next: 0,
        }
    }

    /// `h W^T` for the next step in processing order.
    pub(crate) fn step(&mut self, h: &Tensor) -> Result<Tensor> {
        if self.next >= self.steps {
            bail!(internal, "more recurrent products than steps");
        }
        let slot = self.next;
        self.next += 1;
        let out = {
            let _no_grad = NoGradGuard::new();
            h.mm(&self.w.t()?)?
        };
        let node = Node::record_custom(&[h, &self.w], || {
            Box::new(StepBackward {
                h: h.clone(),
                w: self.w.clone(),
                slot,
                kept: self.kept.clone(),
            })
        });
        Ok(out.with_grad_fn_output(node, 0))
    }
}

struct StepBackward {
    h: Tensor,
    w: Tensor,
    slot: usize,
    kept: Kept,
}

impl CustomBackward for StepBackward {
    fn name(&self) -> &'static str {
        "MmBackward0"
    }

    fn inputs(&self) -> Vec<Tensor> {
        vec![self.h.clone(), self.w.clone()]
    }

    fn backward(&self, grads: &[Option<Tensor>]) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = &grads[0] else {
            return Ok(vec![None, None]);
        };
        let dh = if self.h.requires_grad() {
            Some(g.mm(&self.w)?)
        } else {
            None
        };
        if !self.w.requires_grad() {
            return Ok(vec![dh, None]);
        }
        // A pass that failed half-way may have left steps here: only this pass's are summed.
        let pass = current_backward_pass();
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        kept[self.slot] = Some((pass, self.h.detach(), g.clone()));
        if self.slot != 0 {
            return Ok(vec![dh, None]);
        }
        // The first step: every later one that got a gradient in this pass has kept its own.
        let (hs, gs): (Vec<Tensor>, Vec<Tensor>) = kept
            .iter_mut()
            .filter_map(Option::take)
            .filter(|(p, ..)| *p == pass)
            .map(|(_, h, g)| (h, g))
            .unzip();
        drop(kept);
        let dw = Tensor::cat(&gs, 0)?.t()?.mm(&Tensor::cat(&hs, 0)?)?;
        Ok(vec![dh, Some(dw)])
    }
}
