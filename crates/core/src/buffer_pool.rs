//! Large float32 buffers reused from one training step to the next instead of zero-filled.
//!
//! A recurrent layer's step allocates the same large buffers every time: the input projections
//! of every step, the states saved for backward and the gate gradients (about 28 MB at
//! small-lstm128, 230 MB at mid-lstm256x2). Zero-filling them (`vec![0.0; n]` on memory the
//! allocator had already handed out) ran on the calling thread while the worker threads waited:
//! 5-6% of those steps (bench/NOTES.md). A pooled buffer starts with whatever an earlier use
//! left in it, so it is only for buffers every element of which is written before it is read.
//! Builds with debug assertions fill every buffer they hand out with NaN, so that a read before
//! a write fails the tests instead of passing on stale values.
//!
//! The pool holds free buffers only: at most `MAX_POOLED_BYTES`, and none that stayed unused
//! for `MAX_IDLE` (the addon's allocator keeps freed memory mapped for the same minute).

use std::ops::{Deref, DerefMut};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Smaller buffers go straight back to the allocator: zero-filling them costs little.
const MIN_POOLED_LEN: usize = 1 << 16;
const MAX_POOLED_BYTES: usize = 1 << 30;
const MAX_IDLE: Duration = Duration::from_secs(60);

struct Pool {
    /// Free buffers, oldest first, with the time each was given back.
    free: Vec<(Vec<f32>, Instant)>,
    bytes: usize,
}

static POOL: Mutex<Pool> = Mutex::new(Pool {
    free: Vec::new(),
    bytes: 0,
});

fn pool() -> std::sync::MutexGuard<'static, Pool> {
    // A panic while holding the lock cannot leave the list inconsistent (plain pushes and
    // removes): keep using it.
    POOL.lock().unwrap_or_else(|e| e.into_inner())
}

impl Pool {
    fn release_idle(&mut self, now: Instant) {
        while let Some((v, at)) = self.free.first() {
            if now.duration_since(*at) < MAX_IDLE {
                break;
            }
            self.bytes -= v.capacity() * 4;
            self.free.remove(0);
        }
    }

    /// The smallest free buffer that holds `len` floats without wasting more than half of it.
    fn take(&mut self, len: usize) -> Option<Vec<f32>> {
        let fits = |v: &Vec<f32>| v.capacity() >= len && v.capacity() / 2 <= len;
        let (index, _) = self
            .free
            .iter()
            .enumerate()
            .filter(|(_, (v, _))| fits(v))
            .min_by_key(|(_, (v, _))| v.capacity())?;
        let (v, _) = self.free.remove(index);
        self.bytes -= v.capacity() * 4;
        Some(v)
    }

    fn give(&mut self, v: Vec<f32>, now: Instant) {
        self.bytes += v.capacity() * 4;
        self.free.push((v, now));
        while self.bytes > MAX_POOLED_BYTES {
            let (old, _) = self.free.remove(0);
            self.bytes -= old.capacity() * 4;
        }
    }
}

/// `len` float32 values of unspecified contents (initialised: zeros, or values an earlier
/// user left), for a buffer that is written in full before it is read. Returned to the pool
/// when dropped.
pub struct PooledBuffer {
    data: Vec<f32>,
}

impl PooledBuffer {
    pub fn new(len: usize) -> PooledBuffer {
        let reused = if len >= MIN_POOLED_LEN {
            let mut p = pool();
            p.release_idle(Instant::now());
            p.take(len)
        } else {
            None
        };
        let mut data = match reused {
            Some(mut v) => {
                // Within the capacity: no reallocation; a longer length appends zeros.
                v.resize(len, 0.0);
                v
            }
            None => vec![0.0; len],
        };
        if cfg!(debug_assertions) {
            data.fill(f32::NAN);
        }
        PooledBuffer { data }
    }
}

impl PooledBuffer {
    /// The buffer's values as 32-bit patterns (packed bf16 pairs use the pool this way).
    pub fn bits(&self) -> &[u32] {
        // SAFETY: f32 and u32 have the same size and alignment, and every bit pattern is a valid
        // u32.
        unsafe { std::slice::from_raw_parts(self.data.as_ptr() as *const u32, self.data.len()) }
    }

    /// As `bits`, writable.
    pub fn bits_mut(&mut self) -> &mut [u32] {
        // SAFETY: as in `bits`; every bit pattern is also a valid f32, so writes leave valid
        // floats behind.
        unsafe {
            std::slice::from_raw_parts_mut(self.data.as_mut_ptr() as *mut u32, self.data.len())
        }
    }
}

/// An empty buffer (allocates nothing).
impl Default for PooledBuffer {
    fn default() -> PooledBuffer {
        PooledBuffer { data: Vec::new() }
    }
}

impl Deref for PooledBuffer {
    type Target = [f32];

    fn deref(&self) -> &[f32] {
        &self.data
    }
}

impl DerefMut for PooledBuffer {
    fn deref_mut(&mut self) -> &mut [f32] {
        &mut self.data
    }
}

impl Drop for PooledBuffer {
    fn drop(&mut self) {
        if self.data.capacity() < MIN_POOLED_LEN {
            return;
        }
        let v = std::mem::take(&mut self.data);
        let now = Instant::now();
        let mut p = pool();
        p.release_idle(now);
        p.give(v, now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn empty_pool() -> Pool {
        Pool {
            free: Vec::new(),
            bytes: 0,
        }
    }

    #[test]
    fn a_free_buffer_is_handed_out_again_for_the_same_or_a_close_size() {
        let (mut p, now) = (empty_pool(), Instant::now());
        let len = MIN_POOLED_LEN * 3;
        let v = vec![0.0f32; len];
        let addr = v.as_ptr();
        p.give(v, now);
        assert_eq!(p.bytes, len * 4);
        // Neither a request that would waste more than half of it, nor a larger one.
        assert!(p.take(len / 2 - 1).is_none());
        assert!(p.take(len + 1).is_none());
        let again = p.take(len - 100).expect("fits");
        assert_eq!(again.as_ptr(), addr);
        assert_eq!(p.bytes, 0);
        // Of two that fit, the smaller.
        p.give(vec![0.0; len * 2 - 2], now);
        p.give(again, now);
        let smaller = p.take(len).expect("fits");
        assert_eq!(smaller.as_ptr(), addr);
    }

    #[test]
    fn the_pool_is_bounded_and_forgets_buffers_idle_for_a_minute() {
        let (mut p, now) = (empty_pool(), Instant::now());
        let half = MAX_POOLED_BYTES / 4 / 2;
        p.give(vec![0.0; half], now);
        p.give(vec![0.0; half], now);
        assert_eq!(p.free.len(), 2);
        p.give(vec![0.0; MIN_POOLED_LEN], now + Duration::from_secs(1));
        assert!(p.bytes <= MAX_POOLED_BYTES);
        assert_eq!(p.free.len(), 2, "the oldest went to make room");
        p.release_idle(now + MAX_IDLE);
        assert_eq!(p.free.len(), 1, "idle for a minute: released");
        p.release_idle(now + MAX_IDLE + Duration::from_secs(1));
        assert!(p.free.is_empty() && p.bytes == 0);
    }

    #[test]
    fn debug_builds_hand_out_nan_so_a_read_before_a_write_shows() {
        for len in [10, MIN_POOLED_LEN, MIN_POOLED_LEN + 7] {
            let mut b = PooledBuffer::new(len);
            assert_eq!(b.len(), len);
            if cfg!(debug_assertions) {
                assert!(b.iter().all(|v| v.is_nan()), "len {len}");
            }
            b.fill(1.0);
        }
        assert!(PooledBuffer::default().is_empty());
    }
}
