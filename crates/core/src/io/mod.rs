//! Checkpoints on disk.

pub mod safetensors;
