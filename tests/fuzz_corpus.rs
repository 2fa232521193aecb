//! Replays the committed fuzz corpus (`fuzz/corpus/<target>/`) through the
//! same invariant checks the fuzz targets run, on the stable toolchain, so
//! CI checks them without a fuzzer. Crashes found by fuzzing are added to
//! the corpus and so become regression tests here.

mod support;

use arbitrary::{Arbitrary, Unstructured};
use support::invariants::*;

fn replay<T: for<'a> Arbitrary<'a>>(target: &str, check: fn(&T)) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{} holds no inputs", dir.display());
    for path in files {
        let bytes = std::fs::read(&path).unwrap();
        if let Ok(input) = T::arbitrary_take_rest(Unstructured::new(&bytes)) {
            check(&input);
        }
    }
}

#[test]
fn normalize_corpus() {
    replay("normalize", check_normalize);
}

#[test]
fn split_corpus() {
    replay("split", check_split);
}

#[test]
fn shingle_corpus() {
    replay("shingle", check_shingle);
}

#[test]
fn clean_corpus() {
    replay("clean", check_clean);
}

#[test]
fn jsonl_corpus() {
    replay("jsonl", check_jsonl);
}
