//! Every differentiable op checked against central finite differences (see `common`).

mod common;

use common::{arg, away_from_zero, check, positive};
use seqtorch_core::Tensor;

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
        t[0].clone_tensor()?.mul(&t[0])
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

#[test]
fn kernels_reading_strided_views() {
    // Views are no longer copies: each consumer below reads a strided layout in place (or
    // gathers it), and the gradient must still land in the right elements.
    check(
        "add-transposed",
        vec![arg(6, &[2, 3], 81), arg(6, &[3, 2], 82)],
        |t| t[0].add(&t[1].transpose(0, 1)?),
    );
    check("mul-permuted", vec![arg(24, &[2, 3, 4], 83)], |t| {
        let p = t[0].permute(&[2, 0, 1])?;
        p.mul(&p)
    });
    check(
        "mm-transposed-both",
        vec![arg(6, &[3, 2], 84), arg(12, &[4, 3], 85)],
        |t| t[0].t()?.mm(&t[1].t()?),
    );
    check(
        "mm-narrowed-columns",
        vec![arg(12, &[3, 4], 86), arg(6, &[2, 3], 87)],
        |t| t[0].narrow(1, 1, 2)?.t()?.mm(&t[1].t()?),
    );
    check(
        "bmm-transposed",
        vec![arg(24, &[2, 4, 3], 88), arg(16, &[2, 4, 2], 89)],
        |t| t[0].transpose(1, 2)?.bmm(&t[1]),
    );
    check("sum-of-permuted", vec![arg(24, &[2, 3, 4], 90)], |t| {
        t[0].permute(&[1, 2, 0])?.sum(Some(&[1]), false)
    });
    check("reshape-of-transposed", vec![arg(12, &[3, 4], 91)], |t| {
        t[0].transpose(0, 1)?.reshape(&[2, 6])
    });
    check("view-of-view", vec![arg(60, &[3, 4, 5], 92)], |t| {
        t[0].narrow(2, 1, 3)?
            .select(0, 1)?
            .unsqueeze(0)?
            .transpose(1, 2)?
            .squeeze(Some(0))
    });
    check(
        "expand-then-mul",
        vec![arg(4, &[4], 93), arg(12, &[3, 4], 94)],
        |t| t[0].unsqueeze(0)?.expand(&[3, 4])?.mul(&t[1]),
    );
    check("cat-of-views", vec![arg(12, &[3, 4], 95)], |t| {
        Tensor::cat(&[t[0].t()?, t[0].narrow(1, 0, 2)?.t()?], 0)
    });
    check(
        "index-select-of-transposed",
        vec![arg(12, &[3, 4], 96)],
        |t| {
            let idx = Tensor::from_i64(vec![2, 0, 2], vec![3]).unwrap();
            t[0].t()?.index_select(1, &idx)
        },
    );
    check("unary-rules", vec![away_from_zero(6, &[2, 3], 97)], |t| {
        t[0].abs()?.add(&t[0].sin()?)?.add(&t[0].cos()?)
    });
}
