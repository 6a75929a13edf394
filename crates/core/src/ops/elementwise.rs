//! Elementwise arithmetic with NumPy broadcasting and PyTorch's type promotion
//! (int64 op int64 stays int64 for add/sub/mul; anything else computes in float32).

use crate::autograd::{Node, Op};
use crate::backend::{BinaryOp, CpuStorage, UnaryOp};
use crate::device::same_device;
use crate::shape::broadcast_shapes;
use crate::{DType, Result, Tensor};

/// `op(a, b)` on the device both share, after broadcasting their layouts (no copies).
pub(crate) fn binary_raw(op: BinaryOp, a: &Tensor, b: &Tensor) -> Result<Tensor> {
    same_device(&[a, b])?;
    let out_shape = broadcast_shapes(a.shape(), b.shape())?;
    crate::shape::checked_numel(op.name(), &out_shape)?;
    let (la, lb) = (
        a.layout().broadcast_to(&out_shape),
        b.layout().broadcast_to(&out_shape),
    );
    let storage = if a.same_storage(b) {
        let s = a.storage();
        s.binary(&la, &s, &lb, op)?
    } else {
        a.storage().binary(&la, &b.storage(), &lb, op)?
    };
    Ok(Tensor::from_storage(storage, out_shape))
}

fn binary(op: BinaryOp, a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let out = binary_raw(op, a, b)?;
    let node = Node::record(&[a, b], || match op {
        BinaryOp::Add => Op::Add(a.clone(), b.clone()),
        BinaryOp::Sub => Op::Sub(a.clone(), b.clone()),
        BinaryOp::Mul => Op::Mul(a.clone(), b.clone()),
        BinaryOp::Div => Op::Div(a.clone(), b.clone()),
        _ => unreachable!("backward-only ops record nothing"),
    });
    Ok(out.with_grad_fn(node))
}

pub(crate) fn unary_raw(t: &Tensor, op: UnaryOp) -> Result<Tensor> {
    let storage = t.storage().unary(t.layout(), op)?;
    Ok(Tensor::from_storage(storage, t.shape().to_vec()))
}

/// A one-element tensor on `t`'s device for a number operand, int64 when that keeps integer
/// arithmetic exact.
fn scalar_for(t: &Tensor, value: f64, integer_ok: bool) -> Result<Tensor> {
    let s = if integer_ok && t.dtype() == DType::I64 && value.fract() == 0.0 && value.abs() < 9.0e15
    {
        Tensor::from_cpu(CpuStorage::I64(vec![value as i64]), vec![])
    } else {
        Tensor::scalar(value as f32)
    };
    s.to_device(t.device())
}

impl Tensor {
    pub fn add(&self, other: &Tensor) -> Result<Tensor> {
        binary(BinaryOp::Add, self, other)
    }
    pub fn sub(&self, other: &Tensor) -> Result<Tensor> {
        binary(BinaryOp::Sub, self, other)
    }
    pub fn mul(&self, other: &Tensor) -> Result<Tensor> {
        binary(BinaryOp::Mul, self, other)
    }
    pub fn div(&self, other: &Tensor) -> Result<Tensor> {
        binary(BinaryOp::Div, self, other)
    }
    pub fn add_scalar(&self, v: f64) -> Result<Tensor> {
        binary(BinaryOp::Add, self, &scalar_for(self, v, true)?)
    }
    pub fn sub_scalar(&self, v: f64) -> Result<Tensor> {
        binary(BinaryOp::Sub, self, &scalar_for(self, v, true)?)
    }
    pub fn mul_scalar(&self, v: f64) -> Result<Tensor> {
        binary(BinaryOp::Mul, self, &scalar_for(self, v, true)?)
    }
    pub fn div_scalar(&self, v: f64) -> Result<Tensor> {
        binary(BinaryOp::Div, self, &scalar_for(self, v, false)?)
    }

    /// `self += other` in place (same shape, float32), recording no history: gradient
    /// accumulation and optimizer-style updates.
    pub fn add_(&self, other: &Tensor) -> Result<()> {
        same_device(&[self, other])?;
        if other.shape() != self.shape() {
            crate::bail!(
                value,
                "add_(): size mismatch, expected {}, got {}",
                crate::shape::fmt_shape(self.shape()),
                crate::shape::fmt_shape(other.shape())
            );
        }
        let owned = if self.same_storage(other) {
            Some(other.deep_copy()?)
        } else {
            None
        };
        let other = owned.as_ref().unwrap_or(other);
        let src = other.storage();
        let layout = self.layout().clone();
        self.storage_mut().add_assign(&layout, &src, other.layout())
    }

    pub fn neg(&self) -> Result<Tensor> {
        let out = unary_raw(self, UnaryOp::Neg)?;
        let node = Node::record(&[self], || Op::Neg(self.clone()));
        Ok(out.with_grad_fn(node))
    }

    pub fn pow(&self, exponent: f32) -> Result<Tensor> {
        let op = match exponent {
            2.0 => UnaryOp::Square,
            0.5 => UnaryOp::Sqrt,
            p => UnaryOp::Powf(p),
        };
        let out = if exponent == 1.0 {
            self.to_dtype(DType::F32)?.deep_copy()?
        } else {
            unary_raw(self, op)?
        };
        let node = Node::record(&[self], || Op::Pow {
            input: self.clone(),
            exponent,
        });
        Ok(out.with_grad_fn(node))
    }

    /// Each element limited to `[min, max]` (PyTorch's `torch.clamp` with number bounds): a
    /// NaN element stays NaN, a NaN bound makes every element NaN, and where `min > max` every
    /// element becomes `max`. The gradient passes where `min < x < max` strictly (0 at a bound,
    /// as PyTorch 2.15 computes it). int64 input gives float32, as the other unary functions.
    pub fn clamp(&self, min: Option<f64>, max: Option<f64>) -> Result<Tensor> {
        if min.is_none() && max.is_none() {
            crate::bail!(
                value,
                "torch.clamp: At least one of 'min' or 'max' must not be None"
            );
        }
        let lower = match min {
            Some(lo) => unary_raw(self, UnaryOp::ClampMin(lo as f32))?,
            None => self.to_dtype(DType::F32)?,
        };
        let out = match max {
            Some(hi) => unary_raw(&lower, UnaryOp::ClampMax(hi as f32))?,
            None => lower,
        };
        let node = Node::record(&[self], || Op::Clamp {
            input: self.clone(),
            min: min.map(|v| v as f32),
            max: max.map(|v| v as f32),
        });
        Ok(out.with_grad_fn(node))
    }

    pub fn exp(&self) -> Result<Tensor> {
        let out = unary_raw(self, UnaryOp::Exp)?;
        let node = Node::record(&[self], || Op::Exp {
            input: self.clone(),
            output: out.detach(),
        });
        Ok(out.with_grad_fn(node))
    }

    pub fn log(&self) -> Result<Tensor> {
        let out = unary_raw(self, UnaryOp::Log)?;
        let node = Node::record(&[self], || Op::Log(self.clone()));
        Ok(out.with_grad_fn(node))
    }

    pub fn sigmoid(&self) -> Result<Tensor> {
        let out = unary_raw(self, UnaryOp::Sigmoid)?;
        let node = Node::record(&[self], || Op::Sigmoid {
            input: self.clone(),
            output: out.detach(),
        });
        Ok(out.with_grad_fn(node))
    }

    pub fn tanh(&self) -> Result<Tensor> {
        let out = unary_raw(self, UnaryOp::Tanh)?;
        let node = Node::record(&[self], || Op::Tanh {
            input: self.clone(),
            output: out.detach(),
        });
        Ok(out.with_grad_fn(node))
    }

    pub fn relu(&self) -> Result<Tensor> {
        let out = unary_raw(self, UnaryOp::Relu)?;
        if self.dtype() == DType::I64 {
            return Ok(out);
        }
        let node = Node::record(&[self], || Op::Relu(self.clone()));
        Ok(out.with_grad_fn(node))
    }

    pub fn sin(&self) -> Result<Tensor> {
        let out = unary_raw(self, UnaryOp::Sin)?;
        let node = Node::record(&[self], || Op::Sin(self.clone()));
        Ok(out.with_grad_fn(node))
    }

    pub fn cos(&self) -> Result<Tensor> {
        let out = unary_raw(self, UnaryOp::Cos)?;
        let node = Node::record(&[self], || Op::Cos(self.clone()));
        Ok(out.with_grad_fn(node))
    }

    pub fn abs(&self) -> Result<Tensor> {
        let out = unary_raw(self, UnaryOp::Abs)?;
        if self.dtype() == DType::I64 {
            return Ok(out);
        }
        let node = Node::record(&[self], || Op::Abs(self.clone()));
        Ok(out.with_grad_fn(node))
    }

    /// -1, 0 or 1 by the sign of each element (records no gradient: it is zero almost everywhere).
    pub fn sign(&self) -> Result<Tensor> {
        unary_raw(self, UnaryOp::Sign)
    }
}
