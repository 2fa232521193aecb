//! Invariants of every stage, shared by the fuzz targets (`fuzz/`) and the
//! stable tests that replay the committed fuzz corpus (`tests/fuzz_corpus.rs`).
//! Each input type covers the stage's builder settings.

#![allow(dead_code)]

use arbitrary::Arbitrary;
use newsdedup::clean::site::{SITE_RULE, SiteCounter};
use newsdedup::jsonl::{parse_record, write_record};
use newsdedup::normalize::{clean_text, default_rules, is_ignorable, matching_key};
use newsdedup::paragraph::split;
use newsdedup::shingle::tokens::{is_unspaced_key, shingles_into, winnow_into};
use newsdedup::{Cleaner, Index, Mode, Normalizer};

/// Normalizer settings and a document.
#[derive(Debug, Arbitrary)]
pub struct NormalizeInput {
    pub text: String,
    pub remove_links: bool,
    /// Indices (mod the number of default rules) of rules to disable.
    pub disable: Vec<u8>,
    /// Page mode instead of article mode.
    pub page: bool,
    pub keep_headline: bool,
}

pub fn check_normalize(input: &NormalizeInput) {
    let defaults = default_rules();
    let mode = if input.page {
        Mode::Page
    } else {
        Mode::Article
    };
    let mut builder = Normalizer::builder()
        .remove_links(input.remove_links)
        .mode(mode)
        .keep_headline(input.keep_headline);
    let mut disabled = std::collections::HashSet::new();
    for &i in &input.disable {
        let id = &defaults[usize::from(i) % defaults.len()].id;
        if disabled.insert(id.clone()) {
            builder = builder.disable_rule(id);
        }
    }
    let normalizer = builder.build().expect("disabling existing rules is valid");
    let text = &input.text;
    let doc = normalizer.normalize_document(text);
    let mut last_end = 0;
    for p in &doc.paragraphs {
        assert!(p.span.start >= last_end && p.span.end <= text.len());
        assert!(text.is_char_boundary(p.span.start) && text.is_char_boundary(p.span.end));
        last_end = p.span.end;
        let Some(kept) = p.kept() else {
            let removal = p.removal().expect("a paragraph not kept is removed");
            assert_eq!(removal.span, p.span, "a whole removal covers its paragraph");
            continue;
        };
        let mut cut_end = p.span.start;
        for cut in &kept.cuts {
            assert!(
                cut.span.start >= cut_end && cut.span.end <= p.span.end,
                "{cut:?} in {:?}",
                p.span
            );
            cut_end = cut.span.end;
        }
        assert_eq!(
            clean_text(&kept.text),
            kept.text.as_str(),
            "output text is clean"
        );
        assert_eq!(
            matching_key(&kept.text),
            kept.key,
            "the key is the text's key"
        );
        assert_eq!(matching_key(&kept.key), kept.key, "keys are idempotent");
        assert!(!kept.key.is_empty(), "a kept paragraph has a key");
    }
    let once = clean_text(text).into_owned();
    assert_eq!(clean_text(&once), once.as_str(), "clean-up is idempotent");
}

/// A document for the paragraph splitter.
#[derive(Debug, Arbitrary)]
pub struct SplitInput {
    pub text: String,
}

pub fn check_split(input: &SplitInput) {
    let text = &input.text;
    let paragraphs = split(text);
    let mut at = 0;
    for span in &paragraphs.spans {
        assert!(
            span.start >= at && span.start < span.end && span.end <= text.len(),
            "{span:?}"
        );
        assert!(text.is_char_boundary(span.start) && text.is_char_boundary(span.end));
        assert!(
            text[at..span.start].chars().all(is_ignorable),
            "separators are blank"
        );
        let body = span.slice(text);
        assert!(
            !body.starts_with(is_ignorable) && !body.ends_with(is_ignorable),
            "{body:?}"
        );
        at = span.end;
    }
    assert!(text[at..].chars().all(is_ignorable));
}

/// Shingle width, winnowing window and a text.
#[derive(Debug, Arbitrary)]
pub struct ShingleInput {
    pub a: String,
    pub b: String,
    pub words: u8,
    pub chars: u8,
    pub window: u8,
}

pub fn check_shingle(input: &ShingleInput) {
    let Ok(cleaner) = Cleaner::builder()
        .shingle_words(usize::from(input.words % 12))
        .build()
    else {
        return;
    };
    for text in [&input.a, &input.b] {
        let clean = clean_text(text);
        let key = matching_key(&clean);
        let Some(sketch) = cleaner.sketch(&clean, &key) else {
            assert!(key.is_empty(), "only an empty key has no sketch");
            continue;
        };
        let units = if is_unspaced_key(&key) {
            key.chars().filter(|c| *c != ' ').count()
        } else {
            key.split(' ').count()
        };
        assert_eq!(sketch.tokens().len(), units, "one token per word");
        let shingles = sketch.shingles();
        for set in [&shingles[..], sketch.fingerprints()] {
            assert!(set.windows(2).all(|w| w[0] < w[1]), "sorted and distinct");
        }
        assert!(
            sketch
                .fingerprints()
                .iter()
                .all(|f| shingles.binary_search(f).is_ok()),
            "fingerprints are shingles"
        );
        assert_eq!(
            cleaner.sketch(&clean, &key),
            Some(sketch.clone()),
            "deterministic"
        );
        // Case only moves name flags: shingles and fingerprints stay.
        let upper = cleaner
            .sketch(&clean.to_uppercase(), &key)
            .expect("same key");
        assert_eq!(upper.shingles(), sketch.shingles());
        assert_eq!(upper.fingerprints(), sketch.fingerprints());
        // Winnowing: every window of consecutive shingles holds a
        // fingerprint.
        let window = usize::from(input.window % 9).max(1);
        let mut positions = Vec::new();
        shingles_into(sketch.tokens(), sketch.width(), &mut positions);
        let mut fingerprints = Vec::new();
        winnow_into(&positions, window, &mut fingerprints);
        for w in positions.windows(window) {
            assert!(w.iter().any(|h| fingerprints.binary_search(h).is_ok()));
        }
    }
}

/// Cleaner settings and a small corpus.
#[derive(Debug, Arbitrary)]
pub struct CleanInput {
    pub docs: Vec<String>,
    pub short_words: u8,
    pub near: bool,
    pub coverage: u8,
    pub candidate: u8,
    pub shingle_words: u8,
    pub drop: Option<u8>,
    /// Learn site boilerplate first (documents alternate between two sites).
    pub sites: bool,
}

impl CleanInput {
    fn cleaner(&self) -> Option<Cleaner> {
        let fraction = |b: u8| f64::from(b) / 255.0;
        Cleaner::builder()
            .short_paragraph_words(usize::from(self.short_words % 16))
            .near_duplicates(self.near)
            .coverage(fraction(self.coverage))
            .candidate_coverage(fraction(self.candidate))
            .shingle_words(usize::from(self.shingle_words % 8))
            .drop_duplicate_docs(self.drop.map(fraction))
            .build()
            .ok()
    }
}

pub fn check_clean(input: &CleanInput) {
    let Some(cleaner) = input.cleaner() else {
        return;
    };
    let mut index = Index::new();
    let mut cleaned_corpus = Vec::new();
    for (i, doc) in input.docs.iter().enumerate() {
        let cleaned = cleaner.clean(&mut index, &i.to_string(), doc);
        if let Err(e) = cleaned.verify(doc) {
            panic!("document {i}: {e}");
        }
        let removed: usize = cleaned.removed.iter().map(|r| r.span.len()).sum();
        assert!(removed <= doc.len());
        assert!((0.0..=1.0).contains(&cleaned.duplicate_fraction));
        if !cleaned.dropped {
            cleaned_corpus.push(cleaned.text.clone());
        }
    }
    if input.sites {
        check_site_boilerplate(&cleaner, &input.docs);
    }
    // The same corpus in a second index decides the same.
    let mut again = Index::new();
    let mut twice = Vec::new();
    for (i, doc) in input.docs.iter().enumerate() {
        let cleaned = cleaner.clean(&mut again, &i.to_string(), doc);
        if !cleaned.dropped {
            twice.push(cleaned.text);
        }
    }
    assert_eq!(cleaned_corpus, twice, "deterministic");
    // A cleaned corpus cleaned again loses nothing more.
    let mut third = Index::new();
    for (i, doc) in cleaned_corpus.iter().enumerate() {
        let again = cleaner.clean(&mut third, &i.to_string(), doc);
        assert!(
            again.removed.is_empty(),
            "cleaned document {i} lost {:?}",
            again.removed
        );
        assert_eq!(&again.text, doc, "cleaned document {i} changed");
    }
}

/// Site boilerplate removed before the duplicate stages keeps every
/// removal accounted for, and removes only lines of the site it was learnt
/// on.
fn check_site_boilerplate(cleaner: &Cleaner, docs: &[String]) {
    let site = |i: usize| if i.is_multiple_of(2) { "even" } else { "odd" };
    let mut counter = SiteCounter::new();
    for (i, doc) in docs.iter().enumerate() {
        counter.observe(
            site(i),
            &cleaner.normalizer().normalize_document(doc).paragraphs,
        );
    }
    let found = counter.finish();
    let mut index = Index::new();
    for (i, doc) in docs.iter().enumerate() {
        let mut analysis = cleaner.analyze(doc);
        let removed = analysis.remove_site_boilerplate(site(i), &found);
        let cleaned = cleaner.decide(&mut index, &i.to_string(), analysis);
        if let Err(e) = cleaned.verify(doc) {
            panic!("document {i} with site boilerplate: {e}");
        }
        let by_rule = cleaned
            .removed
            .iter()
            .filter(|r| r.rule == Some(SITE_RULE))
            .count();
        assert_eq!(by_rule, removed, "document {i}");
    }
}

/// A JSONL line and field names.
#[derive(Debug, Arbitrary)]
pub struct JsonlInput {
    pub line: Vec<u8>,
    pub text_field: String,
    pub id_field: String,
    pub replacement: String,
}

pub fn check_jsonl(input: &JsonlInput) {
    let Ok(record) = parse_record(&input.line, &input.text_field, &input.id_field) else {
        return;
    };
    let mut out = Vec::new();
    write_record(
        &mut out,
        &record.fields,
        &input.text_field,
        &input.replacement,
    )
    .expect("writing to memory");
    let back =
        parse_record(&out, &input.text_field, &input.id_field).expect("what was written parses");
    assert_eq!(back.text, input.replacement);
    assert_eq!(back.fields.len(), record.fields.len());
    for ((k1, v1), (k2, v2)) in record.fields.iter().zip(&back.fields) {
        assert_eq!(k1, k2);
        if k1 != &input.text_field {
            assert_eq!(v1.get(), v2.get(), "other values are copied byte for byte");
        }
    }
    if input.id_field != input.text_field {
        assert_eq!(back.id, record.id);
    }
}
