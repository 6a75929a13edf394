//! Shape arithmetic: element counts, dimension wrapping, reshape inference and broadcasting.

use crate::{bail, Result};

pub fn numel(shape: &[usize]) -> usize {
    shape.iter().product()
}

/// Row-major strides in elements.
pub fn strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        s[i] = s[i + 1] * shape[i + 1];
    }
    s
}

/// `[2, 3]` as PyTorch prints sizes in messages.
pub fn fmt_shape(shape: &[usize]) -> String {
    let parts: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    format!("[{}]", parts.join(", "))
}

/// Wraps a possibly negative dimension into `0..ndim` with PyTorch's message when it is out of range.
pub fn wrap_dim(dim: i64, ndim: usize) -> Result<usize> {
    // A 0-d tensor accepts dims -1 and 0, as in PyTorch.
    let n = ndim.max(1) as i64;
    if dim < -n || dim >= n {
        bail!(
            range,
            "Dimension out of range (expected to be in range of [{}, {}], but got {})",
            -n,
            n - 1,
            dim
        );
    }
    Ok(if dim < 0 {
        (dim + n) as usize
    } else {
        dim as usize
    })
}

/// Validates user-supplied sizes (from JavaScript numbers) and converts them.
pub fn checked_sizes(op: &str, sizes: &[f64]) -> Result<Vec<usize>> {
    let mut out = Vec::with_capacity(sizes.len());
    for &s in sizes {
        if !s.is_finite() || s.fract() != 0.0 {
            bail!(type, "{op}(): sizes must be whole numbers, got {s}");
        }
        if s < 0.0 {
            bail!(
                range,
                "{op}(): negative dimension {s} in size {}",
                fmt_f64s(sizes)
            );
        }
        out.push(s as usize);
    }
    checked_numel(op, &out)?;
    Ok(out)
}

fn fmt_f64s(v: &[f64]) -> String {
    let parts: Vec<String> = v.iter().map(|d| d.to_string()).collect();
    format!("[{}]", parts.join(", "))
}

/// The largest dimension size: JavaScript numbers are exact up to 2^53 - 1, so every size a
/// tensor can have is reported back exactly.
pub const MAX_DIM: usize = (1 << 53) - 1;

/// Element count, refusing shapes with a dimension above `MAX_DIM` or whose sizes multiply past
/// the address space. Zero-sized dimensions do not excuse the others: the product of the
/// non-zero sizes must fit too, so any permutation or slice of the shape has a valid count.
pub fn checked_numel(op: &str, shape: &[usize]) -> Result<usize> {
    let mut nonzero: usize = 1;
    let mut has_zero = false;
    for &d in shape {
        if d > MAX_DIM {
            bail!(
                range,
                "{op}(): size {} has a dimension above 2^53 - 1",
                fmt_shape(shape)
            );
        }
        if d == 0 {
            has_zero = true;
            continue;
        }
        nonzero = match nonzero.checked_mul(d) {
            Some(v) if v <= isize::MAX as usize => v,
            _ => bail!(range, "{op}(): size {} is too large", fmt_shape(shape)),
        };
    }
    Ok(if has_zero { 0 } else { nonzero })
}

/// Resolves a reshape target with at most one -1, PyTorch's messages on mistakes.
pub fn infer_reshape(from: &[usize], to: &[i64]) -> Result<Vec<usize>> {
    let total = numel(from);
    let mut infer_at = None;
    let mut known: usize = 1;
    for (i, &d) in to.iter().enumerate() {
        if d == -1 {
            if infer_at.is_some() {
                bail!(value, "only one dimension can be inferred");
            }
            infer_at = Some(i);
        } else if d < 0 {
            bail!(range, "invalid shape dimension {d}");
        } else {
            known = known.saturating_mul(d as usize);
        }
    }
    let mut out: Vec<usize> = to.iter().map(|&d| d.max(0) as usize).collect();
    match infer_at {
        Some(i) => {
            if known == 0 || !total.is_multiple_of(known) {
                bail!(
                    value,
                    "shape '{}' is invalid for input of size {total}",
                    fmt_i64s(to)
                );
            }
            out[i] = total / known;
        }
        None => {
            if known != total {
                bail!(
                    value,
                    "shape '{}' is invalid for input of size {total}",
                    fmt_i64s(to)
                );
            }
        }
    }
    Ok(out)
}

fn fmt_i64s(v: &[i64]) -> String {
    let parts: Vec<String> = v.iter().map(|d| d.to_string()).collect();
    format!("[{}]", parts.join(", "))
}

/// NumPy broadcasting of two shapes, with PyTorch's message when they do not broadcast.
pub fn broadcast_shapes(a: &[usize], b: &[usize]) -> Result<Vec<usize>> {
    let n = a.len().max(b.len());
    let mut out = vec![0; n];
    for i in 0..n {
        let da = if i + a.len() >= n {
            a[i + a.len() - n]
        } else {
            1
        };
        let db = if i + b.len() >= n {
            b[i + b.len() - n]
        } else {
            1
        };
        out[i] = if da == db || db == 1 {
            da
        } else if da == 1 {
            db
        } else {
            bail!(
                value,
                "The size of tensor a ({da}) must match the size of tensor b ({db}) at non-singleton dimension {i}"
            );
        };
    }
    Ok(out)
}

/// Strides for reading `shape` as if broadcast to `target` (0 where a dimension is repeated).
pub fn broadcast_strides(shape: &[usize], target: &[usize]) -> Vec<usize> {
    let own = strides(shape);
    let offset = target.len() - shape.len();
    (0..target.len())
        .map(|i| {
            if i < offset || shape[i - offset] == 1 {
                0
            } else {
                own[i - offset]
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcasting_follows_numpy() {
        assert_eq!(broadcast_shapes(&[3, 1], &[4]).unwrap(), vec![3, 4]);
        assert_eq!(broadcast_shapes(&[], &[2, 2]).unwrap(), vec![2, 2]);
        let err = broadcast_shapes(&[3], &[4]).unwrap_err();
        assert!(err.message.contains("must match the size of tensor b (4)"));
    }

    #[test]
    fn reshape_infers_one_dimension() {
        assert_eq!(infer_reshape(&[4, 6], &[3, -1]).unwrap(), vec![3, 8]);
        assert!(infer_reshape(&[4, 6], &[5, -1]).is_err());
        assert!(infer_reshape(&[4, 6], &[-1, -1]).is_err());
        assert!(infer_reshape(&[4, 6], &[4, 5]).is_err());
    }

    #[test]
    fn wrap_dim_accepts_negative_and_rejects_out_of_range() {
        assert_eq!(wrap_dim(-1, 3).unwrap(), 2);
        assert!(wrap_dim(3, 3).is_err());
        assert!(wrap_dim(-4, 3).is_err());
    }

    #[test]
    fn sizes_reject_negative_nan_and_fractions() {
        assert!(checked_sizes("zeros", &[2.0, -1.0]).is_err());
        assert!(checked_sizes("zeros", &[f64::NAN]).is_err());
        assert!(checked_sizes("zeros", &[1.5]).is_err());
        assert!(checked_sizes("zeros", &[1e12, 1e12]).is_err());
        assert_eq!(checked_sizes("zeros", &[2.0, 3.0]).unwrap(), vec![2, 3]);
    }
}
