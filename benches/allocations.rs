//! Heap allocations per document and per paragraph, stage by stage: the
//! figure the "no per-paragraph allocation on the hot path" work is
//! measured by. Counts, not times, so they are exact and the same on every
//! run of the same build.
//!
//! Corpus: the Reuters-21578 bodies in `../shared/data/reuters21578.jsonl`
//! when present, else the committed sample articles. The stages run as the
//! pipeline runs them, one document at a time against one index:
//! normalization alone, then analysis (normalization, hashes, sketches),
//! decision, and the report record.
//!
//! Run: `cargo bench --bench allocations`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use newsdedup::report::{DocumentRecord, ReportText};
use newsdedup::{Cleaner, Index};

/// The system allocator, counting allocations (reallocations count: each
/// may move the block) and bytes asked for.
struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);

// SAFETY: every call is forwarded to `System` with the caller's arguments.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(layout.size() as u64, Ordering::Relaxed);
        // SAFETY: forwarded as received.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded as received.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(layout.size() as u64, Ordering::Relaxed);
        // SAFETY: forwarded as received.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(new_size as u64, Ordering::Relaxed);
        // SAFETY: forwarded as received.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations and bytes allocated while `f` runs.
fn counted<R>(f: impl FnOnce() -> R) -> (R, u64, u64) {
    let (calls, bytes) = (
        ALLOCATIONS.load(Ordering::Relaxed),
        BYTES.load(Ordering::Relaxed),
    );
    let result = f();
    (
        result,
        ALLOCATIONS.load(Ordering::Relaxed) - calls,
        BYTES.load(Ordering::Relaxed) - bytes,
    )
}

fn texts() -> (&'static str, Vec<String>) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let reuters = root.join("../shared/data/reuters21578.jsonl");
    if let Ok(data) = std::fs::read_to_string(&reuters) {
        let texts = data
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).expect("valid JSONL");
                v["text"].as_str().expect("a text field").to_string()
            })
            .collect();
        return ("reuters", texts);
    }
    println!("{} is absent: counting on the sample", reuters.display());
    let mut names: Vec<_> = std::fs::read_dir(root.join("tests/data/sample"))
        .expect("the sample ships with the repository")
        .map(|e| e.expect("readable").path())
        .collect();
    names.sort();
    let texts = names
        .iter()
        .map(|path| std::fs::read_to_string(path).expect("readable"))
        .collect();
    ("sample", texts)
}

fn main() {
    // `cargo test --benches` runs bench targets with `--bench` absent:
    // counting takes a while, so only a real bench run counts.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let (name, texts) = texts();
    let cleaner = Cleaner::new();
    let mut index = Index::new();
    let (mut paragraphs, mut bytes_in) = (0u64, 0u64);
    // (allocations, bytes) per stage.
    let mut stages = [(0u64, 0u64); 4];
    for (i, text) in texts.iter().enumerate() {
        bytes_in += text.len() as u64;
        let (normalized, calls, bytes) = counted(|| cleaner.normalizer().normalize_document(text));
        paragraphs += normalized.paragraphs.len() as u64;
        drop(normalized);
        stages[0].0 += calls;
        stages[0].1 += bytes;
        let (analysis, calls, bytes) = counted(|| cleaner.analyze(text));
        stages[1].0 += calls;
        stages[1].1 += bytes;
        let id = i.to_string();
        let (cleaned, calls, bytes) = counted(|| cleaner.decide(&mut index, &id, analysis));
        stages[2].0 += calls;
        stages[2].1 += bytes;
        let (_, calls, bytes) =
            counted(|| DocumentRecord::with_text(&cleaned, text, &id, &index, ReportText::Full));
        stages[3].0 += calls;
        stages[3].1 += bytes;
    }
    let docs = texts.len() as f64;
    println!(
        "allocations on {name}: {} documents, {paragraphs} paragraphs, {:.1} MB",
        texts.len(),
        bytes_in as f64 / 1e6
    );
    println!(
        "{:<36} {:>12} {:>14} {:>16}",
        "stage", "per document", "per paragraph", "bytes per byte in"
    );
    let names = [
        "normalize_document",
        "analyze (normalize, hash, sketch)",
        "decide (index, coverage)",
        "report record",
    ];
    for (stage, (calls, bytes)) in names.iter().zip(stages) {
        println!(
            "{stage:<36} {:>12.1} {:>14.2} {:>16.2}",
            calls as f64 / docs,
            calls as f64 / paragraphs as f64,
            bytes as f64 / bytes_in as f64
        );
    }
}
