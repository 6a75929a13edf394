//! Element types. float32 carries all math and gradients; int64 holds indices and labels.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DType {
    F32,
    I64,
}

impl DType {
    pub fn size_in_bytes(self) -> usize {
        match self {
            DType::F32 => 4,
            DType::I64 => 8,
        }
    }

    pub fn is_floating_point(self) -> bool {
        matches!(self, DType::F32)
    }

    /// The name users type: `'float32'` or `'int64'`.
    pub fn name(self) -> &'static str {
        match self {
            DType::F32 => "float32",
            DType::I64 => "int64",
        }
    }

    pub fn parse(name: &str) -> crate::Result<DType> {
        match name {
            "float32" | "float" => Ok(DType::F32),
            "int64" | "long" => Ok(DType::I64),
            other => Err(crate::Error::type_error(format!(
                "unsupported dtype '{other}': expected 'float32' or 'int64'"
            ))),
        }
    }

    /// PyTorch's name in messages: `Float`, `Long`.
    pub fn torch_name(self) -> &'static str {
        match self {
            DType::F32 => "Float",
            DType::I64 => "Long",
        }
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
