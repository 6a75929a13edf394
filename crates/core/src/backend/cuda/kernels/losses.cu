// The losses that have no tensor-op body: binary cross-entropy (on probabilities and on logits)
// per element, cross-entropy and NLL per row, and the backward scaling they share. The CUDA
// side of nn/loss.rs: each computes an item's loss and its derivatives with the CPU closures'
// formulas in the same order, so the reductions and the backward see the same numbers.

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

// One thread per row of x [n, c]: mode 0 cross-entropy on logits with label smoothing `eps`,
// mode 1 NLL on log-probabilities. `target` holds each row's class as a float (exact below
// 2^24), or -1 for an ignored row (loss and gradient row left 0). `w` (class weights, [c]) is
// read only when `has_w`.
extern "C" __global__ void class_loss(float* loss, float* d, const float* x, const float* target, const float* w, unsigned long long n, unsigned long long c, unsigned long long mode, unsigned long long has_w, unsigned long long eps_bits) {
    ST_FOR(i, n) {
        const float* row = x + i * c;
        float* drow = d + i * c;
        float tf = target[i];
        if (tf < 0.0f) {
            loss[i] = 0.0f;
            continue;
        }
        unsigned long long yi = (unsigned long long)tf;
        float wy = has_w ? w[yi] : 1.0f;
        if (mode == 1) {
            drow[yi] = -wy;
            loss[i] = -wy * row[yi];
            continue;
        }
        float eps = loss_f32_from_bits(eps_bits);
        float w_total = 0.0f;
        for (unsigned long long k = 0; k < c; ++k) w_total += has_w ? w[k] : 1.0f;
        float m = -__int_as_float(0x7f800000);  // -infinity (NVRTC has no math.h)
        for (unsigned long long k = 0; k < c; ++k) m = fmaxf(m, row[k]);
        float s = 0.0f;
        for (unsigned long long k = 0; k < c; ++k) s += expf(row[k] - m);
        float lse = m + logf(s);
        float nll = -wy * (row[yi] - lse);
        float smooth = 0.0f;
        for (unsigned long long k = 0; k < c; ++k) smooth += (has_w ? w[k] : 1.0f) * (row[k] - lse);
        smooth = -smooth;
        float cf = (float)c;
        for (unsigned long long k = 0; k < c; ++k) {
            float sk = expf(row[k] - lse);
            float wk = has_w ? w[k] : 1.0f;
            float hard = wy * (sk - (k == yi ? 1.0f : 0.0f));
            float soft = sk * w_total - wk;
            drow[k] = (1.0f - eps) * hard + eps / cf * soft;
        }
        loss[i] = (1.0f - eps) * nll + eps / cf * smooth;
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
