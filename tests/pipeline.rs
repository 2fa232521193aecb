//! The library's streaming pipeline against the plain one-document-at-a-time
//! cleaner: the same decisions, report records and summary for every thread
//! count and batch size, unreadable records handed on in their place, and an
//! error from the caller stopping the run.

use std::fs;
use std::path::Path;

use newsdedup::clean::site::SiteCounter;
use newsdedup::pipeline::{Doc, Emitted, Pipeline, Unreadable};
use newsdedup::report::{DocumentRecord, ReportText, Summary};
use newsdedup::store::{self, IndexDir, Storage};
use newsdedup::{Cleaner, Index};

/// xorshift64: a small deterministic generator.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// Documents of the committed sample's paragraphs in a fixed pseudo-random
/// order, some cut short or with a word changed (so that the coverage stage
/// has work across batches), every 13th item unreadable, on three sites.
fn corpus(count: usize) -> Vec<Result<Doc, Unreadable>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sample");
    let mut names: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    names.sort();
    let paragraphs: Vec<String> = names
        .iter()
        .flat_map(|path| {
            let text = fs::read_to_string(path).unwrap();
            let lines: Vec<String> = text
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(str::to_string)
                .collect();
            lines
        })
        .collect();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    (0..count)
        .map(|i| {
            if i % 13 == 12 {
                return Err(Unreadable {
                    source: format!("corpus:{i}"),
                    error: "not JSON".to_string(),
                });
            }
            let text: Vec<String> = (0..1 + rng.below(7))
                .map(|_| {
                    let words: Vec<&str> =
                        paragraphs[rng.below(paragraphs.len())].split(' ').collect();
                    match rng.below(4) {
                        0 => words[..words.len() * 3 / 4].join(" "),
                        1 => {
                            let mut words = words.clone();
                            let at = rng.below(words.len());
                            words[at] = "meanwhile";
                            words.join(" ")
                        }
                        _ => words.join(" "),
                    }
                })
                .collect();
            Ok(Doc {
                id: format!("d{i}"),
                source: format!("corpus:{i}"),
                text: text.join("\n\n"),
                site: Some(format!("site{}.example", i % 3)),
                extra: (),
            })
        })
        .collect()
}

/// What a run hands on, as comparable strings: the cleaned text and report
/// record of each document, or the report record of an unreadable one.
fn run(pipeline: &Pipeline, docs: &[Result<Doc, Unreadable>]) -> (Vec<String>, Summary) {
    run_against(pipeline, &mut Index::new(), docs)
}

/// [`run`] against `index`.
fn run_against(
    pipeline: &Pipeline,
    index: &mut Index,
    docs: &[Result<Doc, Unreadable>],
) -> (Vec<String>, Summary) {
    let mut emitted = Vec::new();
    let summary = pipeline
        .run(index, docs.iter().cloned(), |item| {
            emitted.push(match item {
                Emitted::Document {
                    doc,
                    cleaned,
                    report,
                    ..
                } => format!(
                    "{} {:?} {}",
                    doc.id,
                    cleaned.text,
                    serde_json::to_string(&report).unwrap()
                ),
                Emitted::Unreadable { record, report } => {
                    format!("{record} {}", serde_json::to_string(&report).unwrap())
                }
            });
            Ok::<(), ()>(())
        })
        .unwrap();
    (emitted, summary)
}

#[test]
fn the_pipeline_decides_as_the_cleaner_alone_for_any_threads_and_batches() {
    let docs = corpus(400);
    // Dropped documents put nothing in the index: what the pool is told the
    // index knows must leave their paragraphs out.
    let dropping = Cleaner::builder()
        .drop_duplicate_docs(Some(0.5))
        .build()
        .unwrap();
    for cleaner in [Cleaner::new(), dropping] {
        decides_as_the_cleaner_alone(&cleaner, &docs);
    }
}

fn decides_as_the_cleaner_alone(cleaner: &Cleaner, docs: &[Result<Doc, Unreadable>]) {
    // The reference: one document at a time, in order, on this thread.
    let mut index = Index::new();
    let mut expected = Vec::new();
    let mut summary = Summary::default();
    for item in docs {
        match item {
            Ok(doc) => {
                let cleaned = cleaner.clean(&mut index, &doc.id, &doc.text);
                let report = DocumentRecord::with_text(
                    &cleaned,
                    &doc.text,
                    &doc.source,
                    &index,
                    ReportText::Full,
                );
                summary.add_document(&report);
                summary.records_written += u64::from(!cleaned.dropped);
                expected.push(format!(
                    "{} {:?} {}",
                    doc.id,
                    cleaned.text,
                    serde_json::to_string(&report).unwrap()
                ));
            }
            Err(bad) => {
                summary.add_skipped();
                let report =
                    newsdedup::report::SkippedRecord::new(bad.source.clone(), bad.error.clone());
                expected.push(format!("{bad} {}", serde_json::to_string(&report).unwrap()));
            }
        }
    }
    summary.set_index(&index);
    let removed: usize = expected
        .iter()
        .filter(|e| e.contains("near_duplicate"))
        .count();
    assert!(
        removed > 10,
        "the corpus has near-duplicates to find: {removed}"
    );

    for threads in [1, 2, 3] {
        for (records, bytes) in [(512, 32 << 20), (7, 2_000), (1, 1)] {
            let pipeline = Pipeline::new(cleaner, threads)
                .unwrap()
                .batches(records, bytes);
            let (emitted, got) = run(&pipeline, docs);
            assert_eq!(emitted.len(), docs.len());
            for (i, (got, want)) in emitted.iter().zip(&expected).enumerate() {
                assert_eq!(
                    got, want,
                    "item {i}, {threads} threads, batches of {records}"
                );
            }
            assert_eq!(got, summary, "{threads} threads, batches of {records}");
        }
    }
}

#[test]
fn site_boilerplate_is_learned_and_removed_as_one_thread_would() {
    let docs: Vec<Doc> = corpus(300).into_iter().filter_map(Result::ok).collect();
    let cleaner = Cleaner::new();
    let mut counter = SiteCounter::new();
    for doc in &docs {
        let normalized = cleaner.normalizer().normalize_document(&doc.text);
        counter.observe(doc.site.as_deref().unwrap(), &normalized.paragraphs);
    }
    let expected = counter.finish();
    let mut outputs = Vec::new();
    for threads in [1, 2] {
        let pipeline = Pipeline::new(&cleaner, threads)
            .unwrap()
            .batches(5, 1 << 20);
        let mut batches = 0;
        let found = pipeline.learn_sites(docs.iter().cloned(), || batches += 1);
        assert_eq!(found, expected);
        assert_eq!(batches, docs.len().div_ceil(5));
        let pipeline = pipeline.site_boilerplate(Some(found));
        outputs.push(run(&pipeline, &docs.iter().cloned().map(Ok).collect::<Vec<_>>()).0);
    }
    assert_eq!(outputs[0], outputs[1]);
    assert!(
        outputs[0]
            .iter()
            .any(|doc| doc.contains("site-boilerplate"))
    );
}

#[test]
fn runs_against_an_index_directory_decide_as_one_run() {
    let docs = corpus(600);
    let cleaner = Cleaner::new();
    let (expected, _) = run(&Pipeline::new(&cleaner, 1).unwrap(), &docs);
    let near = expected
        .iter()
        .filter(|e| e.contains("near_duplicate"))
        .count();
    assert!(near > 10, "near-duplicates across the parts: {near}");
    let tmp = tempfile::tempdir().unwrap();
    let mut emitted = Vec::new();
    // Four runs of unequal parts, on 1, 2 and 3 threads, in batches of 16
    // records, the index read in place through a cache far smaller than
    // it (the file read ahead for a batch just before it is decided),
    // whole, and in place through a cache larger than it (read ahead
    // while the batch before is decided).
    let in_place = Storage::InPlace { cache_bytes: 0 };
    for (threads, storage, part) in [
        (1, in_place, &docs[..150]),
        (2, in_place, &docs[150..300]),
        (3, Storage::Memory, &docs[300..420]),
        (
            2,
            Storage::InPlace {
                cache_bytes: 1 << 30,
            },
            &docs[420..],
        ),
    ] {
        let mut dir = IndexDir::open(tmp.path(), store::settings(&cleaner)).unwrap();
        let (mut index, sites) = dir.load(storage).unwrap();
        let pipeline = Pipeline::new(&cleaner, threads)
            .unwrap()
            .batches(16, 1 << 20);
        emitted.extend(run_against(&pipeline, &mut index, part).0);
        assert!(index.read_error().is_none());
        dir.commit(&index, &sites).unwrap();
    }
    assert_eq!(emitted.len(), expected.len());
    for (i, (got, want)) in emitted.iter().zip(&expected).enumerate() {
        assert_eq!(got, want, "item {i}");
    }
    let (header, bytes) = store::read_header(tmp.path()).unwrap().unwrap();
    assert_eq!(header.runs, 4);
    assert_eq!(header.documents as usize, docs.iter().flatten().count());
    assert!(bytes > 10_000, "{bytes} bytes");
}

#[test]
fn site_counts_kept_in_an_index_directory_add_up_to_one_run_s() {
    let docs: Vec<Doc> = corpus(300).into_iter().filter_map(Result::ok).collect();
    let cleaner = Cleaner::new();
    let pipeline = Pipeline::new(&cleaner, 2).unwrap();
    let expected = pipeline.learn_sites(docs.iter().cloned(), || {});
    assert!(!expected.is_empty());
    let tmp = tempfile::tempdir().unwrap();
    for part in docs.chunks(70) {
        let mut dir = IndexDir::open(tmp.path(), store::settings(&cleaner)).unwrap();
        let (index, mut sites) = dir.load(Storage::Memory).unwrap();
        pipeline.count_sites(&mut sites, part.iter().cloned(), || {});
        dir.commit(&index, &sites).unwrap();
    }
    let dir = IndexDir::open(tmp.path(), store::settings(&cleaner)).unwrap();
    assert_eq!(dir.load(Storage::Memory).unwrap().1.finish(), expected);
}

#[test]
fn an_error_from_the_caller_stops_the_run() {
    let docs = corpus(200);
    let cleaner = Cleaner::new();
    for threads in [1, 2] {
        let pipeline = Pipeline::new(&cleaner, threads)
            .unwrap()
            .batches(4, 1 << 20);
        let mut seen = Vec::new();
        let result = pipeline.run(&mut Index::new(), docs.iter().cloned(), |item| {
            match item {
                Emitted::Document { doc, .. } => seen.push(doc.id),
                Emitted::Unreadable { record, .. } => return Err(record.to_string()),
            }
            Ok(())
        });
        assert_eq!(result.unwrap_err(), "corpus:12: not JSON");
        assert_eq!(seen.len(), 12, "{threads} threads: nothing after the error");
    }
}

#[test]
fn each_document_alone_is_cleaned_as_with_a_fresh_index() {
    let docs: Vec<Doc> = corpus(120).into_iter().filter_map(Result::ok).collect();
    let cleaner = Cleaner::new();
    let expected: Vec<(String, usize)> = docs
        .iter()
        .map(|doc| {
            let cleaned = cleaner.clean(&mut Index::new(), &doc.id, &doc.text);
            (cleaned.text, cleaned.removed.len())
        })
        .collect();
    // Some document repeats a paragraph of its own, and the same texts
    // cleaned in one index would lose more: each is judged alone.
    assert!(expected.iter().any(|(_, removed)| *removed > 0));
    let mut shared = Index::new();
    let together: usize = docs
        .iter()
        .map(|doc| cleaner.clean(&mut shared, &doc.id, &doc.text).removed.len())
        .sum();
    assert!(together > expected.iter().map(|(_, removed)| removed).sum::<usize>());
    for threads in [1, 2, 3] {
        let pipeline = Pipeline::new(&cleaner, threads).unwrap();
        let got = pipeline.clean_each(&docs, |_, cleaned| {
            let removed = cleaned.removed.len();
            (cleaned.text, removed)
        });
        assert_eq!(got, expected, "{threads} threads");
    }
}

#[test]
fn a_panic_while_reading_or_writing_reaches_the_caller() {
    let docs = corpus(200);
    let cleaner = Cleaner::new();
    for threads in [1, 2, 3] {
        let pipeline = Pipeline::new(&cleaner, threads)
            .unwrap()
            .batches(4, 1 << 20);
        // The reader's iterator panics at the 50th record.
        let reading = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let items = docs.iter().cloned().enumerate().map(|(i, item)| {
                assert!(i != 50, "reading failed");
                item
            });
            pipeline.run(&mut Index::new(), items, |_| Ok::<(), ()>(()))
        }));
        let message = reading.unwrap_err();
        assert_eq!(
            message.downcast_ref::<&str>(),
            Some(&"reading failed"),
            "{threads} threads"
        );
        // The callback panics at the 30th record.
        let mut seen = 0;
        let writing = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            pipeline.run(&mut Index::new(), docs.iter().cloned(), |_| {
                seen += 1;
                assert!(seen != 30, "writing failed");
                Ok::<(), ()>(())
            })
        }));
        let message = writing.unwrap_err();
        assert_eq!(
            message.downcast_ref::<&str>(),
            Some(&"writing failed"),
            "{threads} threads"
        );
        assert_eq!(seen, 30, "{threads} threads: nothing after the panic");
    }
}
