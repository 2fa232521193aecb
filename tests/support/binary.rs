//! Helpers for the tests that drive the built binary (`cli.rs`,
//! `hostile.rs`); included by path, since they need the binary.

#![allow(dead_code)]

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use newsdedup::report::{DocumentRecord, Record, Summary};

pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_newsdedup"))
}

pub fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// `../shared/<path>`, or `None` (and a message that the test skips) when
/// it is absent; under CI (`CI` set) an absent file fails the test.
pub fn shared(path: &str) -> Option<PathBuf> {
    let p = repo("../shared").join(path);
    if p.exists() {
        return Some(p);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{} is missing (CI needs ../shared)",
        p.display()
    );
    println!("skipped: {} is absent", p.display());
    None
}

pub fn run(args: Vec<OsString>) -> Output {
    let out = bin().args(&args).output().expect("the binary runs");
    assert!(
        !stderr(&out).contains("panicked"),
        "a panic: {}",
        stderr(&out)
    );
    out
}

pub fn run_ok(args: Vec<OsString>) -> Output {
    let out = run(args.clone());
    assert!(
        out.status.success(),
        "newsdedup {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Command-line arguments from any mix of `&str` and paths; `clean` first.
macro_rules! args {
    ($($a:expr),* $(,)?) => { vec![std::ffi::OsString::from("clean"), $(std::ffi::OsString::from(&$a)),*] };
}

pub fn read_report(path: &Path) -> Vec<Record> {
    fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad report line {l}: {e}")))
        .collect()
}

pub fn documents(report: &[Record]) -> Vec<&DocumentRecord> {
    report
        .iter()
        .filter_map(|r| match r {
            Record::Document(d) => Some(d),
            _ => None,
        })
        .collect()
}

pub fn summary(report: &[Record]) -> &Summary {
    match report.last() {
        Some(Record::Summary(s)) => s,
        other => panic!("last record is not a summary: {other:?}"),
    }
}

/// (kind, rule, text) of each removal.
pub fn removals(doc: &DocumentRecord) -> Vec<(String, String, String)> {
    doc.removed
        .iter()
        .map(|r| {
            (
                r.kind.as_str().to_string(),
                r.rule.as_deref().unwrap_or_default().to_string(),
                r.text.clone(),
            )
        })
        .collect()
}

/// Checks what every report must satisfy against the inputs: each removal's
/// text is the input at its offsets, removals are sorted and disjoint, and
/// the byte counts add up.
pub fn check_accounting(doc: &DocumentRecord, input: &str) {
    let mut last_end = 0;
    for r in &doc.removed {
        assert!(
            r.start >= last_end && r.start <= r.end && r.end <= input.len(),
            "{doc:?}"
        );
        assert_eq!(&input[r.start..r.end], r.text, "removal text of {}", doc.id);
        last_end = r.end;
    }
    assert_eq!(doc.bytes_in, input.len());
    assert_eq!(
        doc.bytes_removed,
        doc.removed.iter().map(|r| r.end - r.start).sum::<usize>()
    );
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Asserts that a run failed with exit status 1 and said `message`.
pub fn assert_fails_with(out: &Output, message: &str) {
    assert_eq!(out.status.code(), Some(1), "{}", stderr(out));
    assert!(
        stderr(out).contains(message),
        "{message:?} not in {}",
        stderr(out)
    );
}

/// A corpus with exact repeats within and across documents, from the sample
/// paragraphs in a fixed pseudo-random order.
pub fn generated_corpus(path: &Path, docs: usize) {
    let mut paragraphs = Vec::new();
    for entry in fs::read_dir(repo("tests/data/sample")).unwrap() {
        let text = fs::read_to_string(entry.unwrap().path()).unwrap();
        paragraphs.extend(
            text.lines()
                .filter(|l| !l.trim().is_empty())
                .map(str::to_string),
        );
    }
    paragraphs.sort();
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    let mut out = String::new();
    for i in 0..docs {
        let count = 1 + next(8);
        let text: Vec<&str> = (0..count)
            .map(|_| paragraphs[next(paragraphs.len())].as_str())
            .collect();
        out.push_str(
            &serde_json::to_string(
                &serde_json::json!({"id": format!("g{i}"), "text": text.join("\n")}),
            )
            .unwrap(),
        );
        out.push('\n');
    }
    fs::write(path, out).unwrap();
}
