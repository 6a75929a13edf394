// Sums over one dimension and the index ops: the CUDA side of BackendStorage::sum_dims,
// index_select and index_add_. Inputs are contiguous (the caller gathers strided views first),
// viewed as (outer, size, inner) around the dimension.

// out[o, i] = sum_k x[o, k, i]; one thread per output element, k in order (the CPU's order).
extern "C" __global__ void sum_dim_f32(float* out, const float* x, unsigned long long outer, unsigned long long size, unsigned long long inner) {
    unsigned long long n = outer * inner;
    for (unsigned long long j = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x; j < n;
         j += (unsigned long long)blockDim.x * gridDim.x) {
        unsigned long long o = j / inner, i = j % inner;
        const float* p = x + o * size * inner + i;
        float acc = 0.0f;
        for (unsigned long long k = 0; k < size; ++k) acc += p[k * inner];
        out[j] = acc;
    }
}

extern "C" __global__ void sum_dim_i64(long long* out, const long long* x, unsigned long long outer, unsigned long long size, unsigned long long inner) {
    unsigned long long n = outer * inner;
    for (unsigned long long j = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x; j < n;
         j += (unsigned long long)blockDim.x * gridDim.x) {
        unsigned long long o = j / inner, i = j % inner;
        const long long* p = x + o * size * inner + i;
        unsigned long long acc = 0;
        for (unsigned long long k = 0; k < size; ++k) acc += (unsigned long long)p[k * inner];
        out[j] = (long long)acc;
    }
}

// out[o, p, i] = x[o, index[p], i]
extern "C" __global__ void index_select_f32(float* out, const float* x, const unsigned long long* index, unsigned long long outer, unsigned long long size, unsigned long long picks, unsigned long long inner) {
    unsigned long long n = outer * picks * inner;
    for (unsigned long long j = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x; j < n;
         j += (unsigned long long)blockDim.x * gridDim.x) {
        unsigned long long i = j % inner, p = (j / inner) % picks, o = j / (inner * picks);
        out[j] = x[(o * size + index[p]) * inner + i];
    }
}

extern "C" __global__ void index_select_i64(long long* out, const long long* x, const unsigned long long* index, unsigned long long outer, unsigned long long size, unsigned long long picks, unsigned long long inner) {
    unsigned long long n = outer * picks * inner;
    for (unsigned long long j = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x; j < n;
         j += (unsigned long long)blockDim.x * gridDim.x) {
        unsigned long long i = j % inner, p = (j / inner) % picks, o = j / (inner * picks);
        out[j] = x[(o * size + index[p]) * inner + i];
    }
}

// dst[o, index[p], i] += src[o, p, i]; repeated indices add up (atomically).
extern "C" __global__ void index_add_f32(float* dst, const float* src, const unsigned long long* index, unsigned long long outer, unsigned long long size, unsigned long long picks, unsigned long long inner) {
    unsigned long long n = outer * picks * inner;
    for (unsigned long long j = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x; j < n;
         j += (unsigned long long)blockDim.x * gridDim.x) {
        unsigned long long i = j % inner, p = (j / inner) % picks, o = j / (inner * picks);
        atomicAdd(&dst[(o * size + index[p]) * inner + i], src[j]);
    }
}
