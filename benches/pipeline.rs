//! Throughput of the stages and of end-to-end cleaning, in bytes of input.
//!
//! Corpus: the Reuters-21578 bodies in `../shared/data/reuters21578.jsonl`
//! (19,043 real 1987 newswire articles, 16 MB; see `../shared/data/README.md`)
//! when present, else a corpus generated from the committed sample articles
//! with exact repeats within and across documents. The normalizer is also
//! measured on the 91 whole news pages of `../shared/data/aeb-dev.jsonl`
//! (0.8 MB), in article and in page mode, when present.
//!
//! Run: `cargo bench --bench pipeline`. Names read `stage/config/corpus`;
//! all run on one core.

use std::collections::HashSet;
use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use newsdedup::normalize::{clean_text, matching_key, word_cases};
use newsdedup::shingle::paragraph_hash;
use newsdedup::{Cleaner, Index, Mode, Normalizer, RemovalKind};

struct Corpus {
    name: &'static str,
    texts: Vec<String>,
}

impl Corpus {
    fn bytes(&self) -> u64 {
        self.texts.iter().map(|t| t.len() as u64).sum()
    }
}

/// The whole pages of the boilerplate benchmark, if present.
fn load_pages() -> Option<Corpus> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let path = root.join("../shared/data/aeb-dev.jsonl");
    let Ok(data) = std::fs::read_to_string(&path) else {
        println!("{} is absent: no page benchmarks", path.display());
        return None;
    };
    Some(Corpus {
        name: "aeb-pages",
        texts: texts_of(&data),
    })
}

/// The `text` field of every line of a JSONL file.
fn texts_of(jsonl: &str) -> Vec<String> {
    jsonl
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("valid JSONL");
            v["text"].as_str().expect("a text field").to_string()
        })
        .collect()
}

fn load() -> Corpus {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let reuters = root.join("../shared/data/reuters21578.jsonl");
    if let Ok(data) = std::fs::read_to_string(&reuters) {
        return Corpus {
            name: "reuters",
            texts: texts_of(&data),
        };
    }
    println!(
        "{} is absent: benchmarking a generated corpus",
        reuters.display()
    );
    let mut paragraphs = Vec::new();
    let mut names: Vec<_> = std::fs::read_dir(root.join("tests/data/sample"))
        .expect("the sample ships with the repository")
        .map(|e| e.expect("readable").path())
        .collect();
    names.sort();
    for path in names {
        let text = std::fs::read_to_string(path).expect("readable");
        paragraphs.extend(
            text.lines()
                .filter(|l| !l.trim().is_empty())
                .map(str::to_string),
        );
    }
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    let texts = (0..20_000)
        .map(|i| {
            let count = 2 + next(10);
            let mut text: Vec<String> = (0..count)
                .map(|_| paragraphs[next(paragraphs.len())].clone())
                .collect();
            // Make most paragraphs distinct, as in real news.
            for p in text.iter_mut().skip(1) {
                if next(4) != 0 {
                    p.push_str(&format!(" (item {i}-{})", next(1000)));
                }
            }
            text.join("\n")
        })
        .collect();
    Corpus {
        name: "generated",
        texts,
    }
}

fn benches(c: &mut Criterion) {
    let corpus = load();
    let bytes = corpus.bytes();
    let cleaner = Cleaner::new();

    // Known results, computed independently: the byte-identical repeated
    // bodies must all be reported as repeated documents.
    let mut seen = HashSet::new();
    let identical_repeats = corpus
        .texts
        .iter()
        .filter(|t| !seen.insert(t.as_str()))
        .count();

    let mut group = c.benchmark_group("normalize");
    group.sample_size(10);
    let pages = load_pages();
    for corpus in std::iter::once(&corpus).chain(pages.as_ref()) {
        group.throughput(Throughput::Bytes(corpus.bytes()));
        for mode in [Mode::Article, Mode::Page] {
            let normalizer = Normalizer::builder()
                .mode(mode)
                .build()
                .expect("valid settings");
            let name = format!("{}/{}", mode.as_str(), corpus.name);
            group.bench_function(name, |b| {
                b.iter(|| {
                    let mut kept = 0;
                    for text in &corpus.texts {
                        kept += normalizer
                            .normalize_document(black_box(text))
                            .paragraphs
                            .iter()
                            .filter(|p| !p.is_removed())
                            .count();
                    }
                    assert!(kept >= corpus.texts.len() / 2);
                    kept
                })
            });
        }
    }
    group.finish();

    let keys: Vec<String> = corpus
        .texts
        .iter()
        .flat_map(|t| t.split("\n    ").map(matching_key).collect::<Vec<_>>())
        .collect();
    let key_bytes: u64 = keys.iter().map(|k| k.len() as u64).sum();
    let mut group = c.benchmark_group("hash");
    group.throughput(Throughput::Bytes(key_bytes));
    group.bench_function(format!("xxh3-keys/{}", corpus.name), |b| {
        b.iter(|| {
            keys.iter()
                .fold(0u64, |acc, k| acc ^ paragraph_hash(black_box(k)))
        })
    });
    group.finish();

    // Sketches (tokens, shingles, winnowed fingerprints) of every paragraph.
    let texts: Vec<String> = corpus
        .texts
        .iter()
        .flat_map(|t| {
            t.split("\n    ")
                .map(|p| clean_text(p).into_owned())
                .collect::<Vec<_>>()
        })
        .collect();
    let near = cleaner
        .near_settings()
        .expect("near stage on by default")
        .clone();
    let mut group = c.benchmark_group("shingle");
    group.throughput(Throughput::Bytes(key_bytes));
    group.bench_function(
        format!("sketch-{}/{}", near.shingle_words, corpus.name),
        |b| {
            b.iter(|| {
                let mut fingerprints = 0;
                for (text, key) in texts.iter().zip(&keys) {
                    if let Some(sketch) = cleaner.sketch(black_box(text), black_box(key)) {
                        assert!(sketch.fingerprints().len() <= sketch.tokens().len().max(1));
                        fingerprints += sketch.fingerprints().len();
                    }
                }
                assert!(fingerprints >= keys.len() / 2);
                fingerprints
            })
        },
    );
    // The word cases a sketch takes from the text (a pass of its own).
    let text_bytes: u64 = texts.iter().map(|t| t.len() as u64).sum();
    group.throughput(Throughput::Bytes(text_bytes));
    group.bench_function(format!("word-cases/{}", corpus.name), |b| {
        let mut cases = Vec::new();
        b.iter(|| {
            let mut words = 0;
            for text in &texts {
                word_cases(black_box(text), &mut cases);
                words += cases.len();
            }
            assert!(words >= texts.len());
            words
        })
    });
    group.finish();

    let exact_only = Cleaner::builder()
        .near_duplicates(false)
        .build()
        .expect("valid settings");
    let mut group = c.benchmark_group("clean");
    group.throughput(Throughput::Bytes(bytes));
    group.sample_size(10);
    for (name, cleaner) in [("exact", &exact_only), ("near", &cleaner)] {
        group.bench_function(format!("{name}/{}", corpus.name), |b| {
            b.iter(|| {
                let mut index = Index::new();
                let mut repeated = 0;
                let mut near_removed = 0;
                let mut removed = 0;
                for (i, text) in corpus.texts.iter().enumerate() {
                    let cleaned = cleaner.clean(&mut index, &i.to_string(), black_box(text));
                    repeated += usize::from(cleaned.duplicate_document_of.is_some());
                    near_removed += cleaned
                        .removed
                        .iter()
                        .filter(|r| r.kind == RemovalKind::NearDuplicate)
                        .count();
                    removed += cleaned.removed.len();
                }
                assert!(
                    repeated >= identical_repeats,
                    "{repeated} < {identical_repeats}"
                );
                assert!(removed > 0);
                assert_eq!(
                    near_removed > 0,
                    name == "near",
                    "near-duplicates found only with the near stage"
                );
                removed
            })
        });
    }
    group.finish();

    // The library's streaming pipeline, near stage on, report records built.
    #[cfg(feature = "parallel")]
    {
        use newsdedup::pipeline::{Doc, Emitted, Pipeline};
        let docs: Vec<Doc> = corpus
            .texts
            .iter()
            .enumerate()
            .map(|(i, text)| Doc::new(i.to_string(), text.clone()))
            .collect();
        let mut group = c.benchmark_group("pipeline");
        group.throughput(Throughput::Bytes(bytes));
        group.sample_size(10);
        for threads in [1, 2] {
            let pipeline = Pipeline::new(&cleaner, threads).expect("a thread pool");
            group.bench_function(format!("near-t{threads}/{}", corpus.name), |b| {
                b.iter(|| {
                    let mut kept = 0;
                    let summary = pipeline
                        .run(&mut Index::new(), docs.iter().cloned().map(Ok), |emitted| {
                            if let Emitted::Document { cleaned, .. } = emitted {
                                kept += cleaned.text.len();
                            }
                            Ok::<(), ()>(())
                        })
                        .expect("the callback does not fail");
                    assert_eq!(summary.records_in as usize, docs.len());
                    kept
                })
            });
        }
        group.finish();
    }
}

criterion_group!(pipeline, benches);
criterion_main!(pipeline);
