// The CUDA built-ins the kernel sources use, for a host compiler. A launch is emulated by
// calling the kernel once per (block, thread) in turn, after `host_set_thread` has set the
// indices; they are thread-local, so tests running in parallel do not share them. Only kernels
// without shared memory or barriers can run this way (every kernel seqtorch has so far).
#pragma once

#include <math.h>
#include <cmath>
#include <cstring>

using std::isnan;

#define __global__
#define __device__
#define __forceinline__ inline

struct HostDim3 {
    unsigned x, y, z;
};

extern thread_local HostDim3 threadIdx, blockIdx, blockDim, gridDim;

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
