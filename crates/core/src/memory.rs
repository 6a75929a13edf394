//! Allocations whose size a caller controls: checked before they happen, and fallible.
//!
//! Rust aborts the process when an allocation fails, and on Linux a request far beyond the
//! machine's memory may even succeed (overcommit) and get the process killed once it is
//! touched. So every buffer sized from user input (creation functions, broadcasting, products,
//! gathers, recurrent workspaces, windows) comes from here: the element count is computed with
//! checked arithmetic, compared with a per-allocation ceiling, and allocated through the
//! fallible path (`alloc_zeroed` / `try_reserve_exact`), so a refused allocation becomes a
//! `RangeError` that names the operation, the shape and the bytes.
//!
//! The ceiling defaults to the memory this process can have: physical memory, or the cgroup
//! (container) limit when that is lower. `SEQTORCH_MEMORY_LIMIT` (bytes, or with a K/M/G/T
//! suffix) sets it at start-up, `set_memory_limit` at any time; 0 restores the default. It
//! bounds one buffer, not the sum of all live tensors.

use std::alloc::{alloc_zeroed, Layout};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use crate::shape::fmt_shape;
use crate::{bail, Result};

/// 0 means "not set": use the default.
static LIMIT: AtomicUsize = AtomicUsize::new(0);
static DEFAULT_LIMIT: OnceLock<usize> = OnceLock::new();

/// Parses `123`, `512M`, `4G`, `1.5T` (powers of 1024) into bytes.
pub fn parse_bytes(text: &str) -> Option<usize> {
    let t = text.trim();
    let (number, scale) = match t.char_indices().last()? {
        (i, c) if c.is_ascii_alphabetic() => {
            let scale = match c.to_ascii_uppercase() {
                'K' => 1u64 << 10,
                'M' => 1 << 20,
                'G' => 1 << 30,
                'T' => 1 << 40,
                'B' => 1,
                _ => return None,
            };
            (&t[..i], scale)
        }
        _ => (t, 1),
    };
    let value: f64 = number.trim().parse().ok()?;
    let bytes = value * scale as f64;
    if !bytes.is_finite() || bytes < 0.0 || bytes > usize::MAX as f64 {
        return None;
    }
    Some(bytes as usize)
}

#[cfg(unix)]
fn physical_memory() -> Option<usize> {
    // SAFETY: sysconf only reads system configuration.
    let (pages, page) = unsafe {
        (
            libc::sysconf(libc::_SC_PHYS_PAGES),
            libc::sysconf(libc::_SC_PAGESIZE),
        )
    };
    if pages <= 0 || page <= 0 {
        return None;
    }
    (pages as usize).checked_mul(page as usize)
}

#[cfg(not(unix))]
fn physical_memory() -> Option<usize> {
    None
}

/// The cgroup v2 (or v1) memory limit of this process's container, when one is set.
fn container_limit() -> Option<usize> {
    if !cfg!(target_os = "linux") {
        return None;
    }
    [
        "/sys/fs/cgroup/memory.max",
        "/sys/fs/cgroup/memory/memory.limit_in_bytes",
    ]
    .iter()
    .filter_map(|p| std::fs::read_to_string(p).ok())
    .filter_map(|s| s.trim().parse::<u64>().ok())
    .filter(|&v| v > 0 && v < (1u64 << 60))
    .map(|v| v as usize)
    .min()
}

fn default_limit() -> usize {
    *DEFAULT_LIMIT.get_or_init(|| {
        if let Some(v) = std::env::var("SEQTORCH_MEMORY_LIMIT")
            .ok()
            .and_then(|s| parse_bytes(&s))
            .filter(|&v| v > 0)
        {
            return v;
        }
        match (physical_memory(), container_limit()) {
            (Some(p), Some(c)) => p.min(c),
            (Some(p), None) => p,
            (None, Some(c)) => c,
            (None, None) => isize::MAX as usize,
        }
    })
}

/// The largest single buffer, in bytes, seqtorch will try to allocate.
pub fn memory_limit() -> usize {
    match LIMIT.load(Ordering::Relaxed) {
        0 => default_limit(),
        v => v,
    }
}

/// Sets the per-allocation ceiling in bytes; 0 restores the default.
pub fn set_memory_limit(bytes: usize) {
    LIMIT.store(bytes, Ordering::Relaxed);
}

/// `40000000000` as `40.0 GB` (decimal units, as people read sizes).
pub fn fmt_bytes(bytes: u128) -> String {
    const UNITS: [&str; 5] = ["bytes", "kB", "MB", "GB", "TB"];
    let mut v = bytes as f64;
    let mut unit = 0;
    while v >= 1000.0 && unit < UNITS.len() - 1 {
        v /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} bytes")
    } else {
        format!("{v:.1} {} ({bytes} bytes)", UNITS[unit])
    }
}

/// Element count of `shape` with `elem_size`-byte elements, refusing counts that overflow or
/// buffers above the ceiling. The message names `op`, the shape and the bytes.
pub fn check(op: &str, shape: &[usize], elem_size: usize) -> Result<usize> {
    let n = crate::shape::checked_numel(op, shape)?;
    within_limit(op, n as u128 * elem_size as u128, || {
        format!("a tensor of shape {}", fmt_shape(shape))
    })?;
    Ok(n)
}

/// Refuses `bytes` for `what` (the workspace of one operation, sized from its inputs, or a
/// file to read) above the ceiling, before any of it is allocated.
pub fn check_bytes(op: &str, what: &str, bytes: u128) -> Result<()> {
    within_limit(op, bytes, || what.to_string())
}

/// The one comparison with the ceiling; `what` is only formatted for the error (this runs for
/// every checked allocation).
fn within_limit(op: &str, bytes: u128, what: impl FnOnce() -> String) -> Result<()> {
    let limit = memory_limit();
    if bytes > limit as u128 {
        bail!(
            range,
            "{op}(): cannot allocate {} ({}): above seqtorch's per-allocation memory limit of {} (set it with setMemoryLimit() or SEQTORCH_MEMORY_LIMIT)",
            what(),
            fmt_bytes(bytes),
            fmt_bytes(limit as u128)
        );
    }
    Ok(())
}

fn out_of_memory(op: &str, shape: &[usize], bytes: u128) -> crate::Error {
    crate::Error::range(format!(
        "{op}(): out of memory: the allocation of {} for a tensor of shape {} failed",
        fmt_bytes(bytes),
        fmt_shape(shape)
    ))
}

/// Types whose all-zero bit pattern is a valid value (so a zeroed allocation is initialised).
///
/// # Safety
/// Implement only for types for which every byte being 0 is a valid value.
pub unsafe trait Zeroable: Copy {}
// SAFETY: zero bits are 0 / 0.0 for each of these.
unsafe impl Zeroable for f32 {}
unsafe impl Zeroable for f64 {}
unsafe impl Zeroable for i64 {}
unsafe impl Zeroable for u32 {}
unsafe impl Zeroable for u64 {}
unsafe impl Zeroable for usize {}
unsafe impl Zeroable for u8 {}

/// A zero-filled buffer for `shape`, as fast as `vec![0; n]` (fresh pages come zeroed from
/// the OS) but returning an error instead of aborting when memory is refused.
pub fn zeroed<T: Zeroable>(op: &str, shape: &[usize]) -> Result<Vec<T>> {
    let n = check(op, shape, std::mem::size_of::<T>())?;
    zeroed_len(op, shape, n)
}

fn zeroed_len<T: Zeroable>(op: &str, shape: &[usize], n: usize) -> Result<Vec<T>> {
    if n == 0 || std::mem::size_of::<T>() == 0 {
        return Ok(Vec::new());
    }
    let bytes = n as u128 * std::mem::size_of::<T>() as u128;
    let layout = Layout::array::<T>(n).map_err(|_| out_of_memory(op, shape, bytes))?;
    // SAFETY: the layout has a non-zero size; a null return is handled; the buffer is
    // allocated by the global allocator with `T`'s layout and fully initialised (zero is a
    // valid `T`), which is what `Vec::from_raw_parts` requires.
    unsafe {
        let ptr = alloc_zeroed(layout) as *mut T;
        if ptr.is_null() {
            return Err(out_of_memory(op, shape, bytes));
        }
        Ok(Vec::from_raw_parts(ptr, n, n))
    }
}

/// A buffer for `shape` filled with `value`.
pub fn filled<T: Zeroable + PartialEq + Default>(
    op: &str,
    shape: &[usize],
    value: T,
) -> Result<Vec<T>> {
    if value == T::default() {
        return zeroed(op, shape);
    }
    let mut v = with_capacity(op, shape)?;
    // The count was checked by `with_capacity`; the shape's product is that count.
    let n: usize = shape.iter().product();
    v.resize(n, value);
    Ok(v)
}

/// An empty vector with room for exactly the elements of `shape`, for code that pushes.
pub fn with_capacity<T>(op: &str, shape: &[usize]) -> Result<Vec<T>> {
    let n = check(op, shape, std::mem::size_of::<T>())?;
    let mut v = Vec::new();
    v.try_reserve_exact(n)
        .map_err(|_| out_of_memory(op, shape, n as u128 * std::mem::size_of::<T>() as u128))?;
    Ok(v)
}

/// A zeroed buffer of `len` elements for internal workspaces of `op` (the shape in messages
/// is `[len]`).
pub fn workspace<T: Zeroable>(op: &str, len: usize) -> Result<Vec<T>> {
    zeroed(op, &[len])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_parse_with_suffixes() {
        assert_eq!(parse_bytes("123"), Some(123));
        assert_eq!(parse_bytes("2K"), Some(2048));
        assert_eq!(parse_bytes("1.5G"), Some(1_610_612_736));
        assert_eq!(parse_bytes("x"), None);
        assert_eq!(parse_bytes("-1"), None);
    }

    #[test]
    fn oversized_and_overflowing_requests_are_errors() {
        let err = zeroed::<f32>("zeros", &[usize::MAX / 2, 4]).unwrap_err();
        assert_eq!(err.kind, crate::ErrorKind::Range);
        let huge = memory_limit() / 4 + 1;
        let err = zeroed::<f32>("zeros", &[huge]).unwrap_err();
        assert!(err.message.contains("memory limit"), "{}", err.message);
        assert!(err.message.contains("zeros()"), "{}", err.message);
        let v: Vec<f32> = filled("full", &[3, 2], 1.5).unwrap();
        assert_eq!(v, vec![1.5; 6]);
        let z: Vec<i64> = zeroed("zeros", &[0, 7]).unwrap();
        assert!(z.is_empty());
    }
}
