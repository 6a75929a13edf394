//! One error type for the whole core. The kind tells the binding which JavaScript error class to
//! throw (TypeError for dtype and argument-type mistakes, RangeError for indices and sizes out of
//! range, Error for everything else, such as shape mismatches and autograd misuse; device and
//! internal errors are Errors with a `code` so callers can tell them apart).

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    Type,
    Range,
    Value,
    /// A device that is not there or tensors on different devices (JS `Error`, code
    /// `SEQTORCH_DEVICE`).
    Device,
    /// A bug in seqtorch, never the caller's fault (JS `Error`, code `SEQTORCH_INTERNAL`).
    Internal,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
}

impl Error {
    pub fn type_error(message: impl Into<String>) -> Self {
        Error {
            kind: ErrorKind::Type,
            message: message.into(),
        }
    }
    pub fn range(message: impl Into<String>) -> Self {
        Error {
            kind: ErrorKind::Range,
            message: message.into(),
        }
    }
    pub fn value(message: impl Into<String>) -> Self {
        Error {
            kind: ErrorKind::Value,
            message: message.into(),
        }
    }
    pub fn device(message: impl Into<String>) -> Self {
        Error {
            kind: ErrorKind::Device,
            message: message.into(),
        }
    }
    pub fn internal(message: impl Into<String>) -> Self {
        Error {
            kind: ErrorKind::Internal,
            message: message.into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;

/// `bail!(range, "...")` returns early with an error of the given kind.
#[macro_export]
macro_rules! bail {
    (type, $($arg:tt)*) => { return Err($crate::Error::type_error(format!($($arg)*))) };
    (range, $($arg:tt)*) => { return Err($crate::Error::range(format!($($arg)*))) };
    (value, $($arg:tt)*) => { return Err($crate::Error::value(format!($($arg)*))) };
    (device, $($arg:tt)*) => { return Err($crate::Error::device(format!($($arg)*))) };
    (internal, $($arg:tt)*) => { return Err($crate::Error::internal(format!($($arg)*))) };
}
