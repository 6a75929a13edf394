//! What a GPU's memory pool holds, as `torch.cuda.memory_allocated` and friends report it.

/// Bytes of one device's memory pool (where every tensor's buffer comes from): in use by
/// buffers now and at most since the last reset, and held from the driver (in use plus freed
/// memory kept for reuse) now and at most.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MemoryStats {
    pub allocated: u64,
    pub peak_allocated: u64,
    pub reserved: u64,
    pub peak_reserved: u64,
}
