//! Behaviour of the backward pass itself: accumulation, graph freeing, errors, grad mode.

use seqtorch_core::autograd::{backward, is_grad_enabled, NoGradGuard};
use seqtorch_core::{ErrorKind, Tensor};

fn leaf(v: &[f32]) -> Tensor {
    Tensor::from_f32(v.to_vec(), vec![v.len()])
        .unwrap()
        .requires_grad_(true)
        .unwrap()
}

#[test]
fn gradients_accumulate_across_backward_calls() {
    let x = leaf(&[1.0, 2.0]);
    let held = {
        let y = x.mul(&x).unwrap().sum(None, false).unwrap();
        backward(&y, None, false).unwrap();
        x.grad().unwrap()
    };
    let y = x.mul(&x).unwrap().sum(None, false).unwrap();
    backward(&y, None, false).unwrap();
    assert_eq!(x.grad().unwrap().to_vec_f32(), vec![4.0, 8.0]);
    // Accumulation is in place, so a handle taken earlier sees the new values, like PyTorch.
    assert_eq!(held.to_vec_f32(), vec![4.0, 8.0]);
}

#[test]
fn second_backward_through_freed_graph_is_an_error() {
    let x = leaf(&[1.0, 2.0]);
    let y = x.exp().unwrap().sum(None, false).unwrap();
    backward(&y, None, false).unwrap();
    let err = backward(&y, None, false).unwrap_err();
    assert!(
        err.message
            .contains("backward through the graph a second time"),
        "{}",
        err.message
    );
    // The failed call wrote nothing.
    assert_eq!(
        x.grad().unwrap().to_vec_f32(),
        x.exp().unwrap().to_vec_f32()
    );
}

#[test]
fn retain_graph_allows_a_second_backward() {
    let x = leaf(&[3.0]);
    let y = x.mul(&x).unwrap().sum(None, false).unwrap();
    backward(&y, None, true).unwrap();
    backward(&y, None, false).unwrap();
    assert_eq!(x.grad().unwrap().to_vec_f32(), vec![12.0]);
}

#[test]
fn non_scalar_backward_needs_a_gradient() {
    let x = leaf(&[1.0, 2.0]);
    let y = x.mul_scalar(3.0).unwrap();
    let err = backward(&y, None, false).unwrap_err();
    assert_eq!(
        err.message,
        "grad can be implicitly created only for scalar outputs"
    );
    let g = Tensor::from_f32(vec![1.0, 0.5], vec![2]).unwrap();
    backward(&y, Some(&g), false).unwrap();
    assert_eq!(x.grad().unwrap().to_vec_f32(), vec![3.0, 1.5]);
    let bad = Tensor::from_f32(vec![1.0, 0.5, 2.0], vec![3]).unwrap();
    let y = x.mul_scalar(3.0).unwrap();
    assert!(backward(&y, Some(&bad), false)
        .unwrap_err()
        .message
        .contains("Mismatch in shape"));
}

#[test]
fn backward_without_grad_is_an_error() {
    let x = Tensor::from_f32(vec![1.0], vec![1]).unwrap();
    let err = backward(&x.sum(None, false).unwrap(), None, false).unwrap_err();
    assert!(err.message.contains("does not require grad"));
}

#[test]
fn no_grad_records_nothing_and_restores_mode() {
    let x = leaf(&[1.0]);
    {
        let _g = NoGradGuard::new();
        assert!(!is_grad_enabled());
        let y = x.mul_scalar(2.0).unwrap();
        assert!(!y.requires_grad());
    }
    assert!(is_grad_enabled());
    assert!(x.mul_scalar(2.0).unwrap().requires_grad());
}

#[test]
fn detach_cuts_the_graph_and_shares_data() {
    let x = leaf(&[2.0]);
    let d = x.detach();
    assert!(!d.requires_grad());
    assert!(d.same_storage(&x));
    let y = x.mul(&d).unwrap().sum(None, false).unwrap();
    backward(&y, None, false).unwrap();
    assert_eq!(x.grad().unwrap().to_vec_f32(), vec![2.0]);
}

#[test]
fn integer_tensors_cannot_require_grad() {
    let t = Tensor::from_i64(vec![1, 2], vec![2]).unwrap();
    let err = t.set_requires_grad(true).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Type);
}

#[test]
fn long_chains_do_not_overflow_the_stack() {
    let x = leaf(&[1.0]);
    let mut y = x.clone();
    for _ in 0..20_000 {
        y = y.mul_scalar(1.0).unwrap();
    }
    backward(&y.sum(None, false).unwrap(), None, false).unwrap();
    assert_eq!(x.grad().unwrap().to_vec_f32(), vec![1.0]);
}

#[test]
fn split_with_sizes_gives_views_and_one_backward_for_all_pieces() {
    let x = Tensor::from_f32((0..12).map(|v| v as f32).collect(), vec![6, 2])
        .unwrap()
        .requires_grad_(true)
        .unwrap();
    let pieces = x.split_with_sizes(&[1, 3, 2], 0).unwrap();
    assert_eq!(pieces[1].to_vec_f32(), vec![2.0, 3.0, 4.0, 5.0, 6.0, 7.0]);
    assert!(pieces[1].same_storage(&x), "pieces are views");
    assert_eq!(
        pieces[2].grad_fn().unwrap().name(),
        "SplitWithSizesBackward0"
    );
    // Only pieces 0 and 2 are used, weighted differently: piece 1's rows get zeros.
    let loss = pieces[0]
        .sum(None, false)
        .unwrap()
        .add(&pieces[2].mul_scalar(3.0).unwrap().sum(None, false).unwrap())
        .unwrap();
    backward(&loss, None, false).unwrap();
    let want = [1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 3.0, 3.0, 3.0, 3.0];
    assert_eq!(x.grad().unwrap().to_vec_f32(), want);
    let err = x.split_with_sizes(&[2, 2], 0).unwrap_err();
    assert!(err.message.contains("sum exactly to 6"), "{}", err.message);
}

#[test]
fn leaves_sharing_one_gradient_get_buffers_of_their_own() {
    // Addition hands the same gradient tensor to both operands: at most one of them may keep
    // it, the other needs a copy, or writing one grad would change the other.
    let (a, b) = (leaf(&[1.0, 2.0]), leaf(&[3.0, 4.0]));
    let y = a.add(&b).unwrap().sum(None, false).unwrap();
    backward(&y, None, false).unwrap();
    let (ga, gb) = (a.grad().unwrap(), b.grad().unwrap());
    assert!(!ga.same_storage(&gb));
    ga.add_(&ga.clone()).unwrap();
    assert_eq!(ga.to_vec_f32(), vec![2.0, 2.0]);
    assert_eq!(gb.to_vec_f32(), vec![1.0, 1.0]);
}

#[test]
fn a_gradient_the_caller_still_holds_is_copied_into_the_leaf() {
    let x = leaf(&[1.0, 2.0]);
    let seed = Tensor::from_f32(vec![5.0, 6.0], vec![2]).unwrap();
    backward(&x, Some(&seed), false).unwrap();
    assert!(!x.grad().unwrap().same_storage(&seed));
    seed.add_(&seed.clone()).unwrap();
    assert_eq!(x.grad().unwrap().to_vec_f32(), vec![5.0, 6.0]);
    // Through an op that passes its gradient on unchanged, likewise.
    let z = leaf(&[1.0, 2.0]);
    let y = z.reshape(&[2]).unwrap();
    backward(&y, Some(&seed), false).unwrap();
    seed.add_(&seed.clone()).unwrap();
    assert_eq!(z.grad().unwrap().to_vec_f32(), vec![10.0, 12.0]);
}

#[test]
fn a_gradient_that_is_a_view_becomes_a_contiguous_grad() {
    let x = Tensor::from_f32(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], vec![2, 3])
        .unwrap()
        .requires_grad_(true)
        .unwrap();
    let w = Tensor::from_f32(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], vec![3, 2]).unwrap();
    let y = x.t().unwrap().mul(&w).unwrap().sum(None, false).unwrap();
    backward(&y, None, false).unwrap();
    let g = x.grad().unwrap();
    assert!(g.is_contiguous());
    assert_eq!(g.to_vec_f32(), vec![1.0, 3.0, 5.0, 2.0, 4.0, 6.0]);
}
