//! seqtorch-core's CUDA kernel sources (`crates/core/src/backend/cuda/kernels/*.cu`), compiled
//! for the host as C++ with `host/cuda_host.h` standing in for the CUDA built-ins, and a launch
//! emulated by running every (block, thread) of the grid in turn. The tests in `tests/` check
//! each kernel's arithmetic and indexing against the CPU kernels or a float64 reference, with
//! small grids that make the grid-stride loops wrap, so a kernel is known to compute the right
//! numbers before a GPU ever runs it. What this cannot see: races between GPU threads, memory
//! ordering, and the GPU's own math library (`expf`, `tanhf` differ by a few ulp).

pub mod kernels;

pub use kernels::StLayout;

/// Runs `kernel` as a launch of `grid` blocks of `block` threads: once per thread, with the
/// built-in indices set.
pub fn emulate(grid: u32, block: u32, mut kernel: impl FnMut()) {
    for b in 0..grid {
        for t in 0..block {
            // SAFETY: sets four thread-local variables of the C++ side.
            unsafe { kernels::host_set_thread(grid, block, b, t) };
            kernel();
        }
    }
}

/// Runs `kernel` as a launch of `grid` blocks of `block` threads that use barriers and
/// `shared_floats` floats of dynamic shared memory: each block's threads run concurrently (real
/// threads meeting at every `__syncthreads`), one block after another.
pub fn emulate_blocks(grid: u32, block: u32, shared_floats: usize, kernel: impl Fn() + Sync) {
    struct Block(*mut kernels::HostBlock);
    // SAFETY: the C++ block is shared only by this launch's threads, which synchronise through
    // its own mutex, and it is freed after they have all been joined.
    unsafe impl Sync for Block {}
    for b in 0..grid {
        // SAFETY: allocates the C++ block; freed below.
        let shared = Block(unsafe { kernels::host_block_new(block, shared_floats as u64) });
        std::thread::scope(|s| {
            for t in 0..block {
                let (shared, kernel) = (&shared, &kernel);
                s.spawn(move || {
                    // SAFETY: sets this thread's indices and its block.
                    unsafe {
                        kernels::host_set_thread(grid, block, b, t);
                        kernels::host_enter_block(shared.0);
                    }
                    kernel();
                });
            }
        });
        // SAFETY: every thread that used the block has been joined.
        unsafe { kernels::host_block_free(shared.0) };
    }
}

/// The grids the tests launch with: the one seqtorch-core uses for `n` elements
/// (`device::grid`: 256 threads a block) and a small odd one that makes every grid-stride loop
/// go round several times.
pub fn grids(n: usize) -> [(u32, u32); 2] {
    let blocks = n.div_ceil(256).clamp(1, 65_535) as u32;
    [(blocks, 256), (3, 7)]
}

/// A strided layout for the elementwise kernels.
pub fn layout(offset: usize, shape: &[usize], strides: &[usize]) -> StLayout {
    assert!(shape.len() <= 8 && shape.len() == strides.len());
    let mut l = StLayout {
        ndim: shape.len() as i32,
        offset: offset as u64,
        shape: [1; 8],
        strides: [0; 8],
    };
    for (i, (&d, &s)) in shape.iter().zip(strides).enumerate() {
        l.shape[i] = d as u64;
        l.strides[i] = s as u64;
    }
    l
}

/// Row-major strides of a contiguous `shape`.
pub fn contiguous_strides(shape: &[usize]) -> Vec<usize> {
    let mut strides = vec![1; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        strides[i] = strides[i + 1] * shape[i + 1];
    }
    strides
}
