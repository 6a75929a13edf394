//! Every kernel in seqtorch-core's CUDA sources is exercised by a test of this crate: a new
//! kernel without a host check fails here.

use std::fs;
use std::path::Path;

use seqtorch_core::backend::kernel_source::parse;

#[test]
fn every_kernel_has_a_host_test() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let kernels = root.join("../core/src/backend/cuda/kernels");
    let tests: String = fs::read_dir(root.join("tests"))
        .expect("tests dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "rs") && !p.ends_with("coverage.rs"))
        .map(|p| fs::read_to_string(p).expect("test source"))
        .collect();
    let mut names = Vec::new();
    for entry in fs::read_dir(&kernels).expect("kernel sources") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|x| x != "cu") {
            continue;
        }
        let src = fs::read_to_string(&path).expect("kernel source");
        names.extend(parse(&src).into_iter().map(|(name, _)| name));
    }
    assert!(names.len() >= 20, "found only {names:?}");
    let untested: Vec<&String> = names
        .iter()
        .filter(|n| !tests.contains(&format!("k::{n}(")))
        .collect();
    assert!(
        untested.is_empty(),
        "kernels without a host test: {untested:?}"
    );
}
