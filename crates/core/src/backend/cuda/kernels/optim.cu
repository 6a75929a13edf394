// The optimizers' in-place updates, one thread per element: the CUDA side of optim/*.rs, with
// the CPU loops' arithmetic in the same order (PyTorch's single-tensor implementations). The
// parameter and the state buffers are updated in place; the per-step constants (bias
// corrections) are computed on the host and passed in the argument struct. One kernel per
// combination of state buffers, so no kernel takes a pointer it does not use.

#include "layout.cuh"

// optim/sgd.rs
struct SgdArgs {
    float lr, momentum, dampening, weight_decay;
    int nesterov, maximize;
    // 1 on the momentum buffer's first step: it starts at the gradient, undamped.
    int fresh;
};

__device__ __forceinline__ float sgd_grad(const SgdArgs& a, float p, float grad) {
    float g = a.maximize ? -grad : grad;
    return g + a.weight_decay * p;
}

extern "C" __global__ void sgd_step(float* p, const float* grad, SgdArgs a, unsigned long long n) {
    ST_FOR(i, n) { p[i] -= a.lr * sgd_grad(a, p[i], grad[i]); }
}

extern "C" __global__ void sgd_step_momentum(float* p, float* buf, const float* grad, SgdArgs a, unsigned long long n) {
    ST_FOR(i, n) {
        float g = sgd_grad(a, p[i], grad[i]);
        float b = a.fresh ? g : a.momentum * buf[i] + (1.0f - a.dampening) * g;
        buf[i] = b;
        float d = a.nesterov ? g + a.momentum * b : b;
        p[i] -= a.lr * d;
    }
}

// optim/adam.rs (Adam and AdamW)
struct AdamArgs {
    float lr, beta1, beta2, eps, weight_decay;
    // lr / (1 - beta1^step) and sqrt(1 - beta2^step), computed in double on the host.
    float step_size, bc2_sqrt;
    int decoupled, maximize;
};

// The moment updates of one element; returns the new second moment.
__device__ __forceinline__ float adam_moments(const AdamArgs& a, float* p, float grad, float* m, float* v) {
    float g = a.maximize ? -grad : grad;
    if (a.decoupled) {
        *p *= 1.0f - a.lr * a.weight_decay;
    } else {
        g += a.weight_decay * *p;
    }
    *m += (g - *m) * (1.0f - a.beta1);
    *v = a.beta2 * *v + (1.0f - a.beta2) * g * g;
    return *v;
}

extern "C" __global__ void adam_step(float* p, float* m, float* v, const float* grad, AdamArgs a, unsigned long long n) {
    ST_FOR(i, n) {
        float second = adam_moments(a, &p[i], grad[i], &m[i], &v[i]);
        p[i] -= a.step_size * m[i] / (sqrtf(second) / a.bc2_sqrt + a.eps);
    }
}

extern "C" __global__ void adam_step_amsgrad(float* p, float* m, float* v, float* vmax, const float* grad, AdamArgs a, unsigned long long n) {
    ST_FOR(i, n) {
        float second = adam_moments(a, &p[i], grad[i], &m[i], &v[i]);
        // fmaxf, like Rust's max: a NaN on one side gives the other.
        float vm = fmaxf(vmax[i], second);
        vmax[i] = vm;
        p[i] -= a.step_size * m[i] / (sqrtf(vm) / a.bc2_sqrt + a.eps);
    }
}

// optim/rmsprop.rs
struct RmsPropArgs {
    float lr, alpha, eps, weight_decay, momentum;
    int maximize;
};

// The gradient after sign and weight decay; updates the running average of its square.
__device__ __forceinline__ float rmsprop_grad(const RmsPropArgs& a, float p, float grad, float* sq) {
    float g = a.maximize ? -grad : grad;
    g += a.weight_decay * p;
    *sq = a.alpha * *sq + (1.0f - a.alpha) * g * g;
    return g;
}

// The denominator; centered when `ga` (the running average of the gradient) is given.
__device__ __forceinline__ float rmsprop_denom(const RmsPropArgs& a, float sq, float* ga, float g) {
    if (ga) {
        *ga += (g - *ga) * (1.0f - a.alpha);
        return sqrtf(sq - *ga * *ga) + a.eps;
    }
    return sqrtf(sq) + a.eps;
}

extern "C" __global__ void rmsprop_step(float* p, float* sq, const float* grad, RmsPropArgs a, unsigned long long n) {
    ST_FOR(i, n) {
        float g = rmsprop_grad(a, p[i], grad[i], &sq[i]);
        p[i] -= a.lr * g / rmsprop_denom(a, sq[i], 0, g);
    }
}

extern "C" __global__ void rmsprop_step_centered(float* p, float* sq, float* ga, const float* grad, RmsPropArgs a, unsigned long long n) {
    ST_FOR(i, n) {
        float g = rmsprop_grad(a, p[i], grad[i], &sq[i]);
        p[i] -= a.lr * g / rmsprop_denom(a, sq[i], &ga[i], g);
    }
}

extern "C" __global__ void rmsprop_step_momentum(float* p, float* sq, float* buf, const float* grad, RmsPropArgs a, unsigned long long n) {
    ST_FOR(i, n) {
        float g = rmsprop_grad(a, p[i], grad[i], &sq[i]);
        buf[i] = a.momentum * buf[i] + g / rmsprop_denom(a, sq[i], 0, g);
        p[i] -= a.lr * buf[i];
    }
}

extern "C" __global__ void rmsprop_step_centered_momentum(float* p, float* sq, float* ga, float* buf, const float* grad, RmsPropArgs a, unsigned long long n) {
    ST_FOR(i, n) {
        float g = rmsprop_grad(a, p[i], grad[i], &sq[i]);
        buf[i] = a.momentum * buf[i] + g / rmsprop_denom(a, sq[i], &ga[i], g);
        p[i] -= a.lr * buf[i];
    }
}
