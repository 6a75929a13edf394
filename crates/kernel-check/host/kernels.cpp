// Every kernel module of seqtorch-core, compiled for the host.
#include "cuda_host.h"

thread_local HostDim3 threadIdx, blockIdx, blockDim, gridDim;
thread_local HostBlock* host_block = nullptr;

// A block whose `threads` threads will share a barrier and `shared_floats` floats of (zeroed)
// shared memory; each of them calls `host_enter_block` with it before the kernel.
extern "C" HostBlock* host_block_new(unsigned threads, unsigned long long shared_floats) {
    HostBlock* b = new HostBlock();
    b->threads = threads;
    b->shared.assign(shared_floats, 0.0f);
    return b;
}

extern "C" void host_enter_block(HostBlock* b) { host_block = b; }

extern "C" void host_block_free(HostBlock* b) { delete b; }

extern "C" void host_set_thread(unsigned grid, unsigned block, unsigned block_index, unsigned thread_index) {
    gridDim = {grid, 1, 1};
    blockDim = {block, 1, 1};
    blockIdx = {block_index, 0, 0};
    threadIdx = {thread_index, 0, 0};
}

#include "elementwise.cu"
#include "reduce_index.cu"
#include "rnn_cells.cu"
#include "rnn_sequence.cu"
#include "optim.cu"
#include "losses.cu"

#include <cstddef>

// The argument structs' layout as the C side sees it: size, then the offset of the last field.
extern "C" void host_args_layout(int which, unsigned long long* size, unsigned long long* last) {
    switch (which) {
        case 0: *size = sizeof(SgdArgs); *last = offsetof(SgdArgs, fresh); break;
        case 1: *size = sizeof(AdamArgs); *last = offsetof(AdamArgs, maximize); break;
        default: *size = sizeof(RmsPropArgs); *last = offsetof(RmsPropArgs, maximize); break;
    }
}
