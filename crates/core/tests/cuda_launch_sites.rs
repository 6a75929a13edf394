//! Every kernel launch in seqtorch-core passes what its kernel declares, checked without a GPU:
//! the launcher refuses a mismatch at run time (`kernel_signature::check`), but that runs only
//! where a GPU does, so this reads each `launch_f32`/`launch_f32_blocks` call in the sources
//! (kernel name, outputs, inputs, integer parameters) and runs every optimizer's device update
//! through the same check.
#![cfg(feature = "cuda")]

use std::fs;
use std::path::{Path, PathBuf};

use seqtorch_core::backend::cuda::kernel_signature::{check, outputs_inputs_params, IN, OUT, U64};
use seqtorch_core::optim::{
    adam_device_update, rmsprop_device_update, sgd_device_update, AdamConfig, ParamState,
    RmsPropConfig, SgdConfig,
};

fn rust_sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("source dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The text inside the parentheses that open at `open`.
fn inside_parens(src: &str, open: usize) -> &str {
    let mut depth = 0;
    for (i, ch) in src[open..].char_indices() {
        match ch {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return &src[open + 1..open + i];
                }
            }
            _ => {}
        }
    }
    panic!("unbalanced call at byte {open}")
}

/// `s` split at its top-level commas (not those inside brackets, parentheses or braces).
fn top_level(s: &str) -> Vec<&str> {
    let (mut parts, mut depth, mut start) = (Vec::new(), 0i32, 0);
    for (i, ch) in s.char_indices() {
        match ch {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(s[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(s[start..].trim());
    parts.retain(|p| !p.is_empty());
    parts
}

/// How many elements a slice argument holds: `&[a, b]` directly, `&name` from the last
/// `let name = [..]` (or `vec![..]`) before the call.
fn slice_len(arg: &str, before: &str, site: &str) -> usize {
    if let Some(list) = arg.strip_prefix("&[").and_then(|a| a.strip_suffix(']')) {
        return top_level(list).len();
    }
    let name = arg.trim_start_matches(['&', '*']);
    let pattern = format!("let {name} = ");
    let at = before
        .rfind(&pattern)
        .unwrap_or_else(|| panic!("{site}: cannot find the definition of `{name}`"));
    let value = &before[at + pattern.len()..];
    let value = value.strip_prefix("vec!").unwrap_or(value);
    let end = value
        .find("];")
        .unwrap_or_else(|| panic!("{site}: `{name}` is not a list"));
    top_level(&value[1..end]).len()
}

#[test]
fn every_fused_kernel_launch_matches_the_kernel_declaration() {
    let src_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_sources(&src_dir, &mut files);
    let mut checked = Vec::new();
    for file in files {
        let src = fs::read_to_string(&file).expect("source");
        let rel = file
            .strip_prefix(&src_dir)
            .expect("under src")
            .display()
            .to_string();
        // The launcher's own definitions and the stub without CUDA.
        if rel.ends_with("launch.rs") || rel.ends_with("cuda_stub.rs") {
            continue;
        }
        for call in ["launch_f32(", "launch_f32_blocks("] {
            for (at, _) in src.match_indices(call) {
                let preceding = src[..at].chars().next_back();
                if preceding.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                    continue;
                }
                let line = src[..at].lines().count();
                let site = format!("{rel}:{line}");
                let args = top_level(inside_parens(&src, at + call.len() - 1));
                assert_eq!(
                    args.len(),
                    7,
                    "{site}: expected seven arguments, got {args:?}"
                );
                let module = match args[1] {
                    "MODULE" => {
                        let def = src.find("const MODULE: &str = \"").expect("MODULE const");
                        let rest = &src[def + "const MODULE: &str = \"".len()..];
                        rest[..rest.find('"').expect("closing quote")].to_string()
                    }
                    literal => literal.trim_matches('"').to_string(),
                };
                let kernel = args[2].trim_matches('"');
                assert!(
                    args[2].starts_with('"'),
                    "{site}: kernel name is not a literal"
                );
                let before = &src[..at];
                let launched = outputs_inputs_params(
                    slice_len(args[3], before, &site),
                    slice_len(args[4], before, &site),
                    slice_len(args[5], before, &site),
                );
                if let Err(e) = check(&module, kernel, &launched) {
                    panic!("{site}: {}", e.message);
                }
                checked.push(format!("{module}::{kernel}"));
            }
        }
    }
    // The losses, the three cells both ways, and the whole-sequence LSTM and GRU both ways.
    for kernel in [
        "losses::pointwise_loss",
        "losses::class_loss",
        "losses::loss_backward",
        "rnn_cells::lstm_cell_backward",
        "rnn_cells::gru_cell_forward",
        "rnn_cells::elman_cell_forward",
        "rnn_sequence::lstm_seq_forward",
        "rnn_sequence::gru_seq_backward",
    ] {
        assert!(
            checked.iter().any(|c| c == kernel),
            "no launch of {kernel} found in {checked:?}"
        );
    }
    assert!(checked.len() >= 13, "{checked:?}");
}

#[test]
fn every_optimizer_update_matches_its_kernel_declaration() {
    let s = ParamState::default();
    let mut updates = Vec::new();
    for (momentum, nesterov) in [(0.0, false), (0.9, false), (0.9, true)] {
        let cfg = SgdConfig {
            lr: 0.1,
            momentum,
            dampening: 0.0,
            nesterov,
            weight_decay: 0.0,
            maximize: false,
        };
        updates.push(sgd_device_update(&cfg, &s));
    }
    for (amsgrad, decoupled) in [(false, false), (true, false), (false, true), (true, true)] {
        let cfg = AdamConfig {
            lr: 1e-3,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
            amsgrad,
            decoupled,
            maximize: false,
        };
        updates.push(adam_device_update(&cfg, &s));
    }
    for (centered, momentum) in [(false, 0.0), (true, 0.0), (false, 0.9), (true, 0.9)] {
        let cfg = RmsPropConfig {
            lr: 1e-2,
            alpha: 0.99,
            eps: 1e-8,
            weight_decay: 0.0,
            momentum,
            centered,
            maximize: false,
        };
        updates.push(rmsprop_device_update(&cfg, &s));
    }
    for u in &updates {
        // The launcher passes the parameter and each state buffer as targets, the gradient as
        // the one input, then the argument struct and the element count.
        let mut launched = vec![OUT; 1 + u.buffers.len()];
        launched.extend([IN, u.args.c_type(), U64]);
        if let Err(e) = check("optim", u.kernel, &launched) {
            panic!("{}: {}", u.kernel, e.message);
        }
    }
    let mut kernels: Vec<&str> = updates.iter().map(|u| u.kernel).collect();
    kernels.sort();
    kernels.dedup();
    assert_eq!(kernels.len(), 8, "{kernels:?}");
}
