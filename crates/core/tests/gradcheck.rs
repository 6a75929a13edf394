//! Every differentiable op checked against central finite differences.
//!
//! The loss is `sum(f(inputs) * w)` with fixed random weights `w`, so each check covers a full
//! vector-Jacobian product rather than one output. float32 throughout: step 1e-2 keeps the
//! truncation error near 1e-4, and the tolerance |analytic - numeric| <= 3e-3 + 3e-3|numeric|
//! still fails for any wrong factor, sign or transposition.

use seqtorch_core::autograd::{backward, NoGradGuard};
use seqtorch_core::{Result, Tensor};

/// Deterministic values in [-1, 1) (tests must not share the global generator).
fn values(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect()
}

fn leaf(data: Vec<f32>, shape: &[usize]) -> Tensor {
    Tensor::from_f32(data, shape.to_vec())
        .unwrap()
        .requires_grad_(true)
        .unwrap()
}

fn weighted_loss(out: &Tensor, w: &Tensor) -> Result<Tensor> {
    out.mul(w)?.sum(None, false)
}

/// Checks d(sum(f(x) * w))/dx for every input against central differences.
fn check(name: &str, inputs: Vec<(Vec<f32>, Vec<usize>)>, f: impl Fn(&[Tensor]) -> Result<Tensor>) {
    let tensors: Vec<Tensor> = inputs.iter().map(|(d, s)| leaf(d.clone(), s)).collect();
    let out = f(&tensors).unwrap();
    let w = Tensor::from_f32(values(out.numel(), 99), out.shape().to_vec()).unwrap();
    backward(&weighted_loss(&out, &w).unwrap(), None, false).unwrap();

    let eps = 1e-2f32;
    let _ng = NoGradGuard::new();
    for (i, (data, shape)) in inputs.iter().enumerate() {
        let analytic = tensors[i]
            .grad()
            .unwrap_or_else(|| panic!("{name}: input {i} got no grad"))
            .to_vec_f32();
        assert_eq!(
            analytic.len(),
            data.len(),
            "{name}: grad {i} has the wrong size"
        );
        for j in 0..data.len() {
            let eval = |delta: f32| -> f64 {
                let mut args: Vec<Tensor> = inputs
                    .iter()
                    .map(|(d, s)| Tensor::from_f32(d.clone(), s.clone()).unwrap())
                    .collect();
                let mut moved = data.clone();
                moved[j] += delta;
                args[i] = Tensor::from_f32(moved, shape.clone()).unwrap();
                weighted_loss(&f(&args).unwrap(), &w)
                    .unwrap()
                    .item()
                    .unwrap()
            };
            let numeric = ((eval(eps) - eval(-eps)) / (2.0 * eps as f64)) as f32;
            let a = analytic[j];
            assert!(
                (a - numeric).abs() <= 3e-3 + 3e-3 * numeric.abs(),
                "{name}: d/d input{i}[{j}]: analytic {a} vs numeric {numeric}"
            );
        }
    }
}

fn arg(n: usize, shape: &[usize], seed: u64) -> (Vec<f32>, Vec<usize>) {
    assert_eq!(n, shape.iter().product::<usize>());
    (values(n, seed), shape.to_vec())
}

/// Values bounded away from 0 (for log, division, relu kinks).
fn away_from_zero(n: usize, shape: &[usize], seed: u64) -> (Vec<f32>, Vec<usize>) {
    let v = values(n, seed)
        .into_iter()
        .map(|x| if x >= 0.0 { x + 0.2 } else { x - 0.2 })
        .collect();
    (v, shape.to_vec())
}

fn positive(n: usize, shape: &[usize], seed: u64) -> (Vec<f32>, Vec<usize>) {
    (
        values(n, seed).into_iter().map(|x| x.abs() + 0.3).collect(),
        shape.to_vec(),
    )
}

#[test]
fn add_sub_mul_div_with_broadcasting() {
    check("add", vec![arg(6, &[2, 3], 1), arg(3, &[3], 2)], |t| {
        t[0].add(&t[1])
    });
    check(
        "add-col",
        vec![arg(6, &[2, 3], 1), arg(2, &[2, 1], 2)],
        |t| t[0].add(&t[1]),
    );
    check(
        "sub",
        vec![arg(6, &[2, 3], 3), arg(6, &[1, 2, 3], 4)],
        |t| t[0].sub(&t[1]),
    );
    check("mul", vec![arg(24, &[2, 3, 4], 5), arg(4, &[4], 6)], |t| {
        t[0].mul(&t[1])
    });
    check(
        "mul-scalar-tensor",
        vec![arg(6, &[2, 3], 5), arg(1, &[], 6)],
        |t| t[0].mul(&t[1]),
    );
    check(
        "div",
        vec![arg(6, &[2, 3], 7), away_from_zero(3, &[1, 3], 8)],
        |t| t[0].div(&t[1]),
    );
    check("scalars", vec![arg(6, &[2, 3], 9)], |t| {
        t[0].add_scalar(2.0)?
            .mul_scalar(-3.0)?
            .sub_scalar(1.0)?
            .div_scalar(4.0)
    });
    check("same-input-twice", vec![arg(5, &[5], 10)], |t| {
        t[0].mul(&t[0])?.add(&t[0])
    });
}

#[test]
fn unary_functions() {
    check("neg", vec![arg(6, &[2, 3], 11)], |t| t[0].neg());
    check("pow2", vec![arg(6, &[2, 3], 12)], |t| t[0].pow(2.0));
    check("pow3", vec![arg(6, &[2, 3], 13)], |t| t[0].pow(3.0));
    check("sqrt", vec![positive(6, &[2, 3], 14)], |t| t[0].pow(0.5));
    check("pow-neg", vec![positive(6, &[2, 3], 15)], |t| {
        t[0].pow(-1.5)
    });
    check("exp", vec![arg(6, &[2, 3], 16)], |t| t[0].exp());
    check("log", vec![positive(6, &[2, 3], 17)], |t| t[0].log());
    check("sigmoid", vec![arg(6, &[2, 3], 18)], |t| {
        t[0].mul_scalar(3.0)?.sigmoid()
    });
    check("tanh", vec![arg(6, &[2, 3], 19)], |t| {
        t[0].mul_scalar(2.0)?.tanh()
    });
    check("relu", vec![away_from_zero(8, &[2, 4], 20)], |t| {
        t[0].relu()
    });
}

#[test]
fn matrix_products() {
    check("mm", vec![arg(6, &[2, 3], 21), arg(12, &[3, 4], 22)], |t| {
        t[0].mm(&t[1])
    });
    check(
        "bmm",
        vec![arg(24, &[2, 3, 4], 23), arg(16, &[2, 4, 2], 24)],
        |t| t[0].bmm(&t[1]),
    );
    check(
        "matmul-3d-2d",
        vec![arg(24, &[2, 3, 4], 25), arg(8, &[4, 2], 26)],
        |t| t[0].matmul(&t[1]),
    );
    check(
        "matmul-broadcast",
        vec![arg(12, &[1, 3, 4], 27), arg(16, &[2, 4, 2], 28)],
        |t| t[0].matmul(&t[1]),
    );
    check(
        "matmul-dot",
        vec![arg(4, &[4], 29), arg(4, &[4], 30)],
        |t| t[0].matmul(&t[1]),
    );
    check(
        "matmul-mv",
        vec![arg(12, &[3, 4], 31), arg(4, &[4], 32)],
        |t| t[0].matmul(&t[1]),
    );
    check(
        "matmul-vm",
        vec![arg(4, &[4], 33), arg(12, &[4, 3], 34)],
        |t| t[0].matmul(&t[1]),
    );
}

#[test]
fn reductions() {
    check("sum-all", vec![arg(24, &[2, 3, 4], 41)], |t| {
        t[0].sum(None, false)
    });
    check("sum-dim", vec![arg(24, &[2, 3, 4], 42)], |t| {
        t[0].sum(Some(&[1]), false)
    });
    check("sum-dims-keep", vec![arg(24, &[2, 3, 4], 43)], |t| {
        t[0].sum(Some(&[0, -1]), true)
    });
    check("mean-all", vec![arg(24, &[2, 3, 4], 44)], |t| {
        t[0].mean(None, false)
    });
    check("mean-dim", vec![arg(24, &[2, 3, 4], 45)], |t| {
        t[0].mean(Some(&[2]), true)
    });
    // Distinct values spaced far more than the finite-difference step, so the argmax is stable.
    let spaced: Vec<f32> = (0..12).map(|i| ((i * 7) % 12) as f32 * 0.1).collect();
    check("max-all", vec![(spaced.clone(), vec![3, 4])], |t| {
        t[0].max_all()
    });
    check("max-dim", vec![(spaced.clone(), vec![3, 4])], |t| {
        Ok(t[0].max_dim(1, false)?.0)
    });
    check("max-dim0-keep", vec![(spaced, vec![3, 4])], |t| {
        Ok(t[0].max_dim(0, true)?.0)
    });
}

#[test]
fn shape_and_indexing() {
    check("reshape", vec![arg(24, &[2, 3, 4], 51)], |t| {
        t[0].reshape(&[4, -1])?.mul(&t[0].reshape(&[4, 6])?)
    });
    check("transpose", vec![arg(24, &[2, 3, 4], 52)], |t| {
        t[0].transpose(0, 2)
    });
    check("permute", vec![arg(24, &[2, 3, 4], 53)], |t| {
        t[0].permute(&[1, -1, 0])
    });
    check("squeeze", vec![arg(6, &[2, 1, 3], 54)], |t| {
        t[0].squeeze(None)?.unsqueeze(-1)
    });
    check("select", vec![arg(24, &[2, 3, 4], 55)], |t| {
        t[0].select(1, -1)
    });
    check("narrow", vec![arg(24, &[2, 3, 4], 56)], |t| {
        t[0].narrow(2, 1, 2)
    });
    check("cat", vec![arg(6, &[2, 3], 57), arg(4, &[2, 2], 58)], |t| {
        Tensor::cat(&[t[0].clone(), t[1].clone()], 1)
    });
    check(
        "stack",
        vec![arg(6, &[2, 3], 59), arg(6, &[2, 3], 60)],
        |t| Tensor::stack(&[t[0].clone(), t[1].clone()], -1),
    );
    check("expand", vec![arg(3, &[3, 1], 61)], |t| {
        t[0].expand(&[2, 3, 4])
    });
    check("clone", vec![arg(6, &[2, 3], 62)], |t| {
        t[0].clone_tensor().mul(&t[0])
    });
}

#[test]
fn composite_recurrent_step() {
    // One hand-written LSTM-like step through many ops at once.
    check(
        "composite",
        vec![arg(6, &[2, 3], 71), arg(12, &[3, 4], 72), arg(4, &[4], 73)],
        |t| {
            let z = t[0].matmul(&t[1])?.add(&t[2])?;
            let gate = z.narrow(1, 0, 2)?.sigmoid()?;
            let cand = z.narrow(1, 2, 2)?.tanh()?;
            gate.mul(&cand)?.exp()?.sum(Some(&[1]), false)
        },
    );
}
