// Elementwise kernels: the CUDA side of BackendStorage::unary/binary/to_dtype/copy_into. Inputs
// are read through strided (broadcast) layouts; outputs are contiguous unless said otherwise.
// The math matches the CPU kernels (PyTorch's semantics: relu keeps NaN, threshold_backward
// passes the gradient where x is NaN).
#include "layout.cuh"

__device__ __forceinline__ float st_sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }

// op: 0 neg, 1 exp, 2 log, 3 sigmoid, 4 tanh, 5 relu, 6 sin, 7 cos, 8 abs, 9 sign, 10 sqrt,
// 11 square, 12 powf(arg), 13 eq-mask(arg), 14 clamp-min(arg), 15 clamp-max(arg) (PyTorch's:
// NaN stays NaN, a NaN bound gives NaN), 16 greater-than mask(arg), 17 less-than mask(arg)
extern "C" __global__ void unary_f32(float* out, const float* x, StLayout lx, unsigned long long n, int op, float arg) {
    ST_FOR(i, n) {
        float v = x[st_offset(lx, i)];
        float r;
        switch (op) {
            case 0: r = -v; break;
            case 1: r = expf(v); break;
            case 2: r = logf(v); break;
            case 3: r = st_sigmoid(v); break;
            case 4: r = tanhf(v); break;
            case 5: r = v < 0.0f ? 0.0f : v; break;
            case 6: r = sinf(v); break;
            case 7: r = cosf(v); break;
            case 8: r = fabsf(v); break;
            case 9: r = v > 0.0f ? 1.0f : (v < 0.0f ? -1.0f : 0.0f); break;
            case 10: r = sqrtf(v); break;
            case 11: r = v * v; break;
            case 12: r = powf(v, arg); break;
            case 13: r = (v == arg || (isnan(v) && isnan(arg))) ? 1.0f : 0.0f; break;
            case 14: r = (isnan(arg) || v < arg) ? arg : v; break;
            case 15: r = (isnan(arg) || v > arg) ? arg : v; break;
            case 16: r = v > arg ? 1.0f : 0.0f; break;
            default: r = v < arg ? 1.0f : 0.0f; break;
        }
        out[i] = r;
    }
}

// op: 0 neg, 8 abs, 5 relu, 9 sign (the integer ones)
extern "C" __global__ void unary_i64(long long* out, const long long* x, StLayout lx, unsigned long long n, int op) {
    ST_FOR(i, n) {
        long long v = x[st_offset(lx, i)];
        long long r;
        switch (op) {
            case 0: r = (long long)(0ull - (unsigned long long)v); break;
            case 8: r = v < 0 ? (long long)(0ull - (unsigned long long)v) : v; break;
            case 5: r = v < 0 ? 0 : v; break;
            default: r = (v > 0) - (v < 0); break;
        }
        out[i] = r;
    }
}

// op: 0 add, 1 sub, 2 mul, 3 div, 4 sigmoid_backward(g, s), 5 tanh_backward(g, t),
// 6 threshold_backward(g, x)
extern "C" __global__ void binary_f32(float* out, const float* a, StLayout la, const float* b, StLayout lb, unsigned long long n, int op) {
    ST_FOR(i, n) {
        float x = a[st_offset(la, i)];
        float y = b[st_offset(lb, i)];
        float r;
        switch (op) {
            case 0: r = x + y; break;
            case 1: r = x - y; break;
            case 2: r = x * y; break;
            case 3: r = x / y; break;
            case 4: r = x * y * (1.0f - y); break;
            case 5: r = x * (1.0f - y * y); break;
            default: r = y <= 0.0f ? 0.0f : x; break;
        }
        out[i] = r;
    }
}

// Wrapping integer add/sub/mul, as the CPU's wrapping_* do.
extern "C" __global__ void binary_i64(long long* out, const long long* a, StLayout la, const long long* b, StLayout lb, unsigned long long n, int op) {
    ST_FOR(i, n) {
        unsigned long long x = (unsigned long long)a[st_offset(la, i)];
        unsigned long long y = (unsigned long long)b[st_offset(lb, i)];
        unsigned long long r = op == 0 ? x + y : (op == 1 ? x - y : x * y);
        out[i] = (long long)r;
    }
}

// Contiguous copies of strided views, and dtype conversions (float to int truncates).
extern "C" __global__ void gather_f32(float* out, const float* x, StLayout lx, unsigned long long n) {
    ST_FOR(i, n) { out[i] = x[st_offset(lx, i)]; }
}

extern "C" __global__ void gather_i64(long long* out, const long long* x, StLayout lx, unsigned long long n) {
    ST_FOR(i, n) { out[i] = x[st_offset(lx, i)]; }
}

// Rust's saturating `as i64`: NaN becomes 0, values beyond the range its ends (a plain C cast
// of those is undefined).
extern "C" __global__ void f32_to_i64(long long* out, const float* x, StLayout lx, unsigned long long n) {
    ST_FOR(i, n) {
        float v = x[st_offset(lx, i)];
        out[i] = isnan(v) ? 0LL : (v >= 9.223372e18f ? 9223372036854775807LL : (v <= -9.223372e18f ? (-9223372036854775807LL - 1) : (long long)v));
    }
}

extern "C" __global__ void i64_to_f32(float* out, const long long* x, StLayout lx, unsigned long long n) {
    ST_FOR(i, n) { out[i] = (float)x[st_offset(lx, i)]; }
}

// Writes a contiguous source into the elements of a strided destination (copy_into), or adds
// it (add_assign: gradient accumulation).
extern "C" __global__ void scatter_f32(float* dst, StLayout ld, const float* src, unsigned long long n, int accumulate) {
    ST_FOR(i, n) {
        unsigned long long o = st_offset(ld, i);
        dst[o] = accumulate ? dst[o] + src[i] : src[i];
    }
}

extern "C" __global__ void scatter_i64(long long* dst, StLayout ld, const long long* src, unsigned long long n) {
    ST_FOR(i, n) { dst[st_offset(ld, i)] = src[i]; }
}

extern "C" __global__ void fill_f32(float* out, float value, unsigned long long n) {
    ST_FOR(i, n) { out[i] = value; }
}

extern "C" __global__ void fill_i64(long long* out, long long value, unsigned long long n) {
    ST_FOR(i, n) { out[i] = value; }
}
