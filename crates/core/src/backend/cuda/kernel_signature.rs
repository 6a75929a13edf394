//! The CUDA kernels' parameter lists, read from their sources, and the check that a launch
//! passes what its kernel declares. The driver checks nothing: an argument missing, extra or
//! out of order shifts the ones after it, and the kernel reads garbage or faults, which poisons
//! the context for the rest of the process. Checked before anything reaches the GPU instead,
//! with an error that names both lists.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::kernels::MODULES;
use crate::{bail, Result};

/// The C type of a `float*` kernel parameter (an output or an in-place target).
pub const OUT: &str = "float*";
/// The C type of a `const float*` kernel parameter (an input).
pub const IN: &str = "const float*";
/// The C type of a 64-bit integer kernel parameter.
pub const U64: &str = "unsigned long long";

/// Every `__global__` kernel of `src`, with its parameters' C types in order (names dropped,
/// spacing normalised: `const float *x` is `const float*`).
pub fn parse(src: &str) -> Vec<(String, Vec<String>)> {
    let code = without_comments(src);
    let mut kernels = Vec::new();
    for decl in code.split("__global__").skip(1) {
        let Some(rest) = decl.trim_start().strip_prefix("void") else {
            continue;
        };
        let mut rest = rest.trim_start();
        if let Some(bounds) = rest.strip_prefix("__launch_bounds__") {
            let Some((_, after)) = bounds.split_once(')') else {
                continue;
            };
            rest = after.trim_start();
        }
        let Some((name, after)) = rest.split_once('(') else {
            continue;
        };
        let Some((params, _)) = after.split_once(')') else {
            continue;
        };
        let types = params
            .split(',')
            .map(param_type)
            .filter(|t| !t.is_empty() && t != "void")
            .collect();
        kernels.push((name.trim().to_string(), types));
    }
    kernels
}

/// `src` with `//` and `/* */` comments blanked out.
fn without_comments(src: &str) -> String {
    let mut out = String::with_capacity(src.len());
    let mut rest = src;
    loop {
        let line = rest.find("//");
        let block = rest.find("/*");
        let (start, end_marker) = match (line, block) {
            (Some(l), Some(b)) if b < l => (b, "*/"),
            (Some(l), _) => (l, "\n"),
            (None, Some(b)) => (b, "*/"),
            (None, None) => {
                out.push_str(rest);
                return out;
            }
        };
        out.push_str(&rest[..start]);
        out.push(' ');
        match rest[start + 2..].find(end_marker) {
            Some(e) => rest = &rest[start + 2 + e + end_marker.len()..],
            None => return out,
        }
    }
}

/// One parameter's type: the declaration without its name and `__restrict__`.
fn param_type(param: &str) -> String {
    let spaced = param.replace("__restrict__", " ").replace('*', " * ");
    let mut words: Vec<&str> = spaced.split_whitespace().collect();
    // The last word is the parameter's name, unless the declaration is a bare type.
    if words.len() > 1 && words.last().is_some_and(|w| *w != "*") {
        words.pop();
    }
    words.join(" ").replace(" *", "*")
}

/// The declared parameter types of `module::kernel`, or None where there is no such kernel.
pub fn declared(module: &str, kernel: &str) -> Option<&'static [String]> {
    type Table = HashMap<&'static str, HashMap<String, Vec<String>>>;
    static TABLE: OnceLock<Table> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        MODULES
            .iter()
            .map(|(module, src)| (*module, parse(src).into_iter().collect()))
            .collect()
    });
    table.get(module)?.get(kernel).map(Vec::as_slice)
}

/// Fails unless `module::kernel` exists and declares exactly the parameter types `launched`.
pub fn check(module: &str, kernel: &str, launched: &[&str]) -> Result<()> {
    let Some(declared) = declared(module, kernel) else {
        bail!(internal, "no CUDA kernel '{kernel}' in module '{module}'");
    };
    if declared.len() != launched.len() || declared.iter().zip(launched).any(|(d, l)| d != l) {
        bail!(
            internal,
            "{module}.cu declares {kernel}({}) but it is launched with ({})",
            declared.join(", "),
            launched.join(", ")
        );
    }
    Ok(())
}

/// What `launch::launch_f32` passes: one `float*` per output, one `const float*` per input,
/// one 64-bit integer per parameter.
pub fn outputs_inputs_params(outputs: usize, inputs: usize, params: usize) -> Vec<&'static str> {
    let mut types = vec![OUT; outputs];
    types.extend(std::iter::repeat_n(IN, inputs));
    types.extend(std::iter::repeat_n(U64, params));
    types
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_parameter_types_past_bounds_comments_and_spacing() {
        let src = r#"
            // __global__ void commented_out(int x)
            /* __global__ void also_commented(int y) */
            extern "C" __global__ void __launch_bounds__(1024) k1(float* out, const float *a,
                const float* __restrict__ b, unsigned long long n) {}
            extern "C" __global__ void k2(float* p, AdamArgs args, unsigned long long n) {}
            __device__ float helper(float x) { return x; }
        "#;
        let kernels = parse(src);
        let names: Vec<&str> = kernels.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["k1", "k2"]);
        assert_eq!(kernels[0].1, [OUT, IN, IN, U64]);
        assert_eq!(kernels[1].1, [OUT, "AdamArgs", U64]);
    }

    #[test]
    fn a_launch_that_differs_from_the_declaration_is_refused() {
        // lstm_cell_forward(h, c, act, gi, gh, c_prev, rows, hidden).
        let ok = outputs_inputs_params(3, 3, 2);
        check("rnn_cells", "lstm_cell_forward", &ok).expect("matching launch");
        for (outs, ins, params) in [(2, 3, 2), (3, 4, 2), (3, 3, 3), (4, 2, 2)] {
            let launched = outputs_inputs_params(outs, ins, params);
            let e = check("rnn_cells", "lstm_cell_forward", &launched).unwrap_err();
            assert!(
                e.message.contains("declares lstm_cell_forward("),
                "{}",
                e.message
            );
        }
        let e = check("rnn_cells", "no_such_kernel", &ok).unwrap_err();
        assert!(
            e.message.contains("no CUDA kernel 'no_such_kernel'"),
            "{}",
            e.message
        );
        assert!(check("no_such_module", "lstm_cell_forward", &ok).is_err());
    }

    #[test]
    fn every_module_declares_its_kernels() {
        for (module, src) in MODULES {
            let kernels = parse(src);
            assert!(!kernels.is_empty(), "{module}: no kernels found");
            assert_eq!(
                kernels.len(),
                src.matches("__global__").count(),
                "{module}: a kernel was not parsed"
            );
            for (name, params) in &kernels {
                assert!(!params.is_empty(), "{module}::{name}: no parameters");
                assert!(declared(module, name).is_some());
            }
        }
    }
}
