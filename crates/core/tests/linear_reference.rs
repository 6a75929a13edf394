//! `linear` in tensor ops (`linear_reference`, its CUDA body) against the CPU kernel, on the
//! CPU: outputs and the gradients of input, weight and bias, over leading dimensions, no bias,
//! and a zero-size inner dimension. Tolerance |a - b| <= 1e-5 + 1e-4 |b|.

mod common;

use common::values;
use seqtorch_core::autograd::backward;
use seqtorch_core::nn::{linear, linear_reference};
use seqtorch_core::Tensor;

fn leaf(shape: &[usize], seed: u64) -> Tensor {
    let n = shape.iter().product();
    Tensor::from_f32(values(n, seed), shape.to_vec())
        .unwrap()
        .requires_grad_(true)
        .unwrap()
}

fn data(t: &Tensor) -> Vec<f32> {
    t.host().unwrap().f32("test").unwrap().to_vec()
}

fn run(x_shape: &[usize], out: usize, bias: bool, reference: bool) -> Vec<Vec<f32>> {
    let k = *x_shape.last().unwrap();
    let (x, w, b) = (leaf(x_shape, 1), leaf(&[out, k], 2), leaf(&[out], 3));
    let b = bias.then_some(&b);
    let y = if reference {
        linear_reference(&x, &w, b).unwrap()
    } else {
        linear(&x, &w, b).unwrap()
    };
    let u = Tensor::from_f32(values(y.numel(), 9), y.shape().to_vec()).unwrap();
    backward(&y.mul(&u).unwrap().sum(None, false).unwrap(), None, false).unwrap();
    let mut out = vec![y.shape().iter().map(|&d| d as f32).collect(), data(&y)];
    out.extend([&x, &w].iter().map(|t| data(&t.grad().unwrap())));
    if let Some(b) = b {
        out.push(data(&b.grad().unwrap()));
    }
    out
}

#[test]
fn tensor_op_linear_matches_the_cpu_kernel() {
    for (x_shape, out, bias) in [
        (vec![5, 7], 3, true),
        (vec![2, 4, 6], 5, true),
        (vec![3, 2, 2, 8], 1, false),
        (vec![4], 6, true),
        (vec![3, 0], 2, true),
    ] {
        let (a, b) = (
            run(&x_shape, out, bias, true),
            run(&x_shape, out, bias, false),
        );
        assert_eq!(a.len(), b.len());
        for (i, (p, q)) in a.iter().zip(&b).enumerate() {
            assert_eq!(p.len(), q.len(), "{x_shape:?} part {i}");
            for (u, v) in p.iter().zip(q) {
                assert!(
                    (u - v).abs() <= 1e-5 + 1e-4 * v.abs(),
                    "{x_shape:?} part {i}: {u} vs {v}"
                );
            }
        }
    }
}
