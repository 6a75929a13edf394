//! Where a tensor lives: the host, or a CUDA GPU by ordinal.

use std::fmt;

use crate::{bail, Result, Tensor};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Device {
    Cpu,
    Cuda(usize),
}

impl fmt::Display for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Device::Cpu => f.write_str("cpu"),
            Device::Cuda(i) => write!(f, "cuda:{i}"),
        }
    }
}

impl Device {
    /// Parses PyTorch's device strings: `cpu`, `cuda`, `cuda:N`. Says nothing about whether the
    /// device exists (see `ensure_available`).
    pub fn parse(s: &str) -> Result<Device> {
        let (kind, ordinal) = match s.split_once(':') {
            Some((k, o)) => (k, Some(o)),
            None => (s, None),
        };
        let index = match ordinal {
            None => None,
            Some(o) if !o.is_empty() && o.len() <= 9 && o.bytes().all(|b| b.is_ascii_digit()) => {
                Some(o.parse::<usize>().map_err(|_| bad_device(s))?)
            }
            Some(_) => bail!(value, "Invalid device string: '{s}'"),
        };
        match (kind, index) {
            ("cpu", None | Some(0)) => Ok(Device::Cpu),
            ("cpu", Some(_)) => bail!(value, "CPU device index must be -1 or zero, got {s}"),
            ("cuda", i) => Ok(Device::Cuda(i.unwrap_or(0))),
            _ => Err(bad_device(s)),
        }
    }

    pub fn is_cpu(self) -> bool {
        self == Device::Cpu
    }

    /// The device kind as PyTorch's `device.type` gives it.
    pub fn kind(self) -> &'static str {
        match self {
            Device::Cpu => "cpu",
            Device::Cuda(_) => "cuda",
        }
    }

    /// Fails with a device error naming what is missing when this device cannot be used.
    pub fn ensure_available(self) -> Result<()> {
        match self {
            Device::Cpu => Ok(()),
            Device::Cuda(i) => crate::backend::cuda::ensure_device(i),
        }
    }

    /// Every device tensors can be made on in this process: the CPU, then each GPU.
    pub fn available() -> Vec<Device> {
        let mut v = vec![Device::Cpu];
        v.extend((0..crate::backend::cuda::device_count()).map(Device::Cuda));
        v
    }
}

fn bad_device(s: &str) -> crate::Error {
    crate::Error::value(format!(
        "Expected one of cpu, cuda device type at start of device string: {s}"
    ))
}

/// The one device all `tensors` share, with PyTorch's message when they do not.
pub fn same_device(tensors: &[&Tensor]) -> Result<Device> {
    let Some(first) = tensors.first() else {
        return Ok(Device::Cpu);
    };
    let d = first.device();
    if let Some(other) = tensors.iter().map(|t| t.device()).find(|&o| o != d) {
        return Err(mismatch(other, d));
    }
    Ok(d)
}

/// PyTorch's error for operands on two devices.
pub(crate) fn mismatch(found: Device, first: Device) -> crate::Error {
    crate::Error::device(format!(
        "Expected all tensors to be on the same device, but found at least two devices, {found} and {first}!"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_pytorch_device_strings() {
        assert_eq!(Device::parse("cpu").unwrap(), Device::Cpu);
        assert_eq!(Device::parse("cuda").unwrap(), Device::Cuda(0));
        assert_eq!(Device::parse("cuda:3").unwrap(), Device::Cuda(3));
        assert_eq!(Device::Cuda(1).to_string(), "cuda:1");
        for bad in [
            "gpu",
            "cuda:",
            "cuda:x",
            "cuda:-1",
            "",
            "cpu:1",
            "cuda:99999999999",
        ] {
            assert!(Device::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn operands_on_two_devices_get_pytorchs_message() {
        let e = mismatch(Device::Cuda(0), Device::Cpu);
        assert_eq!(e.kind, crate::ErrorKind::Device);
        assert_eq!(
            e.message,
            "Expected all tensors to be on the same device, but found at least two devices, cuda:0 and cpu!"
        );
        let cpu = [Tensor::scalar(1.0), Tensor::scalar(2.0)];
        assert_eq!(same_device(&[&cpu[0], &cpu[1]]).unwrap(), Device::Cpu);
    }
}
