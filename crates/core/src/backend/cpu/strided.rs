//! Reading and writing the elements a (possibly strided) layout addresses.

use std::borrow::Cow;

use crate::memory::Zeroable;
use crate::{Layout, Result};

/// The elements of `layout` in row-major order: borrowed when they already are, else copied.
pub fn view<'a, T: Zeroable + Clone>(
    op: &str,
    src: &'a [T],
    layout: &Layout,
) -> Result<Cow<'a, [T]>> {
    match layout.contiguous_range() {
        Some(r) => Ok(Cow::Borrowed(&src[r])),
        None => gather(op, src, layout).map(Cow::Owned),
    }
}

/// A contiguous copy of the elements of `layout`.
pub fn gather<T: Zeroable>(op: &str, src: &[T], layout: &Layout) -> Result<Vec<T>> {
    if let Some(r) = layout.contiguous_range() {
        let mut out = crate::memory::with_capacity(op, layout.shape())?;
        out.extend_from_slice(&src[r]);
        return Ok(out);
    }
    let mut out = crate::memory::zeroed::<T>(op, layout.shape())?;
    layout.for_each_row(|o, base, stride, len| {
        let row = &mut out[o..o + len];
        if stride == 1 {
            row.copy_from_slice(&src[base..base + len]);
        } else {
            for (j, v) in row.iter_mut().enumerate() {
                *v = src[base + j * stride];
            }
        }
    });
    Ok(out)
}

/// Writes `f(old, new)` for each element of `layout` in `dst`, `new` taken in row-major order
/// from `src` (which has the layout's element count).
pub fn update<T: Copy>(dst: &mut [T], layout: &Layout, src: &[T], f: impl Fn(T, T) -> T) {
    if let Some(r) = layout.contiguous_range() {
        dst[r].iter_mut().zip(src).for_each(|(d, &s)| *d = f(*d, s));
        return;
    }
    layout.for_each_row(|o, base, stride, len| {
        if stride == 1 {
            let row = &mut dst[base..base + len];
            row.iter_mut()
                .zip(&src[o..o + len])
                .for_each(|(d, &s)| *d = f(*d, s));
        } else {
            for j in 0..len {
                let d = &mut dst[base + j * stride];
                *d = f(*d, src[o + j]);
            }
        }
    });
}
