//! Reading the CUDA kernel sources as text: each `__global__` kernel's name and parameter
//! types. Pure parsing, defined whether or not CUDA is compiled in, so the host kernel check's
//! coverage test and the CUDA launcher's argument check read the sources the same way.

/// Every `__global__` kernel of `src`, with its parameters' C types in order (names dropped,
/// spacing normalised: `const float *x` is `const float*`).
pub fn parse(src: &str) -> Vec<(String, Vec<String>)> {
    let code = without_comments(src);
    let mut kernels = Vec::new();
    // The text after each `__global__` starts with that kernel's declaration.
    for (at, keyword) in code.match_indices("__global__") {
        let decl = &code[at + keyword.len()..];
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
        assert_eq!(
            kernels[0].1,
            [
                "float*",
                "const float*",
                "const float*",
                "unsigned long long"
            ]
        );
        assert_eq!(kernels[1].1, ["float*", "AdamArgs", "unsigned long long"]);
    }
}
