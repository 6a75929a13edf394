// One timestep's gate math for each recurrence, forward and backward, one thread per (row, unit):
// the CUDA side of rnn/fused_cell.rs, with the same formulas as the CPU's rnn/gates.rs. Every
// operand is contiguous, row-major: gates are [rows, k * hidden] in PyTorch's order (LSTM i, f,
// g, o; GRU r, z, n), states [rows, hidden]. `gi` holds the input side W_ih x + b_ih, `gh` the
// hidden side W_hh h + b_hh.

__device__ __forceinline__ float cell_sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }

#define CELL_FOR(e, rows, hidden) \
    for (unsigned long long e = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x; \
         e < (rows) * (hidden); e += (unsigned long long)blockDim.x * gridDim.x)

// h = tanh(gi + gh), or relu (NaN kept, as PyTorch's relu does).
extern "C" __global__ void elman_cell_forward(float* h, const float* gi, const float* gh, unsigned long long rows, unsigned long long hidden, unsigned long long relu) {
    CELL_FOR(e, rows, hidden) {
        float v = gi[e] + gh[e];
        h[e] = relu ? (v < 0.0f ? 0.0f : v) : tanhf(v);
    }
}

// The pre-activation gradient from the output h and its gradient dh.
extern "C" __global__ void elman_cell_backward(float* da, const float* h, const float* dh, unsigned long long rows, unsigned long long hidden, unsigned long long relu) {
    CELL_FOR(e, rows, hidden) {
        float y = h[e];
        da[e] = relu ? (y <= 0.0f ? 0.0f : dh[e]) : dh[e] * (1.0f - y * y);
    }
}

// c = f * c_prev + i * g, m = o * tanh(c); the activations i, f, g, o are saved in `act`.
extern "C" __global__ void lstm_cell_forward(float* m, float* c, float* act, const float* gi, const float* gh, const float* c_prev, unsigned long long rows, unsigned long long hidden) {
    CELL_FOR(e, rows, hidden) {
        unsigned long long r = e / hidden, j = e % hidden;
        unsigned long long b = r * 4 * hidden + j;
        float i = cell_sigmoid(gi[b] + gh[b]);
        float f = cell_sigmoid(gi[b + hidden] + gh[b + hidden]);
        float g = tanhf(gi[b + 2 * hidden] + gh[b + 2 * hidden]);
        float o = cell_sigmoid(gi[b + 3 * hidden] + gh[b + 3 * hidden]);
        float cn = f * c_prev[e] + i * g;
        c[e] = cn;
        m[e] = o * tanhf(cn);
        act[b] = i;
        act[b + hidden] = f;
        act[b + 2 * hidden] = g;
        act[b + 3 * hidden] = o;
    }
}

// From dm (gradient of m) and dc (gradient of c from outside the step): the pre-activation
// gradients (the same for gi and gh) and the gradient of c_prev.
extern "C" __global__ void lstm_cell_backward(float* dgates, float* dc_prev, const float* act, const float* c, const float* c_prev, const float* dm, const float* dc, unsigned long long rows, unsigned long long hidden) {
    CELL_FOR(e, rows, hidden) {
        unsigned long long r = e / hidden, j = e % hidden;
        unsigned long long b = r * 4 * hidden + j;
        float i = act[b], f = act[b + hidden], g = act[b + 2 * hidden], o = act[b + 3 * hidden];
        float tc = tanhf(c[e]);
        float dct = dc[e] + dm[e] * o * (1.0f - tc * tc);
        dgates[b] = dct * g * i * (1.0f - i);
        dgates[b + hidden] = dct * c_prev[e] * f * (1.0f - f);
        dgates[b + 2 * hidden] = dct * i * (1.0f - g * g);
        dgates[b + 3 * hidden] = dm[e] * tc * o * (1.0f - o);
        dc_prev[e] = dct * f;
    }
}

// PyTorch's GRU: n = tanh(gi_n + r * gh_n), h = (1 - z) * n + z * h_prev. r, z, n are saved in
// `act` and gh_n (= W_hn h + b_hn) in `ghn`.
extern "C" __global__ void gru_cell_forward(float* h, float* act, float* ghn, const float* gi, const float* gh, const float* h_prev, unsigned long long rows, unsigned long long hidden) {
    CELL_FOR(e, rows, hidden) {
        unsigned long long r = e / hidden, j = e % hidden;
        unsigned long long b = r * 3 * hidden + j;
        float rg = cell_sigmoid(gi[b] + gh[b]);
        float z = cell_sigmoid(gi[b + hidden] + gh[b + hidden]);
        float hn = gh[b + 2 * hidden];
        float n = tanhf(gi[b + 2 * hidden] + rg * hn);
        h[e] = (1.0f - z) * n + z * h_prev[e];
        act[b] = rg;
        act[b + hidden] = z;
        act[b + 2 * hidden] = n;
        ghn[e] = hn;
    }
}

// From dh (gradient of h): the input-side and hidden-side pre-activation gradients (they differ
// in the n gate by the factor r) and the direct gradient of h_prev, dh * z (the path through
// gh is the caller's product).
extern "C" __global__ void gru_cell_backward(float* dgi, float* dgh, float* dh_prev, const float* act, const float* ghn, const float* h_prev, const float* dh, unsigned long long rows, unsigned long long hidden) {
    CELL_FOR(e, rows, hidden) {
        unsigned long long r = e / hidden, j = e % hidden;
        unsigned long long b = r * 3 * hidden + j;
        float rg = act[b], z = act[b + hidden], n = act[b + 2 * hidden];
        float g = dh[e];
        float dan = g * (1.0f - z) * (1.0f - n * n);
        float daz = g * (h_prev[e] - n) * z * (1.0f - z);
        float dar = dan * ghn[e] * rg * (1.0f - rg);
        dgi[b] = dar;
        dgi[b + hidden] = daz;
        dgi[b + 2 * hidden] = dan;
        dgh[b] = dar;
        dgh[b + hidden] = daz;
        dgh[b + 2 * hidden] = dan * rg;
        dh_prev[e] = g * z;
    }
}
