//! The regression losses in tensor ops (`regression_tensor_ops`, their CUDA body) against the
//! CPU kernels, on the CPU: MSE, L1 and Huber (delta below, at and above the differences), every
//! reduction, the gradients of input and target, exact zeros in the differences, a scalar and
//! an empty input. Tolerance |a - b| <= 1e-6 + 1e-5 |b| (NaN matches NaN).

mod common;

use common::values;
use seqtorch_core::autograd::backward;
use seqtorch_core::nn::loss::{huber, l1, mse, regression_tensor_ops, Reduction, Regression};
use seqtorch_core::{Result, Tensor};

fn leaf(v: Vec<f32>, shape: &[usize]) -> Tensor {
    Tensor::from_f32(v, shape.to_vec())
        .unwrap()
        .requires_grad_(true)
        .unwrap()
}

fn data(t: &Tensor) -> Vec<f32> {
    t.host().unwrap().f32("test").unwrap().to_vec()
}

fn kernel(kind: Regression, x: &Tensor, t: &Tensor, r: Reduction) -> Result<Tensor> {
    match kind {
        Regression::Mse => mse(x, t, r),
        Regression::L1 => l1(x, t, r),
        Regression::Huber(delta) => huber(x, t, r, delta),
    }
}

/// Loss values and the gradients of input and target.
fn run(kind: Regression, shape: &[usize], r: Reduction, tensor_ops: bool) -> Vec<Vec<f32>> {
    let n: usize = shape.iter().product();
    let mut xv = values(n, 1);
    let tv = values(n, 2);
    if n > 2 {
        // Exact zeros of the difference (where L1's and Huber's slopes are decided).
        xv[1] = tv[1];
    }
    let (x, t) = (leaf(xv, shape), leaf(tv, shape));
    let y = if tensor_ops {
        regression_tensor_ops(kind, &x, &t, r).unwrap()
    } else {
        kernel(kind, &x, &t, r).unwrap()
    };
    let u = Tensor::from_f32(values(y.numel(), 9), y.shape().to_vec()).unwrap();
    backward(&y.mul(&u).unwrap().sum(None, false).unwrap(), None, false).unwrap();
    let grad = |l: &Tensor| l.grad().map(|g| data(&g)).unwrap_or_default();
    vec![data(&y), grad(&x), grad(&t)]
}

#[test]
fn tensor_op_regression_losses_match_the_cpu_kernels() {
    let kinds = [
        Regression::Mse,
        Regression::L1,
        Regression::Huber(0.3),
        Regression::Huber(1.0),
        Regression::Huber(10.0),
    ];
    for kind in kinds {
        for r in [Reduction::None, Reduction::Mean, Reduction::Sum] {
            for shape in [vec![5, 3], vec![7], vec![]] {
                let (a, b) = (run(kind, &shape, r, true), run(kind, &shape, r, false));
                for (part, (p, q)) in ["loss", "d input", "d target"].iter().zip(a.iter().zip(&b)) {
                    assert_eq!(p.len(), q.len(), "{kind:?} {r:?} {shape:?} {part}");
                    for (u, v) in p.iter().zip(q) {
                        let ok =
                            (u.is_nan() && v.is_nan()) || (u - v).abs() <= 1e-6 + 1e-5 * v.abs();
                        assert!(ok, "{kind:?} {r:?} {shape:?} {part}: {u} vs {v}");
                    }
                }
            }
        }
    }
}

#[test]
fn empty_inputs_reduce_like_the_kernels() {
    for r in [Reduction::None, Reduction::Mean, Reduction::Sum] {
        let x = Tensor::from_f32(Vec::new(), vec![0]).unwrap();
        let ops = regression_tensor_ops(Regression::Mse, &x, &x, r).unwrap();
        let k = mse(&x, &x, r).unwrap();
        assert_eq!(ops.shape(), k.shape(), "{r:?}");
        let (a, b) = (data(&ops), data(&k));
        assert_eq!(a.len(), b.len());
        for (u, v) in a.iter().zip(&b) {
            assert!(u == v || (u.is_nan() && v.is_nan()), "{r:?}: {u} vs {v}");
        }
    }
}
