// The losses that have no tensor-op body: binary cross-entropy (on probabilities and on logits)
// per element, cross-entropy and NLL per row, and the backward scaling they share. The CUDA
// side of nn/loss.rs: each computes an item's loss and its derivatives with the CPU closures'
// formulas (the class sums of `class_loss` in a block-wide tree, so in another order than
// the CPU's), so the reductions and the backward see the same numbers.

#include "layout.cuh"

// Scalars that do not fit the launcher's 64-bit integer parameters are passed as their bits.
__device__ __forceinline__ float loss_f32_from_bits(unsigned long long bits) {
    return __int_as_float((int)(unsigned int)bits);
}
__device__ __forceinline__ double loss_f64_from_bits(unsigned long long bits) {
    return __longlong_as_double((long long)bits);
}

// op 0: BCE on probabilities, logs clamped at -100 (PyTorch's binary_cross_entropy);
// op 1: BCE on logits in the stable form, with pos_weight. `w` and `pw` have the input's shape
// and are read only when `has_w` / `has_pw`.
extern "C" __global__ void pointwise_loss(float* loss, float* dx, float* dt, const float* x, const float* t, const float* w, const float* pw, unsigned long long n, unsigned long long op, unsigned long long has_w, unsigned long long has_pw) {
    ST_FOR(e, n) {
        float xe = x[e], te = t[e];
        float we = has_w ? w[e] : 1.0f;
        if (op == 0) {
            float lx = fmaxf(logf(xe), -100.0f);
            float l1x = fmaxf(logf(1.0f - xe), -100.0f);
            loss[e] = -we * (te * lx + (1.0f - te) * l1x);
            dx[e] = we * (xe - te) / fmaxf((1.0f - xe) * xe, 1e-12f);
            dt[e] = -we * (lx - l1x);
        } else {
            float p = has_pw ? pw[e] : 1.0f;
            float log_weight = (p - 1.0f) * te + 1.0f;
            float softplus_neg = log1pf(expf(-fabsf(xe))) + fmaxf(-xe, 0.0f);
            loss[e] = we * ((1.0f - te) * xe + log_weight * softplus_neg);
            float sig = 1.0f / (1.0f + expf(-xe));
            dx[e] = we * ((1.0f - te) + log_weight * (sig - 1.0f));
            dt[e] = we * (-xe + (p - 1.0f) * softplus_neg);
        }
    }
}

#ifndef ST_DYNAMIC_SHARED
#define ST_DYNAMIC_SHARED(type, name) extern __shared__ type name[]
#endif

// Block-wide reductions over one value per thread (blockDim.x a power of two, `red` that many
// floats of shared memory). Every thread of the block calls them and gets the result.
__device__ __forceinline__ float loss_block_sum(float v, float* red) {
    red[threadIdx.x] = v;
    __syncthreads();
    for (unsigned s = blockDim.x / 2; s > 0; s >>= 1) {
        if (threadIdx.x < s) red[threadIdx.x] += red[threadIdx.x + s];
        __syncthreads();
    }
    float total = red[0];
    __syncthreads();
    return total;
}

__device__ __forceinline__ float loss_block_max(float v, float* red) {
    red[threadIdx.x] = v;
    __syncthreads();
    for (unsigned s = blockDim.x / 2; s > 0; s >>= 1) {
        if (threadIdx.x < s) red[threadIdx.x] = fmaxf(red[threadIdx.x], red[threadIdx.x + s]);
        __syncthreads();
    }
    float top = red[0];
    __syncthreads();
    return top;
}

// One block per row of x [n, c] (grid-stride over rows; blockDim.x a power of two, as many
// floats of dynamic shared memory), its threads striding over the classes: mode 0
// cross-entropy on logits with label smoothing `eps`, mode 1 NLL on log-probabilities.
// `target` holds each row's class as a float (exact below 2^24), or -1 for an ignored row
// (loss and gradient row left 0). `w` (class weights, [c]) is read only when `has_w`. A row's
// branches depend only on the row, so every thread of a block meets the same barriers.
extern "C" __global__ void __launch_bounds__(1024) class_loss(float* loss, float* d, const float* x, const float* target, const float* w, unsigned long long n, unsigned long long c, unsigned long long mode, unsigned long long has_w, unsigned long long eps_bits) {
    ST_DYNAMIC_SHARED(float, red);
    const unsigned long long tid = threadIdx.x, step = blockDim.x;
    for (unsigned long long i = blockIdx.x; i < n; i += gridDim.x) {
        const float* row = x + i * c;
        float* drow = d + i * c;
        float tf = target[i];
        if (tf < 0.0f) {
            if (tid == 0) loss[i] = 0.0f;
            continue;
        }
        unsigned long long yi = (unsigned long long)tf;
        float wy = has_w ? w[yi] : 1.0f;
        if (mode == 1) {
            if (tid == 0) {
                drow[yi] = -wy;
                loss[i] = -wy * row[yi];
            }
            continue;
        }
        float eps = loss_f32_from_bits(eps_bits);
        float part = 0.0f;
        for (unsigned long long k = tid; k < c; k += step) part += has_w ? w[k] : 1.0f;
        float w_total = loss_block_sum(part, red);
        float m = -__int_as_float(0x7f800000);  // -infinity (NVRTC has no math.h)
        for (unsigned long long k = tid; k < c; k += step) m = fmaxf(m, row[k]);
        m = loss_block_max(m, red);
        part = 0.0f;
        for (unsigned long long k = tid; k < c; k += step) part += expf(row[k] - m);
        float lse = m + logf(loss_block_sum(part, red));
        part = 0.0f;
        for (unsigned long long k = tid; k < c; k += step) part += (has_w ? w[k] : 1.0f) * (row[k] - lse);
        float smooth = -loss_block_sum(part, red);
        float cf = (float)c;
        for (unsigned long long k = tid; k < c; k += step) {
            float sk = expf(row[k] - lse);
            float wk = has_w ? w[k] : 1.0f;
            float hard = wy * (sk - (k == yi ? 1.0f : 0.0f));
            float soft = sk * w_total - wk;
            drow[k] = (1.0f - eps) * hard + eps / cf * soft;
        }
        if (tid == 0) {
            float nll = -wy * (row[yi] - lse);
            loss[i] = (1.0f - eps) * nll + eps / cf * smooth;
        }
    }
}

// The gradient of the input (or target) from the items' derivatives `d`: times the incoming
// gradient of the item (mode 0, reduction none: g has one value per item of `group` elements),
// of the sum (mode 1), or of the mean divided by `norm` (mode 2, in double as on the CPU).
// Where `zeros[e]` is nonzero the entry is 0 whatever g is (PyTorch never writes it).
extern "C" __global__ void loss_backward(float* out, const float* d, const float* g, const float* zeros, unsigned long long n, unsigned long long group, unsigned long long mode, unsigned long long has_zeros, unsigned long long norm_bits) {
    ST_FOR(e, n) {
        float factor;
        if (mode == 0) {
            factor = g[e / group];
        } else if (mode == 1) {
            factor = g[0];
        } else {
            factor = (float)((double)g[0] / loss_f64_from_bits(norm_bits));
        }
        out[e] = (has_zeros && zeros[e] != 0.0f) ? 0.0f : d[e] * factor;
    }
}
