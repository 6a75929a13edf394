//! safetensors checkpoints (the format PyTorch users exchange), through the `safetensors`
//! crate, which validates the header: its size, dtypes, shapes, and that every tensor's byte
//! range lies inside the file without gaps or overlaps.
//!
//! Saving is atomic: the file is written beside the target, flushed to disk and renamed over
//! it, so a crash mid-save leaves the previous checkpoint intact.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use safetensors::tensor::{Dtype, SafeTensors, View};

use crate::HostSlice;
use crate::{bail, Error, Result, Tensor};

/// Tensors by name, in file order, plus the free-form string metadata of the header.
pub struct Checkpoint {
    pub tensors: Vec<(String, Tensor)>,
    pub metadata: HashMap<String, String>,
}

struct Bytes {
    dtype: Dtype,
    shape: Vec<usize>,
    data: Vec<u8>,
}

impl View for &Bytes {
    fn dtype(&self) -> Dtype {
        self.dtype
    }
    fn shape(&self) -> &[usize] {
        &self.shape
    }
    fn data(&self) -> Cow<'_, [u8]> {
        Cow::Borrowed(&self.data)
    }
    fn data_len(&self) -> usize {
        self.data.len()
    }
}

fn to_bytes(t: &Tensor) -> Result<Bytes> {
    // Host memory: a checkpoint is written from the CPU (a GPU tensor is copied down).
    let host = t.host()?;
    let (dtype, data) = match host.slice() {
        HostSlice::F32(v) => (Dtype::F32, v.iter().flat_map(|x| x.to_le_bytes()).collect()),
        HostSlice::I64(v) => (Dtype::I64, v.iter().flat_map(|x| x.to_le_bytes()).collect()),
    };
    Ok(Bytes {
        dtype,
        shape: t.shape().to_vec(),
        data,
    })
}

/// The whole file as bytes.
pub fn serialize(
    tensors: &[(String, Tensor)],
    metadata: Option<HashMap<String, String>>,
) -> Result<Vec<u8>> {
    let mut seen = std::collections::HashSet::new();
    for (name, _) in tensors {
        if !seen.insert(name.as_str()) {
            bail!(value, "save(): the name '{name}' appears twice");
        }
        // The header keeps its metadata under this key: a tensor of that name would make a
        // file no reader accepts.
        if name == "__metadata__" {
            bail!(
                value,
                "save(): '__metadata__' is reserved by the safetensors format and cannot name a tensor"
            );
        }
    }
    let owned: Vec<(String, Bytes)> = tensors
        .iter()
        .map(|(n, t)| Ok((n.clone(), to_bytes(t)?)))
        .collect::<Result<_>>()?;
    let views = owned.iter().map(|(n, b)| (n.as_str(), b));
    safetensors::tensor::serialize(views, metadata)
        .map_err(|e| Error::value(format!("save(): {e}")))
}

static TEMP_COUNTER: AtomicUsize = AtomicUsize::new(0);

/// Writes a checkpoint atomically (temporary file, fsync, rename, fsync of the directory).
pub fn save(
    tensors: &[(String, Tensor)],
    metadata: Option<HashMap<String, String>>,
    path: &Path,
) -> Result<()> {
    let bytes = serialize(tensors, metadata)?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let file_name = path
        .file_name()
        .ok_or_else(|| Error::value(format!("save(): '{}' is not a file path", path.display())))?;
    let prefix = format!(".{}.tmp-", file_name.to_string_lossy());
    remove_stale_temporaries(&dir, &prefix);
    let temp = dir.join(format!(
        "{prefix}{}-{}",
        std::process::id(),
        TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let io_err =
        |e: std::io::Error| Error::value(format!("save(): cannot write '{}': {e}", path.display()));
    let write = || -> std::io::Result<()> {
        let mut f = fs::File::create(&temp)?;
        f.write_all(&bytes)?;
        f.sync_all()?;
        fs::rename(&temp, path)?;
        // Make the rename itself durable (directories can be opened and synced on Unix).
        if let Ok(d) = fs::File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(())
    };
    write().map_err(|e| {
        let _ = fs::remove_file(&temp);
        io_err(e)
    })
}

/// Whether process `pid` still runs (a save it started may still be writing).
#[cfg(unix)]
fn process_alive(pid: u32) -> bool {
    // SAFETY: signal 0 only checks that the process exists and may be signalled.
    let r = unsafe { libc::kill(pid as libc::pid_t, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

#[cfg(not(unix))]
fn process_alive(_pid: u32) -> bool {
    // No cheap check here: keep the file (a later save by a live process may own it).
    true
}

/// Removes `<prefix><pid>-<n>` files left by saves whose process died mid-write (killed, or
/// out of power), so they do not pile up beside the checkpoint.
fn remove_stale_temporaries(dir: &Path, prefix: &str) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let me = std::process::id();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(prefix)) else {
            continue;
        };
        let Some(pid) = rest
            .split_once('-')
            .and_then(|(pid, n)| n.parse::<u64>().ok().and(pid.parse::<u32>().ok()))
        else {
            continue;
        };
        if pid != me && !process_alive(pid) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

fn convert(name: &str, dtype: Dtype, shape: Vec<usize>, data: &[u8]) -> Result<Tensor> {
    // Widening (bytes to int64, half to float32) can multiply the size: check it first.
    let elem = match dtype {
        Dtype::F32 | Dtype::F64 | Dtype::F16 | Dtype::BF16 => 4,
        _ => 8,
    };
    crate::memory::check("load", &shape, elem)?;
    let f32s = |f: fn([u8; 4]) -> f32| {
        data.chunks_exact(4)
            .map(|c| f([c[0], c[1], c[2], c[3]]))
            .collect::<Vec<f32>>()
    };
    let half = |f: fn(u16) -> f32| {
        data.chunks_exact(2)
            .map(|c| f(u16::from_le_bytes([c[0], c[1]])))
            .collect::<Vec<f32>>()
    };
    let ints = |size: usize, f: &dyn Fn(&[u8]) -> i64| {
        data.chunks_exact(size).map(f).collect::<Vec<i64>>()
    };
    match dtype {
        Dtype::F32 => Tensor::from_f32(f32s(f32::from_le_bytes), shape),
        Dtype::F64 => Tensor::from_f32(
            data.chunks_exact(8)
                .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")) as f32)
                .collect(),
            shape,
        ),
        Dtype::F16 => Tensor::from_f32(half(f16_to_f32), shape),
        Dtype::BF16 => Tensor::from_f32(half(|b| f32::from_bits((b as u32) << 16)), shape),
        Dtype::I64 => Tensor::from_i64(
            ints(8, &|c| i64::from_le_bytes(c.try_into().expect("8 bytes"))),
            shape,
        ),
        Dtype::I32 => Tensor::from_i64(
            ints(4, &|c| {
                i32::from_le_bytes(c.try_into().expect("4 bytes")) as i64
            }),
            shape,
        ),
        Dtype::I16 => Tensor::from_i64(
            ints(2, &|c| {
                i16::from_le_bytes(c.try_into().expect("2 bytes")) as i64
            }),
            shape,
        ),
        Dtype::U16 => Tensor::from_i64(
            ints(2, &|c| {
                u16::from_le_bytes(c.try_into().expect("2 bytes")) as i64
            }),
            shape,
        ),
        Dtype::U32 => Tensor::from_i64(
            ints(4, &|c| {
                u32::from_le_bytes(c.try_into().expect("4 bytes")) as i64
            }),
            shape,
        ),
        Dtype::I8 => Tensor::from_i64(ints(1, &|c| c[0] as i8 as i64), shape),
        Dtype::U8 | Dtype::BOOL => Tensor::from_i64(ints(1, &|c| c[0] as i64), shape),
        other => bail!(
            type,
            "load(): tensor '{name}' has dtype {other:?}, which seqtorch cannot hold"
        ),
    }
}

/// IEEE half precision to single.
fn f16_to_f32(h: u16) -> f32 {
    let sign = ((h >> 15) as u32) << 31;
    let exp = ((h >> 10) & 0x1f) as u32;
    let frac = (h & 0x3ff) as u32;
    let bits = match (exp, frac) {
        (0, 0) => sign,
        (0, _) => {
            // Subnormal: renormalise.
            let mut e = 127 - 15 + 1;
            let mut f = frac;
            while f & 0x400 == 0 {
                f <<= 1;
                e -= 1;
            }
            sign | (e << 23) | ((f & 0x3ff) << 13)
        }
        (0x1f, _) => sign | 0x7f80_0000 | (frac << 13),
        _ => sign | ((exp + 127 - 15) << 23) | (frac << 13),
    };
    f32::from_bits(bits)
}

/// Parses a checkpoint from bytes, rejecting anything malformed with a clear error.
pub fn deserialize(bytes: &[u8], origin: &str) -> Result<Checkpoint> {
    if bytes.len() < 8 {
        bail!(
            value,
            "load(): '{origin}' is not a safetensors file: it has only {} bytes",
            bytes.len()
        );
    }
    let st = SafeTensors::deserialize(bytes).map_err(|e| {
        Error::value(format!(
            "load(): '{origin}' is not a valid safetensors file: {e}"
        ))
    })?;
    let (_, meta) = SafeTensors::read_metadata(bytes).map_err(|e| {
        Error::value(format!(
            "load(): '{origin}' is not a valid safetensors file: {e}"
        ))
    })?;
    let mut tensors = Vec::new();
    for (name, view) in st.iter() {
        let t = convert(name, view.dtype(), view.shape().to_vec(), view.data())?;
        tensors.push((name.to_string(), t));
    }
    Ok(Checkpoint {
        tensors,
        metadata: meta.metadata().clone().unwrap_or_default(),
    })
}

pub fn load(path: &Path) -> Result<Checkpoint> {
    use std::io::Read;
    let io_err =
        |e: std::io::Error| Error::value(format!("load(): cannot read '{}': {e}", path.display()));
    let file = fs::File::open(path).map_err(io_err)?;
    let meta = file.metadata().map_err(io_err)?;
    if !meta.is_file() {
        // Directories, devices (/dev/zero never ends) and pipes are not checkpoints.
        bail!(value, "load(): '{}' is not a regular file", path.display());
    }
    // The whole file is read at once: check its size like any allocation, and reserve it
    // fallibly so a huge file is an error, not an abort.
    let len = meta.len();
    crate::memory::check_bytes("load", "reading the file", len as u128)?;
    let mut bytes = Vec::new();
    bytes.try_reserve_exact(len as usize).map_err(|_| {
        Error::range(format!(
            "load(): out of memory reading '{}' ({})",
            path.display(),
            crate::memory::fmt_bytes(len as u128)
        ))
    })?;
    // At most the size seen above, even if the file grows while it is read.
    file.take(len).read_to_end(&mut bytes).map_err(io_err)?;
    deserialize(&bytes, &path.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<(String, Tensor)> {
        vec![
            (
                "w".into(),
                Tensor::from_f32(vec![1.5, -2.0, 3.25, 0.0], vec![2, 2]).unwrap(),
            ),
            (
                "idx".into(),
                Tensor::from_i64(vec![3, -1], vec![2]).unwrap(),
            ),
        ]
    }

    #[test]
    fn round_trip_keeps_names_dtypes_shapes_values_and_metadata() {
        let meta = HashMap::from([("format".to_string(), "pt".to_string())]);
        let bytes = serialize(&sample(), Some(meta)).unwrap();
        let ck = deserialize(&bytes, "mem").unwrap();
        assert_eq!(ck.metadata.get("format").map(String::as_str), Some("pt"));
        let get = |n: &str| ck.tensors.iter().find(|(k, _)| k == n).unwrap().1.clone();
        assert_eq!(get("w").to_vec_f32(), vec![1.5, -2.0, 3.25, 0.0]);
        assert_eq!(get("w").shape(), &[2, 2]);
        assert_eq!(get("idx").to_vec_i64(), vec![3, -1]);
    }

    #[test]
    fn truncated_and_hostile_files_are_rejected() {
        let bytes = serialize(&sample(), None).unwrap();
        for cut in [0, 4, 8, 20, bytes.len() - 1] {
            assert!(deserialize(&bytes[..cut], "cut").is_err(), "cut at {cut}");
        }
        // A header that claims to be enormous.
        let mut huge = (u64::MAX / 2).to_le_bytes().to_vec();
        huge.extend_from_slice(b"{}");
        assert!(deserialize(&huge, "huge").is_err());
        // Offsets pointing outside the data, and overlapping tensors.
        for header in [
            r#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,800]}}"#,
            r#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#,
            r#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#,
            r#"{"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,8]}}"#,
            r#"not json"#,
        ] {
            let mut b = (header.len() as u64).to_le_bytes().to_vec();
            b.extend_from_slice(header.as_bytes());
            b.extend_from_slice(&[0u8; 12]);
            assert!(deserialize(&b, "hostile").is_err(), "{header}");
        }
    }

    #[test]
    fn half_precision_converts() {
        assert_eq!(f16_to_f32(0x3c00), 1.0);
        assert_eq!(f16_to_f32(0xc000), -2.0);
        assert_eq!(f16_to_f32(0x0001), 2f32.powi(-24));
        assert!(f16_to_f32(0x7c00).is_infinite());
    }

    #[test]
    fn save_is_atomic_and_replaces_the_old_file() {
        let dir = std::env::temp_dir().join(format!("seqtorch-st-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("m.safetensors");
        save(&sample(), None, &path).unwrap();
        save(&sample()[..1], None, &path).unwrap();
        assert_eq!(load(&path).unwrap().tensors.len(), 1);
        // No temporary files left behind.
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 1);
        // Writing into a missing directory fails cleanly and leaves nothing.
        assert!(save(&sample(), None, &dir.join("missing/x.safetensors")).is_err());
        fs::remove_dir_all(&dir).unwrap();
    }
}
