//! The near-duplicate (coverage) stage against an all-pairs exact oracle on
//! generated corpora (fixed seeds, thousands of paragraphs):
//!
//! * recall: at least 99% of the paragraphs that an earlier article covers
//!   clearly (shingle coverage at least 0.5 and at least 90% of the words
//!   matched in order, by a plain dynamic-programming LCS) are removed;
//! * soundness: every near-duplicate removal's reported measures are those
//!   of the oracle against the source paragraphs it names: the shingle
//!   coverage exactly, the word coverage at most the LCS share and at least
//!   the threshold; the kept copy comes earlier and was kept.
//!
//! The oracle shingles the matching key itself (word 5-grams as strings,
//! hashed with the standard library's SipHash) and compares every
//! paragraph with every earlier article. The generated words are lowercase
//! letters only, so no figure or name guard applies.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use newsdedup::normalize::matching_key;
use newsdedup::{Cleaner, Index, ParagraphRef, RemovalKind};

const COVERAGE: f64 = newsdedup::clean::COVERAGE;

/// xorshift64*: a small deterministic generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// A word of letters for number `i`: "qab", "qac", ...
fn word(i: usize) -> String {
    let mut w = String::from("q");
    let mut n = i;
    for _ in 0..3 {
        w.push(char::from(b'a' + (n % 26) as u8));
        n /= 26;
    }
    w
}

/// A corpus of documents, one paragraph per line. About half the paragraphs
/// are edited copies of an earlier one (words replaced, dropped, inserted,
/// the end cut or extended), so true similarities spread over the whole
/// range around the threshold.
fn corpus(seed: u64, docs: usize) -> Vec<String> {
    let mut rng = Rng(seed);
    let vocabulary: Vec<String> = (0..3000).map(word).collect();
    let mut paragraphs: Vec<Vec<String>> = Vec::new();
    let mut out = Vec::new();
    for _ in 0..docs {
        let mut doc = Vec::new();
        for _ in 0..1 + rng.below(5) {
            let words = if paragraphs.is_empty() || rng.below(2) == 0 {
                (0..15 + rng.below(40))
                    .map(|_| vocabulary[rng.below(vocabulary.len())].clone())
                    .collect()
            } else {
                let mut words = paragraphs[rng.below(paragraphs.len())].clone();
                for _ in 0..rng.below(8) {
                    let at = rng.below(words.len());
                    match rng.below(5) {
                        0 => words[at] = vocabulary[rng.below(vocabulary.len())].clone(),
                        1 if words.len() > 12 => {
                            words.remove(at);
                        }
                        2 => words.insert(at, vocabulary[rng.below(vocabulary.len())].clone()),
                        3 if words.len() > 20 => words.truncate(words.len() - 3),
                        _ => words.extend(
                            (0..3).map(|_| vocabulary[rng.below(vocabulary.len())].clone()),
                        ),
                    }
                }
                words
            };
            doc.push(words.join(" "));
            paragraphs.push(words);
        }
        out.push(doc.join("\n"));
    }
    out
}

/// The oracle's words and shingle set: sorted SipHash values of word
/// 5-grams of the matching key (the whole key when shorter).
fn oracle_shingles(text: &str) -> (Vec<String>, Vec<u64>) {
    let key = matching_key(text);
    let words: Vec<String> = key.split(' ').map(str::to_string).collect();
    let grams: Vec<String> = if words.len() <= 5 {
        vec![key.clone()]
    } else {
        words.windows(5).map(|w| w.join(" ")).collect()
    };
    let mut set: Vec<u64> = grams
        .iter()
        .map(|g| {
            let mut h = DefaultHasher::new();
            g.hash(&mut h);
            h.finish()
        })
        .collect();
    set.sort_unstable();
    set.dedup();
    (words, set)
}

/// Length of the longest common subsequence, by dynamic programming.
fn lcs(a: &[String], b: &[String]) -> usize {
    let mut row = vec![0usize; b.len() + 1];
    for x in a {
        let mut diagonal = 0;
        for (j, y) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = if x == y {
                diagonal + 1
            } else {
                above.max(row[j])
            };
            diagonal = above;
        }
    }
    row[b.len()]
}

struct Para {
    at: ParagraphRef,
    words: Vec<String>,
    shingles: Vec<u64>,
    kept: bool,
    /// For coverage removals: the kept copy named, the sources, and the
    /// reported shingle and word coverage.
    near: Option<(ParagraphRef, Vec<ParagraphRef>, f64, f64)>,
}

/// Shingle coverage of `p` by `sources` and the LCS share of its words.
fn oracle_measures(p: &Para, sources: &[&Para]) -> (f64, f64) {
    let covered = p
        .shingles
        .iter()
        .filter(|h| sources.iter().any(|s| s.shingles.binary_search(h).is_ok()))
        .count();
    let joined: Vec<String> = sources.iter().flat_map(|s| s.words.clone()).collect();
    (
        covered as f64 / p.shingles.len() as f64,
        lcs(&p.words, &joined) as f64 / p.words.len() as f64,
    )
}

fn run(seed: u64) -> (usize, usize, usize) {
    let docs = corpus(seed, 700);
    let cleaner = Cleaner::new();
    let mut index = Index::new();
    let mut paras: Vec<Para> = Vec::new();
    for (i, text) in docs.iter().enumerate() {
        let cleaned = cleaner.clean(&mut index, &format!("d{i}"), text);
        for (p, outcome) in cleaned.paragraphs.iter().enumerate() {
            let removal = cleaned.removed.iter().find(|r| r.span == outcome.span);
            let near = removal.and_then(|r| {
                // Exact copies of an earlier near-duplicate name no sources.
                (r.kind == RemovalKind::NearDuplicate && !r.sources.is_empty()).then(|| {
                    (
                        r.duplicate_of.unwrap(),
                        r.sources.clone(),
                        r.containment.unwrap(),
                        r.coverage.unwrap(),
                    )
                })
            });
            let (words, shingles) = oracle_shingles(outcome.span.slice(text));
            paras.push(Para {
                at: ParagraphRef {
                    doc: cleaned.doc,
                    paragraph: p as u32,
                },
                words,
                shingles,
                kept: outcome.kept,
                near,
            });
        }
    }
    let position = |at: ParagraphRef| paras.iter().position(|p| p.at == at).unwrap();

    // Soundness.
    let mut near_removed = 0;
    for p in &paras {
        let Some((of, sources, containment, coverage)) = &p.near else {
            continue;
        };
        near_removed += 1;
        let q = &paras[position(*of)];
        assert!(q.kept, "{:?} names {:?}, which was not kept", p.at, of);
        assert!(q.at < p.at, "the kept copy comes first");
        assert!(sources.iter().all(|s| *s < p.at));
        assert!(
            sources
                .windows(2)
                .all(|w| w[0].doc == w[1].doc && w[0] < w[1])
        );
        let sources: Vec<&Para> = sources.iter().map(|s| &paras[position(*s)]).collect();
        let (shingle_coverage, lcs_share) = oracle_measures(p, &sources);
        assert!(
            (shingle_coverage - containment).abs() < 1e-9,
            "{:?}: reported shingle coverage {containment}, true {shingle_coverage}",
            p.at
        );
        assert!(
            *coverage >= COVERAGE && *coverage <= lcs_share + 1e-9,
            "{:?}: reported word coverage {coverage}, LCS share {lcs_share}",
            p.at
        );
    }

    // Recall: paragraphs an earlier article clearly covers.
    let (mut eligible, mut caught) = (0, 0);
    for (i, p) in paras.iter().enumerate() {
        if p.words.len() < newsdedup::clean::SHORT_PARAGRAPH_WORDS {
            continue;
        }
        let earlier = &paras[..i];
        let mut docs: Vec<_> = earlier.iter().map(|q| q.at.doc).collect();
        docs.dedup();
        let covered = docs.into_iter().any(|doc| {
            let sources: Vec<&Para> = earlier
                .iter()
                .filter(|q| {
                    q.at.doc == doc
                        && q.shingles
                            .iter()
                            .any(|h| p.shingles.binary_search(h).is_ok())
                })
                .collect();
            if sources.is_empty() {
                return false;
            }
            let (shingles, words) = oracle_measures(p, &sources);
            shingles >= 0.5 && words >= 0.9
        });
        if covered {
            eligible += 1;
            caught += usize::from(!p.kept);
        }
    }
    (eligible, caught, near_removed)
}

#[test]
fn near_duplicates_match_the_exact_oracle() {
    let (mut eligible, mut caught, mut near) = (0, 0, 0);
    for seed in [1, 2, 3] {
        let (e, c, n) = run(0x9E37_79B9_7F4A_7C15 ^ seed);
        eligible += e;
        caught += c;
        near += n;
    }
    println!("eligible {eligible}, removed {caught}, near-duplicate removals {near}");
    assert!(
        eligible >= 500,
        "the corpora hold enough covered paragraphs to measure: {eligible}"
    );
    assert!(
        near >= 300,
        "the near stage does the work, not only exact hashing: {near}"
    );
    assert!(
        caught * 100 >= eligible * 99,
        "recall {caught}/{eligible} below 99%"
    );
}
