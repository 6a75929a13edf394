//! seqtorch-core: tensors on devices, define-by-run autograd and kernels for sequence models.
//! Pure Rust with no Node.js dependency; the napi binding in `crates/node` only converts.
//!
//! ```
//! use seqtorch_core::Tensor;
//! let x = Tensor::from_f32(vec![1.0, 2.0, 3.0], vec![3]).unwrap().requires_grad_(true).unwrap();
//! let y = x.mul(&x).unwrap().sum(None, false).unwrap();
//! seqtorch_core::autograd::backward(&y, None, false).unwrap();
//! assert_eq!(x.grad().unwrap().to_vec_f32(), vec![2.0, 4.0, 6.0]);
//! ```

pub mod autograd;
pub mod backend;
pub(crate) mod buffer_pool;
pub mod cpu_info;
pub mod data;
pub mod device;
pub mod dtype;
pub mod error;
pub mod io;
pub mod kernels;
pub mod layout;
pub mod memory;
pub mod nn;
pub mod ops;
pub mod optim;
pub mod precision;
pub mod preprocessing;
pub mod rnn;
pub mod shape;
pub mod spin_team;
pub mod storage;
pub mod tensor;
pub mod threads;

pub use backend::CpuStorage;
pub use device::Device;
pub use dtype::DType;
pub use error::{Error, ErrorKind, Result};
pub use layout::Layout;
pub use storage::Storage;
pub use tensor::{HostData, HostSlice, Tensor};
