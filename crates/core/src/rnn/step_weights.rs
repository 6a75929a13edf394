//! W_hh in the layout the recurrent step products read. Every step multiplies by the same
//! W_hh, forward (h_{t-1} W_hh^T) and backward (dgates W_hh), so the layout is prepared once
//! per weight version (`stack::WeightViews`) and chosen by the processor's kernel plan and the
//! matmul precision: row-major float32, float32 packed in column panels, or bf16.

use crate::kernels::gemm_ab::{gemm_ab, gemm_panels};
use crate::kernels::gemm_bf16::{gemm_bf16, PackedB};
use crate::kernels::panel_b::PanelB;

/// W_hh in bf16 for the step products: transposed (forward) and as is (backward).
pub struct HhBf16 {
    pub t: PackedB,
    pub rows: PackedB,
}

impl HhBf16 {
    /// From W_hh, `g` x `out` row-major.
    pub fn new(w_hh: &[f32], g: usize, out: usize) -> HhBf16 {
        HhBf16 {
            t: PackedB::new(w_hh, out, g, true),
            rows: PackedB::new(w_hh, g, out, false),
        }
    }
}

/// W_hh in float32 column panels: W_hh^T (forward) and W_hh (backward). The same sums in the
/// same order as the row-major layout (identical results), read as sequential streams.
pub struct HhPanels {
    pub t: PanelB,
    pub rows: PanelB,
}

impl HhPanels {
    /// From W_hh, `g` x `out` row-major.
    pub fn new(w_hh: &[f32], g: usize, out: usize) -> HhPanels {
        HhPanels {
            t: PanelB::pack(w_hh, out, g, true, false),
            rows: PanelB::pack(w_hh, g, out, false, false),
        }
    }
}

/// One direction's W_hh as its step products read it (W_hh is `g` x `out`).
#[derive(Clone, Copy)]
pub enum StepWeights<'a> {
    /// Row-major float32: `t` = W_hh^T (`out` x `g`), `rows` = W_hh.
    Rows {
        t: &'a [f32],
        rows: &'a [f32],
    },
    Panels(&'a HhPanels),
    Bf16(&'a HhBf16),
}

impl StepWeights<'_> {
    /// `c = a W_hh^T + beta c`: a is m x k (k = out), c m x n (n = g).
    #[allow(clippy::too_many_arguments)]
    pub fn forward(&self, m: usize, n: usize, k: usize, a: &[f32], c: &mut [f32], beta: f32) {
        match *self {
            StepWeights::Rows { t, .. } => gemm_ab(m, n, k, a, t, c, beta),
            StepWeights::Panels(p) => gemm_panels(m, k, a, (k, 1), &p.t, 0, c, beta),
            StepWeights::Bf16(p) => gemm_bf16(m, k, a, (k, 1), &p.t, c, beta),
        }
    }

    /// `c = a W_hh + beta c`: a is m x k (k = g), c m x n (n = out).
    pub fn backward(&self, m: usize, n: usize, k: usize, a: &[f32], c: &mut [f32], beta: f32) {
        match *self {
            StepWeights::Rows { rows, .. } => gemm_ab(m, n, k, a, rows, c, beta),
            StepWeights::Panels(p) => gemm_panels(m, k, a, (k, 1), &p.rows, 0, c, beta),
            StepWeights::Bf16(p) => gemm_bf16(m, k, a, (k, 1), &p.rows, c, beta),
        }
    }
}
