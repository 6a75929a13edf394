//! Finding the CUDA libraries at run time, without ever letting cudarc panic.
//!
//! cudarc (with `dynamic-loading`) opens each library by its soname through the loader's search
//! path and panics when none is found, so every library is checked with `is_culib_present` before
//! any call into it. Libraries outside the search path (the `nvidia-*` wheels a PyTorch install
//! brings, a CUDA toolkit in a custom prefix) are found through `SEQTORCH_CUDA_PATH`: a
//! `:`-separated list of directories whose CUDA libraries are loaded by absolute path first, so
//! the later lookups by soname find them already in the process.

use std::sync::OnceLock;

/// The libraries the backend uses, by the name cudarc looks up, with what each is for.
pub const LIBRARIES: [(&str, &str); 5] = [
    ("cuda", "the NVIDIA driver (libcuda)"),
    ("nvrtc", "run-time kernel compiler (libnvrtc)"),
    ("cublasLt", "cuBLASLt (libcublasLt)"),
    ("cublas", "cuBLAS (libcublas)"),
    ("curand", "cuRAND (libcurand)"),
];

/// Which of `LIBRARIES` this process can load, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub present: Vec<(&'static str, bool)>,
    /// Files preloaded from `SEQTORCH_CUDA_PATH`.
    pub preloaded: Vec<String>,
}

impl Found {
    pub fn missing(&self) -> Vec<&'static str> {
        self.present
            .iter()
            .filter(|(_, ok)| !ok)
            .map(|(name, _)| *name)
            .collect()
    }

    pub fn all_present(&self) -> bool {
        self.present.iter().all(|(_, ok)| *ok)
    }
}

/// Looks once per process (loading a library cannot be undone).
pub fn found() -> &'static Found {
    static FOUND: OnceLock<Found> = OnceLock::new();
    FOUND.get_or_init(|| {
        let preloaded = preload_from_env();
        // SAFETY: each check only tries to open the library (dlopen) and drops the handle.
        let present = unsafe {
            vec![
                ("cuda", cudarc::driver::sys::is_culib_present()),
                ("nvrtc", cudarc::nvrtc::sys::is_culib_present()),
                ("cublasLt", cudarc::cublaslt::sys::is_culib_present()),
                ("cublas", cudarc::cublas::sys::is_culib_present()),
                ("curand", cudarc::curand::sys::is_culib_present()),
            ]
        };
        Found { present, preloaded }
    })
}

/// Loads, by absolute path, every CUDA library in the directories `SEQTORCH_CUDA_PATH` names
/// (separated as PATH is: `:` on Unix, `;` on Windows), dependencies first (cuBLASLt before
/// cuBLAS). Returns the files it loaded.
fn preload_from_env() -> Vec<String> {
    let Some(dirs) = std::env::var_os("SEQTORCH_CUDA_PATH") else {
        return Vec::new();
    };
    let mut loaded = Vec::new();
    // NVRTC opens its builtins library by soname at compile time: load it first.
    let names = std::iter::once("nvrtc-builtins").chain(LIBRARIES.iter().map(|(n, _)| *n));
    for name in names {
        for dir in std::env::split_paths(&dirs) {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            let mut files: Vec<_> = entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name()
                        .and_then(|f| f.to_str())
                        .is_some_and(|f| is_library_file(f, name))
                })
                .collect();
            files.sort();
            // The most specific version first (libcublas.so.13.1 before libcublas.so).
            // SAFETY: loading a shared library runs its initialisers; these are NVIDIA's CUDA
            // libraries from a directory the user named for that purpose.
            if let Some(path) = files.last() {
                if unsafe { load_for_the_process(path) } {
                    loaded.push(path.display().to_string());
                    break;
                }
            }
        }
    }
    loaded
}

/// Whether `file` is a build of CUDA library `name`: `libcublas.so`, `libcublas.so.13` on
/// Linux; `cublas64_13.dll` on Windows (where the driver is `nvcuda.dll`).
fn is_library_file(file: &str, name: &str) -> bool {
    if cfg!(windows) {
        let stem = if name == "cuda" { "nvcuda" } else { name };
        file.eq_ignore_ascii_case(&format!("{stem}.dll"))
            || (file.starts_with(&format!("{stem}64_")) && file.ends_with(".dll"))
    } else {
        let prefix = format!("lib{name}.so");
        file == prefix || file.starts_with(&format!("{prefix}."))
    }
}

/// Loads `path` for the rest of the process (the handle is leaked on purpose), so cudarc's
/// later lookup by name finds it: with RTLD_GLOBAL on Unix; on Windows a loaded DLL is found
/// by its base name.
///
/// # Safety
/// Runs the library's initialisers.
unsafe fn load_for_the_process(path: &std::path::Path) -> bool {
    #[cfg(unix)]
    let lib = unsafe {
        libloading::os::unix::Library::open(Some(path), libc::RTLD_NOW | libc::RTLD_GLOBAL)
    };
    #[cfg(not(unix))]
    let lib = unsafe { libloading::Library::new(path) };
    match lib {
        Ok(lib) => {
            std::mem::forget(lib);
            true
        }
        Err(_) => false,
    }
}
