//! The CUDA kernels' parameter lists, read from their sources (`kernel_source::parse`), and
//! the check that a launch passes what its kernel declares. The driver checks nothing: an argument missing, extra or
//! out of order shifts the ones after it, and the kernel reads garbage or faults, which poisons
//! the context for the rest of the process. Checked before anything reaches the GPU instead,
//! with an error that names both lists.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::kernels::MODULES;
use crate::backend::kernel_source::parse;
use crate::{bail, Result};

/// The C type of a `float*` kernel parameter (an output or an in-place target).
pub const OUT: &str = "float*";
/// The C type of a `const float*` kernel parameter (an input).
pub const IN: &str = "const float*";
/// The C type of a 64-bit integer kernel parameter.
pub const U64: &str = "unsigned long long";

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
    check_each(module, kernel, launched.len(), |i| launched[i])
}

/// `check` for the launch `launch::launch_f32` makes: one `float*` per output, one
/// `const float*` per input, one 64-bit integer per parameter (no list built per launch).
pub fn check_outputs_inputs_params(
    module: &str,
    kernel: &str,
    (outputs, inputs, params): (usize, usize, usize),
) -> Result<()> {
    let type_at = |i: usize| match i {
        i if i < outputs => OUT,
        i if i < outputs + inputs => IN,
        _ => U64,
    };
    check_each(module, kernel, outputs + inputs + params, type_at)
}

/// `check` with the launched types given by position.
fn check_each<'a>(
    module: &str,
    kernel: &str,
    len: usize,
    type_at: impl Fn(usize) -> &'a str,
) -> Result<()> {
    let Some(declared) = declared(module, kernel) else {
        bail!(internal, "no CUDA kernel '{kernel}' in module '{module}'");
    };
    if declared.len() != len || declared.iter().enumerate().any(|(i, d)| d != type_at(i)) {
        let launched: Vec<&str> = (0..len).map(type_at).collect();
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
