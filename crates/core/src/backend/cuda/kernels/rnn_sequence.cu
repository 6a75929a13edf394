// A whole direction of an LSTM or GRU layer in one launch each way (the "persistent" recurrence
// of Diamos et al. 2016, by rows): batch rows are independent through time, so each block
// owns SEQ_ROWS of them for every step, keeps their state in shared memory, and loops over the
// steps itself, with barriers between a step's product and its gate math. One launch replaces
// two (a product and a gate kernel) per step, which is what small models spend their time on.
// The CUDA side of rnn/sequence.rs, with its host loops' formulas and order.
//
// Layout: `gi` holds every step's input-side pre-activations, step-major ([rows, G], G = 4H
// for LSTM i, f, g, o; 3H for GRU r, z, n), with the biases that fold into it; `steps` holds,
// per step, (first row, active rows) as floats (exact below 2^24), active rows a prefix of the
// batch (packed sequences sorted by length). Block size: G threads (G <= 1024). Dynamic shared
// memory: (2 * H + G) * SEQ_ROWS floats (LSTM), (H + G) * SEQ_ROWS (GRU). The launch bounds
// keep every kernel within the registers that 1024 threads of a block leave each.

#define SEQ_ROWS 4

#ifndef ST_DYNAMIC_SHARED
#define ST_DYNAMIC_SHARED(type, name) extern __shared__ type name[]
#endif

__device__ __forceinline__ float seq_sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }

__device__ __forceinline__ void seq_step(const float* steps, unsigned long long t, unsigned long long* off, unsigned long long* active) {
    *off = (unsigned long long)steps[2 * t];
    *active = (unsigned long long)steps[2 * t + 1];
}

// pre[r, j] = sum_k h[r, k] w_t[k, j] (+ bias[j]) for the block's active rows; w_t is [H, G].
__device__ __forceinline__ void seq_hidden_product(float* pre, const float* h, const float* w_t, const float* bias, unsigned long long rows, unsigned long long H, unsigned long long G, unsigned long long j) {
    float acc[SEQ_ROWS];
    for (int r = 0; r < SEQ_ROWS; ++r) acc[r] = 0.0f;
    for (unsigned long long k = 0; k < H; ++k) {
        float w = w_t[k * G + j];
        for (int r = 0; r < SEQ_ROWS; ++r) {
            if ((unsigned long long)r < rows) acc[r] += h[r * H + k] * w;
        }
    }
    float b = bias ? bias[j] : 0.0f;
    for (unsigned long long r = 0; r < rows; ++r) pre[r * G + j] = acc[r] + b;
}

// dh[r, k] (+)= sum_q dg[r, q] w[q, k] for the block's active rows; w is [G, H].
__device__ __forceinline__ void seq_state_gradient(float* dh, const float* dg, const float* w, unsigned long long rows, unsigned long long H, unsigned long long G, unsigned long long k, int accumulate) {
    float acc[SEQ_ROWS];
    for (int r = 0; r < SEQ_ROWS; ++r) acc[r] = 0.0f;
    for (unsigned long long q = 0; q < G; ++q) {
        float wq = w[q * H + k];
        for (int r = 0; r < SEQ_ROWS; ++r) {
            if ((unsigned long long)r < rows) acc[r] += dg[r * G + q] * wq;
        }
    }
    for (unsigned long long r = 0; r < rows; ++r) dh[r * H + k] = (accumulate ? dh[r * H + k] : 0.0f) + acc[r];
}

// Rows of this block active at a step with `active` rows in all.
__device__ __forceinline__ unsigned long long seq_rows(unsigned long long base, unsigned long long active) {
    if (active <= base) return 0;
    unsigned long long n = active - base;
    return n < SEQ_ROWS ? n : SEQ_ROWS;
}

// LSTM forward over every step. Saves, per row: the activations (i, f, g, o), c after and
// before the step, and h before it (for W_hh's gradient).
extern "C" __global__ void __launch_bounds__(1024) lstm_seq_forward(float* y, float* h_n, float* c_n, float* act, float* c_all, float* c_prev_all, float* h_prev_all, const float* gi, const float* w_hh_t, const float* h0, const float* c0, const float* steps, unsigned long long batch, unsigned long long hidden, unsigned long long nsteps, unsigned long long reverse) {
    ST_DYNAMIC_SHARED(float, smem);
    const unsigned long long H = hidden, G = 4 * hidden, j = threadIdx.x;
    const unsigned long long base = blockIdx.x * (unsigned long long)SEQ_ROWS;
    float* h = smem;
    float* c = h + SEQ_ROWS * H;
    float* pre = c + SEQ_ROWS * H;
    const unsigned long long mine = seq_rows(base, batch);
    if (j < H) {
        for (unsigned long long r = 0; r < mine; ++r) {
            h[r * H + j] = h0[(base + r) * H + j];
            c[r * H + j] = c0[(base + r) * H + j];
        }
    }
    __syncthreads();
    for (unsigned long long s = 0; s < nsteps; ++s) {
        unsigned long long t = reverse ? nsteps - 1 - s : s, off, active;
        seq_step(steps, t, &off, &active);
        const unsigned long long rows = seq_rows(base, active);
        if (j < H) {
            for (unsigned long long r = 0; r < rows; ++r) h_prev_all[(off + base + r) * H + j] = h[r * H + j];
        }
        seq_hidden_product(pre, h, w_hh_t, 0, rows, H, G, j);
        __syncthreads();
        if (j < H) {
            for (unsigned long long r = 0; r < rows; ++r) {
                const unsigned long long row = off + base + r;
                const float* g = gi + row * G;
                const float* p = pre + r * G;
                float i = seq_sigmoid(g[j] + p[j]);
                float f = seq_sigmoid(g[H + j] + p[H + j]);
                float gg = tanhf(g[2 * H + j] + p[2 * H + j]);
                float o = seq_sigmoid(g[3 * H + j] + p[3 * H + j]);
                float cp = c[r * H + j];
                float cn = f * cp + i * gg;
                float hn = o * tanhf(cn);
                c[r * H + j] = cn;
                h[r * H + j] = hn;
                float* a = act + row * G;
                a[j] = i;
                a[H + j] = f;
                a[2 * H + j] = gg;
                a[3 * H + j] = o;
                c_all[row * H + j] = cn;
                c_prev_all[row * H + j] = cp;
                y[row * H + j] = hn;
            }
        }
        __syncthreads();
    }
    if (j < H) {
        for (unsigned long long r = 0; r < mine; ++r) {
            h_n[(base + r) * H + j] = h[r * H + j];
            c_n[(base + r) * H + j] = c[r * H + j];
        }
    }
}

// LSTM backward over every step, from the gradients of the outputs (dy) and of the final
// states. Writes the pre-activation gradients of every row (the same for the input and the
// hidden side) and the gradients of the initial states.
extern "C" __global__ void __launch_bounds__(1024) lstm_seq_backward(float* dgates, float* dh0, float* dc0, const float* act, const float* c_all, const float* c_prev_all, const float* w_hh, const float* dy, const float* dh_n, const float* dc_n, const float* steps, unsigned long long batch, unsigned long long hidden, unsigned long long nsteps, unsigned long long reverse) {
    ST_DYNAMIC_SHARED(float, smem);
    const unsigned long long H = hidden, G = 4 * hidden, j = threadIdx.x;
    const unsigned long long base = blockIdx.x * (unsigned long long)SEQ_ROWS;
    float* dh = smem;
    float* dc = dh + SEQ_ROWS * H;
    float* dg = dc + SEQ_ROWS * H;
    const unsigned long long mine = seq_rows(base, batch);
    if (j < H) {
        for (unsigned long long r = 0; r < mine; ++r) {
            dh[r * H + j] = dh_n[(base + r) * H + j];
            dc[r * H + j] = dc_n[(base + r) * H + j];
        }
    }
    __syncthreads();
    for (unsigned long long s = 0; s < nsteps; ++s) {
        // The forward order reversed.
        unsigned long long t = reverse ? s : nsteps - 1 - s, off, active;
        seq_step(steps, t, &off, &active);
        const unsigned long long rows = seq_rows(base, active);
        if (j < H) {
            for (unsigned long long r = 0; r < rows; ++r) {
                const unsigned long long row = off + base + r;
                const float* a = act + row * G;
                float i = a[j], f = a[H + j], gg = a[2 * H + j], o = a[3 * H + j];
                float d = dh[r * H + j] + dy[row * H + j];
                float tc = tanhf(c_all[row * H + j]);
                float dct = dc[r * H + j] + d * o * (1.0f - tc * tc);
                float gates[4] = {
                    dct * gg * i * (1.0f - i),
                    dct * c_prev_all[row * H + j] * f * (1.0f - f),
                    dct * i * (1.0f - gg * gg),
                    d * tc * o * (1.0f - o),
                };
                for (int q = 0; q < 4; ++q) {
                    dg[r * G + q * H + j] = gates[q];
                    dgates[row * G + q * H + j] = gates[q];
                }
                dc[r * H + j] = dct * f;
            }
        }
        __syncthreads();
        if (j < H) seq_state_gradient(dh, dg, w_hh, rows, H, G, j, 0);
        __syncthreads();
    }
    if (j < H) {
        for (unsigned long long r = 0; r < mine; ++r) {
            dh0[(base + r) * H + j] = dh[r * H + j];
            dc0[(base + r) * H + j] = dc[r * H + j];
        }
    }
}

// GRU forward over every step (PyTorch's: n = tanh(gi_n + r * (W_hn h + b_hn))). `b_hh` is
// added to the hidden side at every step. Saves the activations (r, z, n), W_hn h + b_hn, and
// h before the step.
extern "C" __global__ void __launch_bounds__(1024) gru_seq_forward(float* y, float* h_n, float* act, float* ghn, float* h_prev_all, const float* gi, const float* w_hh_t, const float* b_hh, const float* h0, const float* steps, unsigned long long batch, unsigned long long hidden, unsigned long long nsteps, unsigned long long reverse) {
    ST_DYNAMIC_SHARED(float, smem);
    const unsigned long long H = hidden, G = 3 * hidden, j = threadIdx.x;
    const unsigned long long base = blockIdx.x * (unsigned long long)SEQ_ROWS;
    float* h = smem;
    float* pre = h + SEQ_ROWS * H;
    const unsigned long long mine = seq_rows(base, batch);
    if (j < H) {
        for (unsigned long long r = 0; r < mine; ++r) h[r * H + j] = h0[(base + r) * H + j];
    }
    __syncthreads();
    for (unsigned long long s = 0; s < nsteps; ++s) {
        unsigned long long t = reverse ? nsteps - 1 - s : s, off, active;
        seq_step(steps, t, &off, &active);
        const unsigned long long rows = seq_rows(base, active);
        if (j < H) {
            for (unsigned long long r = 0; r < rows; ++r) h_prev_all[(off + base + r) * H + j] = h[r * H + j];
        }
        seq_hidden_product(pre, h, w_hh_t, b_hh, rows, H, G, j);
        __syncthreads();
        if (j < H) {
            for (unsigned long long r = 0; r < rows; ++r) {
                const unsigned long long row = off + base + r;
                const float* g = gi + row * G;
                const float* p = pre + r * G;
                float rg = seq_sigmoid(g[j] + p[j]);
                float z = seq_sigmoid(g[H + j] + p[H + j]);
                float hn = p[2 * H + j];
                float n = tanhf(g[2 * H + j] + rg * hn);
                float hp = h[r * H + j];
                float hnew = (1.0f - z) * n + z * hp;
                h[r * H + j] = hnew;
                float* a = act + row * G;
                a[j] = rg;
                a[H + j] = z;
                a[2 * H + j] = n;
                ghn[row * H + j] = hn;
                y[row * H + j] = hnew;
            }
        }
        __syncthreads();
    }
    if (j < H) {
        for (unsigned long long r = 0; r < mine; ++r) h_n[(base + r) * H + j] = h[r * H + j];
    }
}

// GRU backward over every step: the input-side (dgi) and hidden-side (dgh) pre-activation
// gradients of every row, and the gradient of the initial state.
extern "C" __global__ void __launch_bounds__(1024) gru_seq_backward(float* dgi, float* dgh, float* dh0, const float* act, const float* ghn, const float* h_prev_all, const float* w_hh, const float* dy, const float* dh_n, const float* steps, unsigned long long batch, unsigned long long hidden, unsigned long long nsteps, unsigned long long reverse) {
    ST_DYNAMIC_SHARED(float, smem);
    const unsigned long long H = hidden, G = 3 * hidden, j = threadIdx.x;
    const unsigned long long base = blockIdx.x * (unsigned long long)SEQ_ROWS;
    float* dh = smem;
    float* dg = dh + SEQ_ROWS * H;
    const unsigned long long mine = seq_rows(base, batch);
    if (j < H) {
        for (unsigned long long r = 0; r < mine; ++r) dh[r * H + j] = dh_n[(base + r) * H + j];
    }
    __syncthreads();
    for (unsigned long long s = 0; s < nsteps; ++s) {
        unsigned long long t = reverse ? s : nsteps - 1 - s, off, active;
        seq_step(steps, t, &off, &active);
        const unsigned long long rows = seq_rows(base, active);
        if (j < H) {
            for (unsigned long long r = 0; r < rows; ++r) {
                const unsigned long long row = off + base + r;
                const float* a = act + row * G;
                float rg = a[j], z = a[H + j], n = a[2 * H + j];
                float d = dh[r * H + j] + dy[row * H + j];
                float dan = d * (1.0f - z) * (1.0f - n * n);
                float daz = d * (h_prev_all[row * H + j] - n) * z * (1.0f - z);
                float dar = dan * ghn[row * H + j] * rg * (1.0f - rg);
                float* di = dgi + row * G;
                float* dhh = dgh + row * G;
                di[j] = dar;
                di[H + j] = daz;
                di[2 * H + j] = dan;
                dhh[j] = dar;
                dhh[H + j] = daz;
                dhh[2 * H + j] = dan * rg;
                dg[r * G + j] = dar;
                dg[r * G + H + j] = daz;
                dg[r * G + 2 * H + j] = dan * rg;
                // The direct path to h_{t-1}; the product below adds the one through W_hh.
                dh[r * H + j] = d * z;
            }
        }
        __syncthreads();
        if (j < H) seq_state_gradient(dh, dg, w_hh, rows, H, G, j, 1);
        __syncthreads();
    }
    if (j < H) {
        for (unsigned long long r = 0; r < mine; ++r) dh0[(base + r) * H + j] = dh[r * H + j];
    }
}
