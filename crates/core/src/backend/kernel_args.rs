//! Argument structs passed by value to the optimizer kernels (kernels/optim.cu), laid out as
//! the CUDA sources declare them. Defined whether or not CUDA is compiled in, so the optimizers
//! describe their GPU update the same way in every build.

/// `SgdArgs` in optim.cu.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SgdArgs {
    pub lr: f32,
    pub momentum: f32,
    pub dampening: f32,
    pub weight_decay: f32,
    pub nesterov: i32,
    pub maximize: i32,
    pub fresh: i32,
}

/// `AdamArgs` in optim.cu.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct AdamArgs {
    pub lr: f32,
    pub beta1: f32,
    pub beta2: f32,
    pub eps: f32,
    pub weight_decay: f32,
    pub step_size: f32,
    pub bc2_sqrt: f32,
    pub decoupled: i32,
    pub maximize: i32,
}

/// `RmsPropArgs` in optim.cu.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct RmsPropArgs {
    pub lr: f32,
    pub alpha: f32,
    pub eps: f32,
    pub weight_decay: f32,
    pub momentum: f32,
    pub maximize: i32,
}

/// The argument struct of one in-place update kernel.
#[derive(Clone, Copy, Debug)]
pub enum KernelArgs {
    Sgd(SgdArgs),
    Adam(AdamArgs),
    RmsProp(RmsPropArgs),
}

impl KernelArgs {
    /// The struct's name in optim.cu.
    pub fn c_type(&self) -> &'static str {
        match self {
            KernelArgs::Sgd(_) => "SgdArgs",
            KernelArgs::Adam(_) => "AdamArgs",
            KernelArgs::RmsProp(_) => "RmsPropArgs",
        }
    }
}
