//! Contiguous, row-major element buffers owned by Rust.

use crate::dtype::DType;

#[derive(Debug, Clone)]
pub enum Storage {
    F32(Vec<f32>),
    I64(Vec<i64>),
}

impl Storage {
    pub fn dtype(&self) -> DType {
        match self {
            Storage::F32(_) => DType::F32,
            Storage::I64(_) => DType::I64,
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Storage::F32(v) => v.len(),
            Storage::I64(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn size_in_bytes(&self) -> usize {
        self.len() * self.dtype().size_in_bytes()
    }

    pub fn zeros(dtype: DType, len: usize) -> Storage {
        match dtype {
            DType::F32 => Storage::F32(vec![0.0; len]),
            DType::I64 => Storage::I64(vec![0; len]),
        }
    }

    /// Values as float32 (int64 converted), for promotion to floating point.
    pub fn to_f32_vec(&self) -> Vec<f32> {
        match self {
            Storage::F32(v) => v.clone(),
            Storage::I64(v) => v.iter().map(|&x| x as f32).collect(),
        }
    }

    pub fn to_i64_vec(&self) -> Vec<i64> {
        match self {
            Storage::F32(v) => v.iter().map(|&x| x as i64).collect(),
            Storage::I64(v) => v.clone(),
        }
    }
}
