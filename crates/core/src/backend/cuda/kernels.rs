//! The backend's kernels as CUDA C sources, compiled at run time by NVRTC for the GPU found (so
//! a PTX newer than the user's driver is never shipped). The sources share one header of
//! strided-layout helpers, inlined here because NVRTC resolves includes only from search paths.
//! Every module is compiled in the tests (CI uses NVRTC from the PyPI wheel, without a GPU).

use crate::{bail, Result};

const LAYOUT_HEADER: &str = include_str!("kernels/layout.cuh");

/// (module name, CUDA C source).
pub const MODULES: [(&str, &str); 6] = [
    ("elementwise", include_str!("kernels/elementwise.cu")),
    ("reduce_index", include_str!("kernels/reduce_index.cu")),
    ("rnn_cells", include_str!("kernels/rnn_cells.cu")),
    ("rnn_sequence", include_str!("kernels/rnn_sequence.cu")),
    ("optim", include_str!("kernels/optim.cu")),
    ("losses", include_str!("kernels/losses.cu")),
];

/// The module's source with the shared header inlined.
pub fn source(module: &str) -> Result<String> {
    let Some((_, src)) = MODULES.iter().find(|(name, _)| *name == module) else {
        bail!(value, "no CUDA kernel module named '{module}'");
    };
    let header = LAYOUT_HEADER.replace("#pragma once", "");
    Ok(src.replace("#include \"layout.cuh\"", &header))
}

/// Compiles `module` to PTX for a virtual architecture (`compute_75`, `compute_90`, ...),
/// returning the PTX text or the compiler's log as an error.
pub fn compile(module: &str, arch: &'static str) -> Result<String> {
    compile_source(module, &source(module)?, arch)
}

/// Compiles CUDA C `src` (named `name` in messages) to PTX for `arch`.
pub fn compile_source(name: &str, src: &str, arch: &'static str) -> Result<String> {
    let nvrtc_found = super::libraries::found()
        .present
        .iter()
        .any(|(name, ok)| *name == "nvrtc" && *ok);
    if !nvrtc_found {
        bail!(
            device,
            "cannot compile CUDA kernels: libnvrtc.so was not found (set SEQTORCH_CUDA_PATH to the directory holding it)"
        );
    }
    let opts = cudarc::nvrtc::CompileOptions {
        arch: Some(arch),
        name: Some(format!("{name}.cu")),
        ..Default::default()
    };
    let src = src.to_string();
    match std::panic::catch_unwind(|| cudarc::nvrtc::compile_ptx_with_opts(src, opts)) {
        Ok(Ok(ptx)) => Ok(ptx.to_src()),
        Ok(Err(e)) => bail!(
            internal,
            "NVRTC could not compile {name}.cu for {arch}: {e:?}"
        ),
        Err(_) => bail!(internal, "NVRTC could not be loaded to compile {name}.cu"),
    }
}
