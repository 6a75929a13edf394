//! Checked conversions from JavaScript numbers. JS hands us doubles; sizes, dims and indices
//! must be whole and in range, and a NaN must never silently become 0.

use seqtorch_core::{bail, DType, Result};

pub fn int(op: &str, what: &str, v: f64) -> Result<i64> {
    if !v.is_finite() || v.fract() != 0.0 {
        bail!(type, "{op}(): {what} must be an integer, got {v}");
    }
    if v.abs() > 9_007_199_254_740_991.0 {
        bail!(
            range,
            "{op}(): {what} {v} is outside the safe integer range"
        );
    }
    Ok(v as i64)
}

pub fn ints(op: &str, what: &str, v: &[f64]) -> Result<Vec<i64>> {
    v.iter().map(|&x| int(op, what, x)).collect()
}

pub fn sizes(op: &str, v: &[f64]) -> Result<Vec<usize>> {
    seqtorch_core::shape::checked_sizes(op, v)
}

pub fn dtype(name: Option<String>) -> Result<DType> {
    match name {
        None => Ok(DType::F32),
        Some(n) => DType::parse(&n),
    }
}
