//! Hostile and extreme use of the core: graphs deep enough to overflow a recursive teardown,
//! in-place changes between forward and backward, allocations no machine can satisfy, and
//! shapes at the integer limits. Each must end in an error or a result, never in a crash,
//! a hang or a wrong gradient.

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use seqtorch_core::autograd::{backward, NoGradGuard};
use seqtorch_core::ops::creation::{full, zeros};
use seqtorch_core::optim::{sgd_step, ParamState, SgdConfig};
use seqtorch_core::rnn::{rnn_forward, RnnConfig, RnnInput, RnnMode};
use seqtorch_core::{DType, ErrorKind, Tensor};

fn leaf(v: &[f32], shape: &[usize]) -> Tensor {
    Tensor::from_f32(v.to_vec(), shape.to_vec())
        .unwrap()
        .requires_grad_(true)
        .unwrap()
}

/// Runs `f` on a thread and fails the test if it does not finish in `secs` (a deadlock must
/// fail, not hang the suite).
fn within<T: Send + 'static>(secs: u64, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(secs))
        .expect("did not finish: deadlock or hang")
}

#[test]
fn a_graph_of_ten_million_nodes_is_freed_without_recursion() {
    // Each reshape records a node that holds its input: dropping the last tensor used to
    // recurse once per node and overflow the stack long before ten million.
    let x = leaf(&[1.0, 2.0], &[2]);
    let mut y = x.clone();
    for i in 0..10_000_000 {
        y = y.reshape(&[if i % 2 == 0 { 1 } else { 2 }, -1]).unwrap();
    }
    assert!(y.grad_fn().is_some());
    drop(y);
    // Still a working library afterwards.
    let z = x.mul(&x).unwrap().sum(None, false).unwrap();
    backward(&z, None, false).unwrap();
    assert_eq!(x.grad().unwrap().to_vec_f32(), vec![2.0, 4.0]);
}

#[test]
fn a_million_chained_adds_backpropagate_and_free() {
    let x = leaf(&[0.5], &[]);
    let one = Tensor::scalar(1.0);
    let mut y = x.clone();
    for _ in 0..1_000_000 {
        y = y.add(&one).unwrap();
    }
    backward(&y, None, true).unwrap();
    assert_eq!(x.grad().unwrap().to_vec_f32(), vec![1.0]);
    // Dropped with the graph retained, on another thread (its own, smaller stack).
    within(120, move || drop(y));
}

fn lstm_cell_config() -> RnnConfig {
    RnnConfig {
        mode: RnnMode::Lstm,
        input_size: 2,
        hidden_size: 3,
        num_layers: 1,
        bias: true,
        batch_first: false,
        dropout: 0.0,
        bidirectional: false,
        proj_size: 0,
    }
}

#[test]
fn an_lstm_cell_unrolled_for_100000_steps_is_freed() {
    let cfg = lstm_cell_config();
    let weights: Vec<Tensor> = [[12, 2], [12, 3]]
        .iter()
        .map(|s| leaf(&vec![0.1; s[0] * s[1]], s))
        .chain([leaf(&[0.0; 12], &[12]), leaf(&[0.0; 12], &[12])])
        .collect();
    let x = Tensor::from_f32(vec![0.5, -0.5], vec![1, 1, 2]).unwrap();
    let mut h = zeros(&[1, 1, 3], DType::F32).unwrap();
    let mut c = zeros(&[1, 1, 3], DType::F32).unwrap();
    for _ in 0..100_000 {
        let out = rnn_forward(
            &cfg,
            RnnInput {
                input: &x,
                batch_sizes: None,
                hx: Some(&h),
                cx: Some(&c),
                weights: &weights,
                training: true,
            },
        )
        .unwrap();
        h = out.h_n;
        c = out.c_n.unwrap();
    }
    assert!(h.grad_fn().is_some());
    drop((h, c));
    assert!(weights[0].grad().is_none());
}

#[test]
fn changing_a_saved_tensor_in_place_makes_backward_fail() {
    let w = leaf(&[1.0, 2.0, 3.0, 4.0], &[2, 2]);
    let x = Tensor::from_f32(vec![1.0, 1.0], vec![1, 2]).unwrap();
    let y = x.matmul(&w).unwrap().sum(None, false).unwrap();
    {
        let _g = NoGradGuard::new();
        w.copy_(&Tensor::from_f32(vec![9.0; 4], vec![2, 2]).unwrap())
            .unwrap();
    }
    assert_eq!(w.version(), 1);
    let err = backward(&y, None, false).unwrap_err();
    assert!(
        err.message.contains(
            "one of the variables needed for gradient computation has been modified by an inplace operation: [torch.FloatTensor [2, 2]] is at version 1; expected version 0 instead"
        ),
        "{}",
        err.message
    );
    assert!(w.grad().is_none(), "nothing written on failure");
}

#[test]
fn an_optimizer_step_between_forward_and_backward_is_caught() {
    let w = leaf(&[0.5, -0.5], &[2]);
    let y = w.tanh().unwrap().mul(&w).unwrap().sum(None, false).unwrap();
    w.set_grad(Some(Tensor::from_f32(vec![1.0, 1.0], vec![2]).unwrap()))
        .unwrap();
    let cfg = SgdConfig {
        lr: 0.1,
        momentum: 0.0,
        dampening: 0.0,
        nesterov: false,
        weight_decay: 0.0,
        maximize: false,
    };
    sgd_step(&cfg, std::slice::from_ref(&w), &mut [ParamState::default()]).unwrap();
    let err = backward(&y, None, false).unwrap_err();
    assert!(err.message.contains("modified by an inplace operation"));
}

#[test]
fn ops_that_save_nothing_allow_later_in_place_changes() {
    // add and reshape need only shapes for their gradients, so PyTorch allows this.
    let a = leaf(&[1.0, 2.0], &[2]);
    let b = Tensor::from_f32(vec![3.0, 4.0], vec![2]).unwrap();
    let y = a.add(&b).unwrap().sum(None, false).unwrap();
    b.copy_(&Tensor::from_f32(vec![0.0, 0.0], vec![2]).unwrap())
        .unwrap();
    backward(&y, None, false).unwrap();
    assert_eq!(a.grad().unwrap().to_vec_f32(), vec![1.0, 1.0]);
}

#[test]
fn copy_into_a_leaf_that_requires_grad_needs_no_grad() {
    let w = leaf(&[1.0], &[1]);
    let src = Tensor::from_f32(vec![2.0], vec![1]).unwrap();
    let err = w.copy_(&src).unwrap_err();
    assert!(err.message.contains("a leaf Variable that requires grad"));
    let _g = NoGradGuard::new();
    w.copy_(&src).unwrap();
    assert_eq!(w.to_vec_f32(), vec![2.0]);
}

#[test]
fn backward_with_the_leafs_own_grad_does_not_deadlock() {
    let g = within(20, || {
        let w = leaf(&[1.0, 2.0], &[2]);
        w.set_grad(Some(Tensor::from_f32(vec![0.5, 0.25], vec![2]).unwrap()))
            .unwrap();
        let seed = w.grad().unwrap();
        backward(&w, Some(&seed), false).unwrap();
        w.grad().unwrap().to_vec_f32()
    });
    assert_eq!(g, vec![1.0, 0.5]);
}

fn range_error(r: seqtorch_core::Result<Tensor>) -> String {
    let e = r.expect_err("should be refused");
    assert_eq!(e.kind, ErrorKind::Range, "{}", e.message);
    e.message
}

#[test]
fn impossible_allocations_are_range_errors_that_name_op_shape_and_bytes() {
    let m = range_error(zeros(&[10_000_000, 10_000_000], DType::F32));
    assert!(
        m.contains("full()") && m.contains("[10000000, 10000000]"),
        "{m}"
    );
    assert!(m.contains("400000000000000 bytes"), "{m}");
    // A product of two empty-looking operands with a huge result.
    let a = zeros(&[10_000_000, 0], DType::F32).unwrap();
    let b = zeros(&[0, 10_000_000], DType::F32).unwrap();
    assert!(range_error(a.matmul(&b)).contains("matmul()"));
    // Broadcasting [n, 1] + [1, n].
    let c = zeros(&[10_000_000, 1], DType::F32).unwrap();
    let d = zeros(&[1, 10_000_000], DType::F32).unwrap();
    assert!(range_error(c.add(&d)).contains("add()"));
    // expand to 2^32 x 2^32 used to wrap its element count.
    let e = zeros(&[1, 1], DType::F32).unwrap();
    let m = range_error(e.expand_sizes(&[1 << 32, 1 << 32]));
    assert!(m.contains("expand()"), "{m}");
    // Summing over an empty dimension makes zeros of the other sizes.
    let f = zeros(&[1 << 40, 0], DType::F32).unwrap();
    assert!(range_error(f.sum(Some(&[1]), false)).contains("sum()"));
    // A wide recurrent layer's workspace is refused before it is allocated.
    let mut cfg = lstm_cell_config();
    cfg.hidden_size = 1 << 28;
    cfg.input_size = 1;
    let w = |r: usize, c: usize| zeros(&[r, c], DType::F32).unwrap();
    let weights = vec![w(0, 1), w(0, 0)];
    let x = zeros(&[4, 1, 1], DType::F32).unwrap();
    let out = rnn_forward(
        &cfg,
        RnnInput {
            input: &x,
            batch_sizes: None,
            hx: None,
            cx: None,
            weights: &weights,
            training: false,
        },
    );
    assert!(out.is_err());
}

#[test]
fn shapes_at_the_integer_limits_are_exact_or_refused() {
    let big = (1usize << 53) - 1;
    let t = zeros(&[0, big], DType::F32).unwrap();
    assert_eq!(t.shape(), &[0, big]);
    assert!(zeros(&[0, 1 << 53], DType::F32).is_err());
    assert!(zeros(&[1 << 40, 1 << 40, 0], DType::F32).is_err());
    // Zero-size results beside huge sizes finish at once instead of walking them.
    let z = zeros(&[1 << 50, 0], DType::F32).unwrap();
    assert_eq!(z.narrow(0, 5, 3).unwrap().shape(), &[3, 0]);
    assert_eq!(z.transpose(0, 1).unwrap().shape(), &[0, 1 << 50]);
    let idx = Tensor::from_i64(vec![0, 1], vec![2]).unwrap();
    assert_eq!(z.index_select(0, &idx).unwrap().shape(), &[2, 0]);
    assert_eq!(
        Tensor::cat(&[z.clone(), z.clone()], 1).unwrap().shape(),
        &[1 << 50, 0]
    );
    assert_eq!(z.max_dim(0, false).unwrap().0.shape(), &[0]);
    // int64 fill values beyond the type are refused, not saturated.
    assert!(full(&[2], 1e300, DType::I64).is_err());
    assert!(full(&[2], -(2f64.powi(63)), DType::I64).is_ok());
}

#[test]
fn relu_keeps_nan_like_pytorch() {
    let x = leaf(&[f32::NAN, -1.0, 0.0, 2.0], &[4]);
    let y = x.relu().unwrap();
    let v = y.to_vec_f32();
    assert!(v[0].is_nan());
    assert_eq!(&v[1..], &[0.0, 0.0, 2.0]);
    backward(&y.sum(None, false).unwrap(), None, false).unwrap();
    // threshold_backward: the gradient passes where x > 0 or x is NaN.
    assert_eq!(x.grad().unwrap().to_vec_f32(), vec![1.0, 0.0, 0.0, 1.0]);
}
