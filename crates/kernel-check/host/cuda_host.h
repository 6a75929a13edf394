// The CUDA built-ins the kernel sources use, for a host compiler. A launch is emulated by
// calling the kernel once per (block, thread) in turn, after `host_set_thread` has set the
// indices; they are thread-local, so tests running in parallel do not share them. Kernels with
// barriers and shared memory run each block's threads as real threads instead, which share a
// `HostBlock` (its barrier and its dynamic shared memory; see `host_block_new`).
#pragma once

#include <math.h>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <vector>

using std::isnan;

#define __global__
#define __device__
#define __forceinline__ inline
#define __launch_bounds__(threads)

struct HostDim3 {
    unsigned x, y, z;
};

extern thread_local HostDim3 threadIdx, blockIdx, blockDim, gridDim;

// One block of a launch whose threads run concurrently: a reusable barrier for
// `__syncthreads` and the block's dynamic shared memory.
struct HostBlock {
    std::mutex lock;
    std::condition_variable turn;
    unsigned threads = 0, waiting = 0;
    unsigned long long generation = 0;
    std::vector<float> shared;

    void sync() {
        std::unique_lock<std::mutex> guard(lock);
        unsigned long long mine = generation;
        if (++waiting == threads) {
            waiting = 0;
            ++generation;
            turn.notify_all();
        } else {
            turn.wait(guard, [&] { return generation != mine; });
        }
    }
};

extern thread_local HostBlock* host_block;

inline void __syncthreads() { host_block->sync(); }

#define ST_DYNAMIC_SHARED(type, name) type* name = reinterpret_cast<type*>(host_block->shared.data())

// Threads run one after another, so a plain add is atomic here.
inline float atomicAdd(float* address, float value) {
    float old = *address;
    *address = old + value;
    return old;
}

inline float __int_as_float(int bits) {
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
}

inline double __longlong_as_double(long long bits) {
    double d;
    std::memcpy(&d, &bits, sizeof d);
    return d;
}
