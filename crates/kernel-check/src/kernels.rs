//! The kernels' C signatures, as the `.cu` sources declare them (`unsigned long long` is u64,
//! `long long` i64, `int` i32; `StLayout` and the optimizers' argument structs by value).

pub use seqtorch_core::backend::kernel_args::{AdamArgs, RmsPropArgs, SgdArgs};

/// `StLayout` of kernels/layout.cuh.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct StLayout {
    pub ndim: i32,
    pub offset: u64,
    pub shape: [u64; 8],
    pub strides: [u64; 8],
}

/// The C++ side's block of concurrently running threads (opaque here).
#[repr(C)]
pub struct HostBlock {
    _private: [u8; 0],
}

extern "C" {
    pub fn host_set_thread(grid: u32, block: u32, block_index: u32, thread_index: u32);
    /// A block of `threads` concurrent threads with `shared_floats` floats of shared memory.
    pub fn host_block_new(threads: u32, shared_floats: u64) -> *mut HostBlock;
    pub fn host_enter_block(block: *mut HostBlock);
    pub fn host_block_free(block: *mut HostBlock);
    /// `which`: 0 SgdArgs, 1 AdamArgs, 2 RmsPropArgs.
    pub fn host_args_layout(which: i32, size: *mut u64, last: *mut u64);

    // elementwise.cu
    pub fn unary_f32(out: *mut f32, x: *const f32, lx: StLayout, n: u64, op: i32, arg: f32);
    pub fn unary_i64(out: *mut i64, x: *const i64, lx: StLayout, n: u64, op: i32);
    pub fn binary_f32(
        out: *mut f32,
        a: *const f32,
        la: StLayout,
        b: *const f32,
        lb: StLayout,
        n: u64,
        op: i32,
    );
    pub fn binary_i64(
        out: *mut i64,
        a: *const i64,
        la: StLayout,
        b: *const i64,
        lb: StLayout,
        n: u64,
        op: i32,
    );
    pub fn gather_f32(out: *mut f32, x: *const f32, lx: StLayout, n: u64);
    pub fn gather_i64(out: *mut i64, x: *const i64, lx: StLayout, n: u64);
    pub fn f32_to_i64(out: *mut i64, x: *const f32, lx: StLayout, n: u64);
    pub fn i64_to_f32(out: *mut f32, x: *const i64, lx: StLayout, n: u64);
    pub fn scatter_f32(dst: *mut f32, ld: StLayout, src: *const f32, n: u64, accumulate: i32);
    pub fn scatter_i64(dst: *mut i64, ld: StLayout, src: *const i64, n: u64);
    pub fn fill_f32(out: *mut f32, value: f32, n: u64);
    pub fn fill_i64(out: *mut i64, value: i64, n: u64);

    // reduce_index.cu
    pub fn sum_dim_f32(out: *mut f32, x: *const f32, outer: u64, size: u64, inner: u64);
    pub fn sum_dim_i64(out: *mut i64, x: *const i64, outer: u64, size: u64, inner: u64);
    pub fn index_select_f32(
        out: *mut f32,
        x: *const f32,
        index: *const u64,
        outer: u64,
        size: u64,
        picks: u64,
        inner: u64,
    );
    pub fn index_select_i64(
        out: *mut i64,
        x: *const i64,
        index: *const u64,
        outer: u64,
        size: u64,
        picks: u64,
        inner: u64,
    );
    pub fn index_add_f32(
        dst: *mut f32,
        src: *const f32,
        index: *const u64,
        outer: u64,
        size: u64,
        picks: u64,
        inner: u64,
    );

    // rnn_cells.cu
    pub fn elman_cell_forward(
        h: *mut f32,
        gi: *const f32,
        gh: *const f32,
        rows: u64,
        hidden: u64,
        relu: u64,
    );
    pub fn elman_cell_backward(
        da: *mut f32,
        h: *const f32,
        dh: *const f32,
        rows: u64,
        hidden: u64,
        relu: u64,
    );
    pub fn lstm_cell_forward(
        m: *mut f32,
        c: *mut f32,
        act: *mut f32,
        gi: *const f32,
        gh: *const f32,
        c_prev: *const f32,
        rows: u64,
        hidden: u64,
    );
    pub fn lstm_cell_backward(
        dgates: *mut f32,
        dc_prev: *mut f32,
        act: *const f32,
        c: *const f32,
        c_prev: *const f32,
        dm: *const f32,
        dc: *const f32,
        rows: u64,
        hidden: u64,
    );
    pub fn gru_cell_forward(
        h: *mut f32,
        act: *mut f32,
        ghn: *mut f32,
        gi: *const f32,
        gh: *const f32,
        h_prev: *const f32,
        rows: u64,
        hidden: u64,
    );
    pub fn gru_cell_backward(
        dgi: *mut f32,
        dgh: *mut f32,
        dh_prev: *mut f32,
        act: *const f32,
        ghn: *const f32,
        h_prev: *const f32,
        dh: *const f32,
        rows: u64,
        hidden: u64,
    );

    // optim.cu
    pub fn sgd_step(p: *mut f32, grad: *const f32, a: SgdArgs, n: u64);
    pub fn sgd_step_momentum(p: *mut f32, buf: *mut f32, grad: *const f32, a: SgdArgs, n: u64);
    pub fn adam_step(p: *mut f32, m: *mut f32, v: *mut f32, grad: *const f32, a: AdamArgs, n: u64);
    pub fn adam_step_amsgrad(
        p: *mut f32,
        m: *mut f32,
        v: *mut f32,
        vmax: *mut f32,
        grad: *const f32,
        a: AdamArgs,
        n: u64,
    );
    pub fn rmsprop_step(p: *mut f32, sq: *mut f32, grad: *const f32, a: RmsPropArgs, n: u64);
    pub fn rmsprop_step_centered(
        p: *mut f32,
        sq: *mut f32,
        ga: *mut f32,
        grad: *const f32,
        a: RmsPropArgs,
        n: u64,
    );
    pub fn rmsprop_step_momentum(
        p: *mut f32,
        sq: *mut f32,
        buf: *mut f32,
        grad: *const f32,
        a: RmsPropArgs,
        n: u64,
    );
    pub fn rmsprop_step_centered_momentum(
        p: *mut f32,
        sq: *mut f32,
        ga: *mut f32,
        buf: *mut f32,
        grad: *const f32,
        a: RmsPropArgs,
        n: u64,
    );

    // losses.cu
    pub fn pointwise_loss(
        loss: *mut f32,
        dx: *mut f32,
        dt: *mut f32,
        x: *const f32,
        t: *const f32,
        w: *const f32,
        pw: *const f32,
        n: u64,
        op: u64,
        has_w: u64,
        has_pw: u64,
    );
    pub fn class_loss(
        loss: *mut f32,
        d: *mut f32,
        x: *const f32,
        target: *const f32,
        w: *const f32,
        n: u64,
        c: u64,
        mode: u64,
        has_w: u64,
        eps_bits: u64,
    );
    pub fn loss_backward(
        out: *mut f32,
        d: *const f32,
        g: *const f32,
        zeros: *const f32,
        n: u64,
        group: u64,
        mode: u64,
        has_zeros: u64,
        norm_bits: u64,
    );

    // rnn_sequence.cu
    pub fn lstm_seq_forward(
        y: *mut f32,
        h_n: *mut f32,
        c_n: *mut f32,
        act: *mut f32,
        c_all: *mut f32,
        c_prev_all: *mut f32,
        h_prev_all: *mut f32,
        gi: *const f32,
        w_hh_t: *const f32,
        h0: *const f32,
        c0: *const f32,
        steps: *const f32,
        batch: u64,
        hidden: u64,
        nsteps: u64,
        reverse: u64,
    );
    pub fn lstm_seq_backward(
        dgates: *mut f32,
        dh0: *mut f32,
        dc0: *mut f32,
        act: *const f32,
        c_all: *const f32,
        c_prev_all: *const f32,
        w_hh: *const f32,
        dy: *const f32,
        dh_n: *const f32,
        dc_n: *const f32,
        steps: *const f32,
        batch: u64,
        hidden: u64,
        nsteps: u64,
        reverse: u64,
    );
    pub fn gru_seq_forward(
        y: *mut f32,
        h_n: *mut f32,
        act: *mut f32,
        ghn: *mut f32,
        h_prev_all: *mut f32,
        gi: *const f32,
        w_hh_t: *const f32,
        b_hh: *const f32,
        h0: *const f32,
        steps: *const f32,
        batch: u64,
        hidden: u64,
        nsteps: u64,
        reverse: u64,
    );
    pub fn gru_seq_backward(
        dgi: *mut f32,
        dgh: *mut f32,
        dh0: *mut f32,
        act: *const f32,
        ghn: *const f32,
        h_prev_all: *const f32,
        w_hh: *const f32,
        dy: *const f32,
        dh_n: *const f32,
        steps: *const f32,
        batch: u64,
        hidden: u64,
        nsteps: u64,
        reverse: u64,
    );
}
