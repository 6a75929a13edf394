// Strided layouts on the GPU: shape and strides of up to 8 dimensions, passed by value, and the
// storage offset of the i-th element in row-major order (the CPU's `Layout::for_each_row`).
#pragma once

#define ST_MAX_DIMS 8

struct StLayout {
    int ndim;
    unsigned long long offset;
    unsigned long long shape[ST_MAX_DIMS];
    unsigned long long strides[ST_MAX_DIMS];
};

__device__ __forceinline__ unsigned long long st_offset(const StLayout& l, unsigned long long i) {
    unsigned long long off = l.offset;
    for (int d = l.ndim - 1; d >= 0; --d) {
        unsigned long long s = l.shape[d];
        off += (i % s) * l.strides[d];
        i /= s;
    }
    return off;
}

// Grid-stride loop over n elements.
#define ST_FOR(i, n) \
    for (unsigned long long i = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x; i < (n); \
         i += (unsigned long long)blockDim.x * gridDim.x)
