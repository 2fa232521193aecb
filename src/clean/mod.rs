//! Stage 3: the cleaner. Decides what stays, emits the cleaned text and the
//! removals the report is made of.
//!
//! Cleaning a document is two steps, so that the expensive one can run in
//! parallel while the decisions stay those of one thread in input order:
//!
//! 1. [`Cleaner::analyze`] (pure, `&self`): normalize every paragraph, hash
//!    its matching key, and for near-duplicate search turn it into word
//!    tokens, shingles and winnowed fingerprints ([`Sketch`]).
//! 2. [`Cleaner::decide`] (`&mut Index`, in input order): exact duplicates,
//!    near-duplicates, runs, repeated and mostly-duplicated documents.
//!
//! [`Cleaner::clean`] does both.
//!
//! # Decision rules
//!
//! Paragraphs are ordered by input order: documents in the order they are
//! decided, paragraphs in document order ([`ParagraphRef`]'s ordering).
//!
//! * **Exact.** A paragraph whose hash equals that of an earlier kept
//!   paragraph (in this document or an earlier one) is a `duplicate` of the
//!   earliest kept copy, rule `duplicate-paragraph`. Exact duplicates are
//!   settled first: only distinct paragraphs enter the near-duplicate stage.
//! * **Near (coverage).** A paragraph that is not short is a
//!   `near_duplicate` when nearly all of it is a passage of ONE earlier
//!   article, possibly cut, extended, re-paragraphed or lightly edited, and
//!   no guard says it is a templated record with other figures or names
//!   (see [`cover`] for the evidence and [`sweep`] for the rule), rule
//!   `near-duplicate`. Candidate sources come from winnowed shingle
//!   fingerprints; every one is measured exactly.
//! * **Short paragraphs.** A paragraph of fewer than
//!   [`CleanerBuilder::short_paragraph_words`] words (a heading, "Reuter") is
//!   never removed merely because it recurs. It goes only inside a repeated
//!   run: next to a removed (near-)duplicate whose copy has, on the same
//!   side, a paragraph equal to it (rule `duplicate-run`) or, by
//!   [`strsim`]'s normalized Levenshtein similarity of the matching keys,
//!   at least [`SHORT_SIMILARITY`] (rule `near-duplicate-run`). Runs grow
//!   until nothing changes.
//! * **Page furniture.** A short paragraph that is the first, or among the
//!   last [`FURNITURE_TAIL`], of an article with a body, and that has been
//!   in at least [`FURNITURE_MIN_DOCS`] earlier articles and
//!   [`FURNITURE_MIN_SHARE`] of them, is `boilerplate` of rule
//!   [`FURNITURE_RULE`] ("Click here to subscribe to our podcast.", the
//!   "Reuter" sign-off): counted online, in input order, so the first copies
//!   stay and the decision depends on the input alone.
//! * **Repeated documents.** A document whose paragraph hashes all equal, in
//!   order, those of an earlier document goes whole (`duplicate_document_of`,
//!   rule `duplicate-document`); so does a document whose *kept* paragraphs
//!   equal, in order, those an earlier document kept (once its repeats are
//!   gone, what is left repeats that document). This keeps cleaning
//!   idempotent: a cleaned corpus cleaned again loses nothing more.
//! * **Mostly-duplicated documents.** With
//!   [`CleanerBuilder::drop_duplicate_docs`], a document at least that
//!   fraction of whose text (bytes of paragraphs) duplicates earlier documents
//!   is dropped: [`Cleaned::dropped`], and none of its paragraphs enter the
//!   index.

mod chunked;
pub mod cover;
mod index;
pub mod site;

pub use cover::{CoverDecision, CoverRule, Evidence, Guard, sweep};
pub use index::Index;

use cover::Attribution;
use index::{Candidate, HashTable, NearMatch, Sources};

use crate::error::{Error, ErrorKind};
use crate::normalize::page::StopWords;
use crate::normalize::{
    NormalizedParagraph, Normalizer, NormalizerBuilder, ParagraphState, WordCase, is_ignorable,
    word_cases,
};
use crate::paragraph::Layout;
use crate::removal::{DocId, ParagraphRef, Removal, RemovalKind, RuleId};
use crate::shingle::probe::ShingleProbe;
use crate::shingle::tokens::{
    LOWER, NAME, WINNOW_WINDOW, bigram_bloom, same_word, shingles_into, tokens_with, winnow_into,
};
use crate::shingle::{document_hash, paragraph_hash};
use crate::span::Span;

/// Default for [`CleanerBuilder::short_paragraph_words`].
pub const SHORT_PARAGRAPH_WORDS: usize = 10;
/// Default for [`CleanerBuilder::coverage`]: a paragraph repeats its
/// source when at least three quarters of its words are matched in order,
/// i.e. at most a quarter is new or replaced (the definition of a repeat).
pub const COVERAGE: f64 = 0.75;
/// Default for [`CleanerBuilder::candidate_coverage`]: a source must hold
/// at least this share of the paragraph's shingles to be aligned at all.
pub const CANDIDATE_COVERAGE: f64 = 0.3;
/// Default for [`CleanerBuilder::shingle_words`].
pub const SHINGLE_WORDS: usize = 5;
/// Characters per shingle for scripts written without spaces.
pub const SHINGLE_CHARS: usize = 3;
/// Postings read per fingerprint, newest first: a fingerprint held by more
/// paragraphs than this is a formula, not evidence of one source, and a
/// near copy of a much-repeated paragraph finds one of its recent copies
/// among the newest (removed copies stay sources). Depends on the input
/// order only, never on batches or threads. On the medium corpus 128
/// rather than 1,024 changes 7 of 45,000 decisions on generated edits and
/// none on the dev set, and takes a sixth off the run.
pub const MAX_POSTINGS: usize = 128;
/// Normalized Levenshtein similarity at or above which two short
/// paragraphs in aligned runs are near-duplicates.
pub const SHORT_SIMILARITY: f64 = 0.8;
/// Rule named for page furniture: a short line at the edge of at least
/// [`FURNITURE_MIN_DOCS`] earlier articles, and of at least
/// [`FURNITURE_MIN_SHARE`] of them.
pub const FURNITURE_RULE: RuleId = RuleId::from_static("corpus-furniture");
/// Fewest earlier articles a short line must be in to be furniture: a
/// heading or dateline recurs in a few, a subscription plug in hundreds.
pub const FURNITURE_MIN_DOCS: u32 = 100;
/// Share of the earlier articles a short line must be in to be furniture:
/// on a large corpus, result-table lines ("Record March 31") recur in a
/// hundred articles but in far fewer than one in two hundred.
pub const FURNITURE_MIN_SHARE: f64 = 0.005;
/// Paragraphs at the end of an article where furniture stands (the
/// agency's sign-off, plugs, share links, often several); at its start
/// only the first paragraph: the second is where a record's first table
/// heading ("Year" under the title) stands.
pub const FURNITURE_TAIL: usize = 2;

/// The cleaner: build once, share across threads, pass an [`Index`] per corpus.
///
/// ```
/// use newsdedup::{Cleaner, Index};
/// let cleaner = Cleaner::new();
/// let mut index = Index::new();
/// let text = "A wire story about the harbour reopening after the storm passed.\n\
///             Leave a Reply\n\
///             A wire story about the harbour reopening after the storm passed.\n";
/// let cleaned = cleaner.clean(&mut index, "story-1", text);
/// assert_eq!(cleaned.text, "A wire story about the harbour reopening after the storm passed.");
/// assert_eq!(cleaned.removed.len(), 2);
/// ```
#[derive(Clone, Debug)]
pub struct Cleaner {
    normalizer: Normalizer,
    short_words: usize,
    near: Option<NearSettings>,
    drop_duplicate_docs: Option<f64>,
    stop_words: StopWords,
    attribution: Attribution,
}

/// The near-duplicate (coverage) stage's settings, validated.
#[derive(Clone, Debug, PartialEq)]
pub struct NearSettings {
    /// The decision rule's thresholds.
    pub rule: CoverRule,
    /// Words per shingle.
    pub shingle_words: usize,
    /// Characters per shingle in scripts written without spaces.
    pub shingle_chars: usize,
    /// Shingles per winnowing window.
    pub winnow_window: usize,
}

/// Settings for a [`Cleaner`].
#[derive(Clone, Debug)]
pub struct CleanerBuilder {
    normalizer: NormalizerBuilder,
    short_words: usize,
    near: bool,
    coverage: f64,
    candidate: f64,
    shingle_words: usize,
    drop_duplicate_docs: Option<f64>,
}

/// What the near-duplicate stage keeps of a paragraph: its words as
/// tokens, its shingles and fingerprints ([`crate::shingle::tokens`]).
///
/// The three sequences share one allocation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sketch {
    /// The tokens, then the shingles, then the fingerprints.
    data: Box<[u32]>,
    /// Where the shingles and the fingerprints start in `data`.
    shingles_at: u32,
    fingerprints_at: u32,
    width: usize,
    blooms: Box<[(u32, u64)]>,
}

impl Sketch {
    /// One token per word, in order.
    pub fn tokens(&self) -> &[u32] {
        &self.data[..self.shingles_at as usize]
    }

    /// Tokens per shingle.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Sorted, deduplicated shingle hashes.
    pub fn shingles(&self) -> &[u32] {
        &self.data[self.shingles_at as usize..self.fingerprints_at as usize]
    }

    /// Sorted, deduplicated winnowed fingerprints (a subset of
    /// [`Sketch::shingles`]).
    pub fn fingerprints(&self) -> &[u32] {
        &self.data[self.fingerprints_at as usize..]
    }

    /// The spelling Bloom filter of each name token.
    pub fn blooms(&self) -> &[(u32, u64)] {
        &self.blooms
    }
}

/// Buffers [`Cleaner::sketch`] reuses across the paragraphs a thread
/// sketches.
#[derive(Default)]
struct SketchScratch {
    cases: Vec<WordCase>,
    names: Vec<(usize, u64)>,
    tokens: Vec<u32>,
    positions: Vec<u32>,
    fingerprints: Vec<u32>,
}

thread_local! {
    static SKETCH_SCRATCH: std::cell::RefCell<SketchScratch> =
        std::cell::RefCell::default();
}

/// The normalized, hashed paragraphs of one document: the output of
/// [`Cleaner::analyze`], input of [`Cleaner::decide`].
#[derive(Clone, Debug)]
pub struct Analysis {
    layout: Layout,
    bytes_in: usize,
    paragraphs: Vec<NormalizedParagraph>,
    /// Hash of each paragraph's key; `None` for paragraphs already removed.
    hashes: Vec<Option<u64>>,
    /// Sketch of each paragraph that is long enough for the near stage.
    sketches: Vec<Option<Sketch>>,
}

impl Analysis {
    /// The detected layout.
    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// The normalized paragraphs.
    pub fn paragraphs(&self) -> &[NormalizedParagraph] {
        &self.paragraphs
    }

    /// The near-duplicate sketch of each paragraph (`None` for removed and
    /// short ones, or when the near stage is off).
    pub fn sketches(&self) -> &[Option<Sketch>] {
        &self.sketches
    }

    /// Removes the paragraphs that are boilerplate of `site` (rule
    /// [`site::SITE_RULE`]) before [`Cleaner::decide`] sees them; returns
    /// how many went.
    pub fn remove_site_boilerplate(
        &mut self,
        site: &str,
        boilerplate: &site::SiteBoilerplate,
    ) -> usize {
        let mut removed = 0;
        for (i, hash) in self.hashes.iter_mut().enumerate() {
            let Some(key) = *hash else { continue };
            if boilerplate.documents_with(site, key).is_none() {
                continue;
            }
            self.paragraphs[i].remove(RemovalKind::Boilerplate, Some(site::SITE_RULE));
            *hash = None;
            self.sketches[i] = None;
            removed += 1;
        }
        removed
    }
}

/// The fate of one paragraph.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParagraphOutcome {
    /// Its span in the input.
    pub span: Span,
    /// Whether (part of) it is in the cleaned text.
    pub kept: bool,
}

/// A cleaned document.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Cleaned {
    /// The document's id in the index.
    pub doc: DocId,
    /// The detected layout.
    pub layout: Layout,
    /// The kept paragraphs, cleaned, joined by [`Layout::separator`].
    pub text: String,
    /// Every removal, sorted by start offset, disjoint.
    pub removed: Vec<Removal>,
    /// Every paragraph with its span and whether it was kept.
    pub paragraphs: Vec<ParagraphOutcome>,
    /// Set when the whole document repeats an earlier one.
    pub duplicate_document_of: Option<DocId>,
    /// Share of the document's paragraph bytes that (near-)duplicate
    /// earlier documents.
    pub duplicate_fraction: f64,
    /// Set when the document was dropped by
    /// [`CleanerBuilder::drop_duplicate_docs`]: it is not to be written, and
    /// none of its paragraphs entered the index.
    pub dropped: bool,
    /// Near-duplicate candidate pairs verified for this document.
    pub near_pairs_verified: usize,
    /// Paragraphs of this document that went through near-duplicate search.
    pub near_paragraphs_checked: usize,
    /// Length of the input in bytes.
    pub bytes_in: usize,
}

impl Cleaned {
    /// Number of paragraphs kept.
    pub fn paragraphs_kept(&self) -> usize {
        self.paragraphs.iter().filter(|p| p.kept).count()
    }

    /// Checks the accounting against `input`, the text that was cleaned:
    /// removals are in bounds, on char boundaries, sorted and disjoint; a
    /// paragraph that is not kept is exactly one removal; the cuts of a kept
    /// paragraph lie inside it; and removed spans, kept text and separators
    /// (only whitespace and invisible characters) cover the input exactly.
    /// Fuzz targets and tests call it; it returns the first violation.
    pub fn verify(&self, input: &str) -> Result<(), String> {
        let mut at = 0;
        for r in &self.removed {
            let Span { start, end } = r.span;
            if start < at || end < start || end > input.len() {
                return Err(format!(
                    "removal {start}..{end} out of order or bounds (previous end {at})"
                ));
            }
            if !input.is_char_boundary(start) || !input.is_char_boundary(end) {
                return Err(format!("removal {start}..{end} not on char boundaries"));
            }
            at = end;
        }
        let mut removals = self.removed.iter().peekable();
        let mut at = 0;
        for p in &self.paragraphs {
            if p.span.start < at {
                return Err(format!("paragraph {:?} overlaps the previous one", p.span));
            }
            if !input[at..p.span.start].chars().all(is_ignorable) {
                return Err(format!(
                    "separator {at}..{} holds visible text",
                    p.span.start
                ));
            }
            // Removals before this paragraph would cover separator bytes.
            if let Some(r) = removals.peek() {
                if r.span.start < p.span.start {
                    return Err(format!("removal {:?} starts outside any paragraph", r.span));
                }
            }
            if p.kept {
                while let Some(r) = removals.next_if(|r| r.span.end <= p.span.end) {
                    if r.span == p.span {
                        return Err(format!("kept paragraph {:?} removed whole", p.span));
                    }
                }
            } else if removals.next().map(|r| r.span) != Some(p.span) {
                return Err(format!("dropped paragraph {:?} is not one removal", p.span));
            }
            at = p.span.end;
        }
        if let Some(r) = removals.next() {
            return Err(format!("removal {:?} is outside every paragraph", r.span));
        }
        if !input[at..].chars().all(is_ignorable) {
            return Err(format!("trailing separator {at}.. holds visible text"));
        }
        Ok(())
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Fate {
    Keep,
    Duplicate(ParagraphRef, &'static str),
    /// A short paragraph with an earlier copy: kept unless part of a run.
    ShortRepeat(ParagraphRef),
    Near(NearMatch, &'static str),
    /// A short line that recurs at the edge of many articles: page
    /// furniture ([`FURNITURE_RULE`]), with its first copy.
    Furniture(ParagraphRef),
}

impl Fate {
    /// The paragraph this one repeats, when it is removed as a repeat.
    fn copy(&self) -> Option<ParagraphRef> {
        match self {
            Fate::Duplicate(at, _) => Some(*at),
            Fate::Near(m, _) => Some(m.of),
            Fate::Keep | Fate::ShortRepeat(_) | Fate::Furniture(_) => None,
        }
    }
}

impl Default for CleanerBuilder {
    fn default() -> CleanerBuilder {
        CleanerBuilder {
            normalizer: Normalizer::builder(),
            short_words: SHORT_PARAGRAPH_WORDS,
            near: true,
            coverage: COVERAGE,
            candidate: CANDIDATE_COVERAGE,
            shingle_words: SHINGLE_WORDS,
            drop_duplicate_docs: None,
        }
    }
}

fn fraction(setting: &'static str, value: f64) -> Result<f64, Error> {
    if value > 0.0 && value <= 1.0 {
        Ok(value)
    } else {
        Err(Error::new(ErrorKind::OutOfRange {
            setting,
            value: value.to_string(),
            expected: "greater than 0 and at most 1",
        }))
    }
}

impl CleanerBuilder {
    /// The normalizer settings (rules, link removal).
    pub fn normalizer(mut self, normalizer: NormalizerBuilder) -> CleanerBuilder {
        self.normalizer = normalizer;
        self
    }

    /// Paragraphs with fewer words than this in their matching key are
    /// *short*: removed as duplicates only as part of a repeated run
    /// (default [`SHORT_PARAGRAPH_WORDS`]; at least 1).
    pub fn short_paragraph_words(mut self, words: usize) -> CleanerBuilder {
        self.short_words = words;
        self
    }

    /// Whether near-duplicates are removed (default: yes).
    pub fn near_duplicates(mut self, yes: bool) -> CleanerBuilder {
        self.near = yes;
        self
    }

    /// Word coverage at or above which a paragraph repeats an earlier
    /// article (default [`COVERAGE`]).
    pub fn coverage(mut self, coverage: f64) -> CleanerBuilder {
        self.coverage = coverage;
        self
    }

    /// Shingle coverage a source needs to be aligned at all (default
    /// [`CANDIDATE_COVERAGE`]).
    pub fn candidate_coverage(mut self, coverage: f64) -> CleanerBuilder {
        self.candidate = coverage;
        self
    }

    /// Words per shingle (default [`SHINGLE_WORDS`]).
    pub fn shingle_words(mut self, words: usize) -> CleanerBuilder {
        self.shingle_words = words;
        self
    }

    /// Drop a document when at least this fraction of its text duplicates
    /// earlier documents (default: never).
    pub fn drop_duplicate_docs(mut self, fraction: Option<f64>) -> CleanerBuilder {
        self.drop_duplicate_docs = fraction;
        self
    }

    /// Validates the settings.
    pub fn build(self) -> Result<Cleaner, Error> {
        if self.short_words == 0 {
            return Err(Error::new(ErrorKind::OutOfRange {
                setting: "short_paragraph_words",
                value: "0".to_string(),
                expected: "at least 1",
            }));
        }
        let coverage = fraction("coverage", self.coverage)?;
        let candidate = fraction("candidate_coverage", self.candidate)?;
        if !(1..=64).contains(&self.shingle_words) {
            return Err(Error::new(ErrorKind::OutOfRange {
                setting: "shingle_words",
                value: self.shingle_words.to_string(),
                expected: "from 1 to 64",
            }));
        }
        let drop_duplicate_docs = self
            .drop_duplicate_docs
            .map(|f| fraction("drop_duplicate_docs", f))
            .transpose()?;
        let near = NearSettings {
            rule: CoverRule {
                coverage,
                candidate,
            },
            shingle_words: self.shingle_words,
            shingle_chars: SHINGLE_CHARS,
            winnow_window: WINNOW_WINDOW,
        };
        Ok(Cleaner {
            normalizer: self.normalizer.build()?,
            short_words: self.short_words,
            near: self.near.then_some(near),
            drop_duplicate_docs,
            stop_words: StopWords::new(),
            attribution: Attribution::new(),
        })
    }
}

impl Default for Cleaner {
    fn default() -> Cleaner {
        Cleaner::new()
    }
}

impl Cleaner {
    /// A cleaner with default settings.
    pub fn new() -> Cleaner {
        CleanerBuilder::default()
            .build()
            .expect("the default settings are valid")
    }

    /// Settings, starting from the defaults.
    pub fn builder() -> CleanerBuilder {
        CleanerBuilder::default()
    }

    /// The normalizer this cleaner uses.
    pub fn normalizer(&self) -> &Normalizer {
        &self.normalizer
    }

    /// The short-paragraph bound in words.
    pub fn short_paragraph_words(&self) -> usize {
        self.short_words
    }

    /// The near-duplicate settings, `None` when that stage is off.
    pub fn near_settings(&self) -> Option<&NearSettings> {
        self.near.as_ref()
    }

    /// The fraction at which documents are dropped, if any.
    pub fn drop_duplicate_docs(&self) -> Option<f64> {
        self.drop_duplicate_docs
    }

    /// The near-duplicate sketch of a paragraph from its cleaned `text` and
    /// its matching `key`: tokens, shingles, fingerprints. Public and
    /// deterministic, so that another process computes the same ones;
    /// `None` when the near stage is off or the key is empty.
    pub fn sketch(&self, text: &str, key: &str) -> Option<Sketch> {
        let near = self.near.as_ref()?;
        if key.is_empty() {
            return None;
        }
        SKETCH_SCRATCH.with(|scratch| {
            let scratch = &mut *scratch.borrow_mut();
            let SketchScratch {
                cases,
                names,
                tokens,
                positions,
                fingerprints,
            } = scratch;
            word_cases(text, cases);
            // Names need the text's words to line up with the key's, in a
            // text not mostly in capitals.
            let words = crate::normalize::key_words(key);
            if cases.len() != words || cases.iter().filter(|c| c.upper).count() * 2 > words {
                cases.clear();
            }
            names.clear();
            tokens.clear();
            let width = tokens_with(
                key,
                near.shingle_words,
                near.shingle_chars,
                tokens,
                |i, word| {
                    let Some(case) = cases.get(i) else {
                        return 0;
                    };
                    // Capitalized, and not a stop word opening a sentence.
                    if case.capitalized && !(case.initial && self.stop_words.contains(word)) {
                        names.push((i, bigram_bloom(word)));
                        NAME
                    } else if case.capitalized || case.upper {
                        0
                    } else {
                        LOWER
                    }
                },
            );
            positions.clear();
            shingles_into(tokens, width, positions);
            winnow_into(positions, near.winnow_window, fingerprints);
            positions.sort_unstable();
            positions.dedup();
            let mut data = Vec::with_capacity(tokens.len() + positions.len() + fingerprints.len());
            data.extend_from_slice(tokens);
            data.extend_from_slice(positions);
            data.extend_from_slice(fingerprints);
            // Fewer than 2^32 words: a paragraph is at most a few MB.
            let shingles_at = u32::try_from(tokens.len()).unwrap_or(u32::MAX);
            let fingerprints_at = u32::try_from(tokens.len() + positions.len()).unwrap_or(u32::MAX);
            Some(Sketch {
                data: data.into_boxed_slice(),
                shingles_at,
                fingerprints_at,
                width,
                blooms: names.iter().map(|&(i, bloom)| (tokens[i], bloom)).collect(),
            })
        })
    }

    /// Step 1: normalize and hash. Needs no index; safe to run in parallel.
    pub fn analyze(&self, text: &str) -> Analysis {
        self.analyze_with(text, None)
    }

    /// Step 1 with a read-only look at the index the document will be
    /// decided against (or an earlier state of it, as when a batch is
    /// analyzed in parallel before any of it is decided): a paragraph the
    /// index already holds is an exact repeat, decided without a sketch,
    /// so none is made. The decisions are those of [`Cleaner::analyze`].
    pub fn analyze_against(&self, index: &Index, text: &str) -> Analysis {
        self.analyze_with(text, Some(index))
    }

    fn analyze_with(&self, text: &str, index: Option<&Index>) -> Analysis {
        let doc = self.normalizer.normalize_document(text);
        let hashes: Vec<Option<u64>> = doc
            .paragraphs
            .iter()
            .map(|p| p.kept().map(|kept| paragraph_hash(&kept.key)))
            .collect();
        let sketches = doc
            .paragraphs
            .iter()
            .zip(&hashes)
            .map(|(p, hash)| {
                let hash = (*hash)?;
                let known = index.is_some_and(|index| {
                    index.first_copy(hash).is_some() || index.alias(hash).is_some()
                });
                let kept = p.kept()?;
                (kept.words >= self.short_words && !known)
                    .then(|| self.sketch(&kept.text, &kept.key))?
            })
            .collect();
        Analysis {
            layout: doc.layout,
            bytes_in: text.len(),
            paragraphs: doc.paragraphs,
            hashes,
            sketches,
        }
    }

    /// Step 2: decide against `index` and record the document in it under
    /// `id`. Call in input order.
    pub fn decide(&self, index: &mut Index, id: &str, analysis: Analysis) -> Cleaned {
        let doc = index.add_document(id);
        let candidates: Vec<Candidate> = analysis
            .hashes
            .iter()
            .enumerate()
            .filter_map(|(i, h)| {
                h.map(|hash| {
                    let para = &analysis.paragraphs[i];
                    // Short keys are kept for near-duplicate runs only.
                    let short = para.words() < self.short_words;
                    let short_key = (short && self.near.is_some()).then_some(para.key());
                    Candidate {
                        paragraph: i as u32,
                        hash,
                        short,
                        short_key,
                    }
                })
            })
            .collect();
        let mut fates = vec![Fate::Keep; candidates.len()];
        let doc_hash = (!candidates.is_empty())
            .then(|| document_hash(&candidates.iter().map(|c| c.hash).collect::<Vec<_>>()));
        let mut duplicate_document_of = doc_hash.and_then(|h| index.document(h));
        let repeated_document = duplicate_document_of.is_some()
            && candidates.iter().zip(fates.iter_mut()).all(|(c, fate)| {
                // Each paragraph of the earlier document was kept, an exact
                // duplicate of a kept one, or a near-duplicate of one.
                match (index.first_copy(c.hash), index.alias(c.hash)) {
                    (Some(at), _) => *fate = Fate::Duplicate(at, "duplicate-document"),
                    (None, Some(m)) => *fate = Fate::Near(m, "duplicate-document"),
                    (None, None) => return false,
                }
                true
            });
        let mut near_counts = (0, 0);
        // The covering paragraphs of near-duplicates that merge several.
        let mut merged = Vec::new();
        if !repeated_document {
            duplicate_document_of = None;
            near_counts =
                self.decide_paragraphs(index, doc, &analysis, &candidates, &mut fates, &mut merged);
        }
        if !repeated_document {
            extend_runs(index, doc, &candidates, &mut fates, self.near.is_some());
        }
        // What is left may repeat what an earlier document kept: then the
        // document repeats that document once its repeats are gone.
        let kept_hash = kept_document_hash(&candidates, &fates);
        if let Some(earlier) = kept_hash.and_then(|h| index.kept_document(h)) {
            if duplicate_document_of.is_none() && remove_kept(index, &candidates, &mut fates) {
                duplicate_document_of = Some(earlier);
            }
        }
        let duplicate_fraction = duplicate_fraction(doc, &analysis, &candidates, &fates);
        let dropped = self
            .drop_duplicate_docs
            .is_some_and(|f| !candidates.is_empty() && duplicate_fraction >= f);
        let mut fate_of = vec![None; analysis.paragraphs.len()];
        for (c, fate) in candidates.iter().zip(&fates) {
            fate_of[c.paragraph as usize] = Some(*fate);
        }
        if !dropped {
            commit(index, doc, &analysis, &candidates, &fates, doc_hash);
            if let Some(hash) = kept_document_hash(&candidates, &fates) {
                index.insert_kept_document(hash, doc);
            }
            index.insert_lines(doc, &candidates);
        }
        let mut cleaned = assemble(doc, analysis, fate_of, duplicate_document_of, merged);
        cleaned.duplicate_fraction = duplicate_fraction;
        cleaned.dropped = dropped;
        (cleaned.near_pairs_verified, cleaned.near_paragraphs_checked) = near_counts;
        cleaned
    }

    /// Exact and near-duplicate fates of the candidates of a document that
    /// does not repeat an earlier one. Nothing enters the index here.
    fn decide_paragraphs(
        &self,
        index: &Index,
        doc: DocId,
        analysis: &Analysis,
        candidates: &[Candidate],
        fates: &mut [Fate],
        sources: &mut Vec<(u32, Vec<ParagraphRef>)>,
    ) -> (usize, usize) {
        let mut local_first: HashTable<ParagraphRef> = HashTable::default();
        let mut local_alias: HashTable<NearMatch> = HashTable::default();
        // This document's paragraphs in the near stage so far: sources too.
        let mut local = Sources::default();
        let mut scratch = Scratch::default();
        let mut verified = 0;
        let mut checked = 0;
        let edges = furniture_edges(candidates.len());
        for (pos, (fate, c)) in fates.iter_mut().zip(candidates).enumerate() {
            let at = ParagraphRef {
                doc,
                paragraph: c.paragraph,
            };
            if c.short && edges(pos) && index.is_furniture(c.hash) {
                if let Some(first) = index.first_copy(c.hash) {
                    *fate = Fate::Furniture(first);
                    continue;
                }
            }
            let earlier = index
                .first_copy(c.hash)
                .or_else(|| local_first.get(&c.hash).copied());
            let alias = index
                .alias(c.hash)
                .or_else(|| local_alias.get(&c.hash).copied());
            *fate = match (earlier, alias) {
                (Some(first), _) if c.short => Fate::ShortRepeat(first),
                (Some(first), _) => Fate::Duplicate(first, "duplicate-paragraph"),
                // A short paragraph is never removed merely because it
                // recurs, also not when its earlier copy was a near-duplicate.
                (None, Some(_)) if c.short => Fate::Keep,
                (None, Some(near)) => Fate::Near(near, "near-duplicate"),
                (None, None) => Fate::Keep,
            };
            if *fate != Fate::Keep {
                continue;
            }
            let (Some(near), Some(sketch)) = (&self.near, &analysis.sketches[c.paragraph as usize])
            else {
                local_first.insert(c.hash, at);
                continue;
            };
            checked += 1;
            let evidence = self.evidence(index, &local, at, sketch, &mut scratch);
            verified += evidence.len();
            let kept = match cover::decide(&evidence, &near.rule) {
                Some(e) => {
                    let m = NearMatch {
                        of: e.kept_copy,
                        similarity: e.similarity,
                        containment: Some(e.shingle_coverage),
                        coverage: Some(e.word_coverage),
                    };
                    sources.push((c.paragraph, e.paragraphs.clone()));
                    local_alias.insert(c.hash, m);
                    *fate = Fate::Near(m, "near-duplicate");
                    e.kept_copy
                }
                None => {
                    local_first.insert(c.hash, at);
                    at
                }
            };
            local.insert(at, kept, sketch);
        }
        (verified, checked)
    }

    /// The evidence of the earlier articles that share a fingerprint with
    /// paragraph `at`: in `index` (earlier documents) and `local` (earlier
    /// paragraphs of its own document).
    ///
    /// Sources are aligned in the order the rule ranks them (shingle
    /// coverage, then input order) and only while none has decided; one
    /// whose word coverage cannot reach the threshold (by
    /// `AlignScratch::coverage_bound`) is not aligned. [`cover::decide`] over
    /// what is returned therefore decides as it would over every source.
    fn evidence(
        &self,
        index: &Index,
        local: &Sources,
        at: ParagraphRef,
        sketch: &Sketch,
        scratch: &mut Scratch,
    ) -> Vec<Evidence> {
        let Some(near) = &self.near else {
            return Vec::new();
        };
        let sources = index.sources();
        // Every posting hit as its entry (marked when local) and the
        // fingerprint's index, packed in that order into a sort key.
        let mut hits = std::mem::take(&mut scratch.hits);
        hits.clear();
        for (tag, sources) in [(0, sources), (LOCAL_HIT, local)] {
            sources.postings(sketch.fingerprints(), MAX_POSTINGS, |entry, fp| {
                hits.push((u64::from(tag | entry) << 32) | u64::from(fp));
            });
        }
        // Entries are numbered in input order and the document's own come
        // after the index's, so hits sorted by entry are sorted by document
        // too: the document is looked up once per entry, not per hit.
        hits.sort_unstable();
        let doc_of = |key: u32| {
            if key & LOCAL_HIT == 0 {
                sources.doc_of(key)
            } else {
                at.doc
            }
        };
        // Rank the documents by fingerprints shared, then input order:
        // (fingerprints shared, document, its hits).
        let mut ranked: Vec<(usize, DocId, std::ops::Range<usize>)> = Vec::new();
        scratch.fps.clear();
        scratch.fps.resize(sketch.fingerprints().len(), 0);
        let mut last_entry = None;
        for (i, &hit) in hits.iter().enumerate() {
            let (entry, fp) = ((hit >> 32) as u32, hit as u32 as usize);
            if last_entry != Some(entry) {
                last_entry = Some(entry);
                let doc = doc_of(entry);
                if ranked.last().is_none_or(|r| r.1 != doc) {
                    ranked.push((0, doc, i..i));
                }
            }
            let stamp = ranked.len() as u32;
            let Some(document) = ranked.last_mut() else {
                continue;
            };
            document.2.end = i + 1;
            document.0 += usize::from(scratch.fps[fp] != stamp);
            scratch.fps[fp] = stamp;
        }
        ranked.sort_by_key(|(shared, doc, _)| (std::cmp::Reverse(*shared), *doc));
        ranked.truncate(cover::MAX_SOURCES);
        scratch.probe.set(sketch.tokens(), sketch.width());
        scratch.seen.clear();
        scratch.seen.resize(scratch.probe.len(), 0);
        scratch.stamp = 0;
        let mut covering = Vec::new();
        for (_, doc, range) in ranked {
            // Hits are sorted by (which, entry) within the document.
            let mut entries: Vec<_> = hits[range]
                .chunk_by(|a, b| a >> 32 == b >> 32)
                .map(|group| {
                    let key = (group[0] >> 32) as u32;
                    let id = key & !LOCAL_HIT;
                    if key & LOCAL_HIT == 0 {
                        sources.entry(id)
                    } else {
                        local.entry(id)
                    }
                })
                .collect();
            entries.sort_by_key(|e| e.at);
            if let Some(c) = covering_of(doc, entries, scratch) {
                if c.coverage >= near.rule.candidate {
                    covering.push(c);
                }
            }
        }
        scratch.hits = hits;
        covering.sort_by(|a, b| b.coverage.total_cmp(&a.coverage).then(a.doc.cmp(&b.doc)));
        scratch.prepared = false;
        let mut out = Vec::new();
        for c in covering {
            if let Some(e) = self.measure(near, at, sketch, c, index, local, scratch) {
                let decided = near.rule.decides(&e);
                out.push(e);
                if decided {
                    break;
                }
            }
        }
        out
    }

    /// The evidence of one source document, from its covering paragraphs:
    /// `None` when its word coverage cannot reach the threshold.
    #[allow(clippy::too_many_arguments)]
    fn measure(
        &self,
        near: &NearSettings,
        at: ParagraphRef,
        sketch: &Sketch,
        covering: Covering<'_>,
        index: &Index,
        local: &Sources,
        scratch: &mut Scratch,
    ) -> Option<Evidence> {
        let Covering {
            doc,
            entries,
            stretches,
            coverage,
            best,
        } = covering;
        // The source to align: of each covering paragraph, the stretch from
        // P's length before its first shared shingle to P's length after its
        // last. What lies further cannot be matched in order without a gap
        // longer than P, and leaving it out bounds the diff's cost.
        let source = &mut scratch.source;
        source.clear();
        let reach = sketch.tokens().len();
        for (e, stretch) in entries.iter().zip(&stretches) {
            let Some((first, last)) = *stretch else {
                continue;
            };
            let last = last + e.width.min(e.tokens.len());
            let from = first.saturating_sub(reach);
            let to = (last + reach).min(e.tokens.len());
            source.extend_from_slice(&e.tokens[from..to]);
        }
        let (word_coverage, guard) = if sketch.tokens().len() > cover::MAX_ALIGN_WORDS
            || source.len() > cover::MAX_ALIGN_SOURCE
        {
            (coverage, None)
        } else {
            if !scratch.prepared {
                scratch.align.prepare(sketch.tokens(), &self.attribution);
                scratch.prepared = true;
            }
            if scratch.align.coverage_bound(source) < near.rule.coverage {
                return None;
            }
            let bloom = |t: u32| {
                sketch
                    .blooms()
                    .iter()
                    .find(|(token, _)| same_word(*token, t))
                    .map(|&(_, b)| b)
                    .or_else(|| local.bloom(t))
                    .or_else(|| index.sources().bloom(t))
                    .unwrap_or(0)
            };
            // A word seen in lowercase before is no name, whatever its case
            // in P or its source.
            let common = |t: u32| index.is_common(t);
            cover::align(
                sketch.tokens(),
                source,
                &self.attribution,
                &bloom,
                &common,
                &mut scratch.align,
            )
        };
        // Jaccard similarity with the best covering paragraph.
        let (shared, best) = best;
        let best = &entries[best];
        let union = scratch.probe.len() + scratch.probe.distinct(best.tokens, best.width) - shared;
        Some(Evidence {
            later: at,
            source: doc,
            best: best.at,
            kept_copy: best.kept,
            paragraphs: entries.iter().map(|e| e.at).collect(),
            similarity: shared as f64 / union as f64,
            shingle_coverage: coverage,
            word_coverage,
            guard,
        })
    }

    /// Analyzes and decides in one call.
    pub fn clean(&self, index: &mut Index, id: &str, text: &str) -> Cleaned {
        let analysis = self.analyze_against(index, text);
        self.decide(index, id, analysis)
    }
}

/// The bit of a hit key that marks an entry of the document's own
/// paragraphs.
const LOCAL_HIT: u32 = 1 << 31;

/// Buffers reused across the paragraphs of a document.
#[derive(Default)]
struct Scratch {
    hits: Vec<u64>,
    /// Per fingerprint of P, the stamp of the last document holding it.
    fps: Vec<u32>,
    /// Per shingle of the paragraph: whether the current source document
    /// holds it, and the last covering paragraph (by stamp) that did.
    found: Vec<bool>,
    seen: Vec<u32>,
    stamp: u32,
    /// P's shingles, to find in its sources.
    probe: ShingleProbe,
    /// The source tokens to align.
    source: Vec<u32>,
    align: cover::AlignScratch,
    /// Whether `align` is prepared for the current paragraph.
    prepared: bool,
}

/// What one source document's covering paragraphs hold of a paragraph's
/// shingles, before any alignment.
struct Covering<'a> {
    doc: DocId,
    /// Its paragraphs that share a fingerprint with P, in order.
    entries: Vec<index::SourceEntry<'a>>,
    /// Per entry, the positions of its first and last shingle found in P.
    stretches: Vec<Option<(usize, usize)>>,
    /// Share of P's shingles found in the entries.
    coverage: f64,
    /// (shingles of P it holds, entry) of the entry holding the most (the
    /// earliest on ties).
    best: (usize, usize),
}

/// The shingle coverage of `sketch` by one source document's `entries`
/// (sorted by paragraph); `None` when there are none.
fn covering_of<'a>(
    doc: DocId,
    entries: Vec<index::SourceEntry<'a>>,
    scratch: &mut Scratch,
) -> Option<Covering<'a>> {
    let found = &mut scratch.found;
    found.clear();
    found.resize(scratch.probe.len(), false);
    let mut best: Option<(usize, usize)> = None;
    let mut stretches = Vec::with_capacity(entries.len());
    for (k, e) in entries.iter().enumerate() {
        scratch.stamp += 1;
        let stamp = scratch.stamp;
        let seen = &mut scratch.seen;
        let mut stretch = None;
        let mut shared = 0;
        scratch.probe.matches(e.tokens, e.width, |i, j| {
            found[j] = true;
            if seen[j] != stamp {
                seen[j] = stamp;
                shared += 1;
            }
            stretch = Some(stretch.map_or((i, i), |(first, _): (usize, usize)| (first, i)));
        });
        stretches.push(stretch);
        if best.is_none_or(|(n, _)| shared > n) {
            best = Some((shared, k));
        }
    }
    let coverage = found.iter().filter(|&&f| f).count() as f64 / scratch.probe.len() as f64;
    Some(Covering {
        doc,
        entries,
        stretches,
        coverage,
        best: best?,
    })
}

/// Turns short paragraphs into run removals where they continue a run of
/// (near-)duplicates, until nothing changes. `near` allows close (not
/// equal) short paragraphs, when the near-duplicate stage is on.
fn extend_runs(
    index: &Index,
    doc: DocId,
    candidates: &[Candidate<'_>],
    fates: &mut [Fate],
    near: bool,
) {
    // The paragraph `step` after `at`, in this document or a decided one.
    let neighbour = |at: ParagraphRef, step: isize| {
        if at.doc != doc {
            return index.neighbour(at, step);
        }
        let (_, c) = index::step_from(candidates, at.paragraph, |c| c.paragraph, step)?;
        let at = ParagraphRef {
            doc,
            paragraph: c.paragraph,
        };
        Some((at, c.hash, c.short_key))
    };
    loop {
        let mut changed = false;
        for pos in 0..fates.len() {
            let candidate = &candidates[pos];
            if !candidate.short {
                continue;
            }
            if !matches!(fates[pos], Fate::Keep | Fate::ShortRepeat(_)) {
                continue;
            }
            // The neighbour on `side` repeats a copy that has, on the same
            // side of it, a paragraph equal or close to this one.
            let aligned = |side: isize| {
                let copy = pos
                    .checked_add_signed(side)
                    .and_then(|n| fates.get(n))?
                    .copy()?;
                let (at, hash, short_key) = neighbour(copy, -side)?;
                if hash == candidate.hash {
                    return Some(Fate::Duplicate(at, "duplicate-run"));
                }
                if !near {
                    return None;
                }
                let key = candidate.short_key?;
                let similarity = strsim::normalized_levenshtein(key, short_key?);
                (similarity >= SHORT_SIMILARITY).then_some(Fate::Near(
                    NearMatch {
                        of: at,
                        similarity,
                        containment: None,
                        coverage: None,
                    },
                    "near-duplicate-run",
                ))
            };
            if let Some(fate) = aligned(-1).or_else(|| aligned(1)) {
                // An exact run removal names the earliest kept copy.
                fates[pos] = match (fate, fates[pos]) {
                    (Fate::Duplicate(_, rule), Fate::ShortRepeat(first)) => {
                        Fate::Duplicate(first, rule)
                    }
                    (fate, _) => fate,
                };
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
}

/// Whether the candidate at a position of a document of `len` candidates
/// stands at its edge, where page furniture goes: the first, or among the
/// last [`FURNITURE_TAIL`], in a document with a body between them. In a
/// record of a few lines every line is at an edge, and a recurring one is
/// its structure ("Nine mths" above the nine months' figures).
fn furniture_edges(len: usize) -> impl Fn(usize) -> bool {
    move |pos| len > 2 * FURNITURE_TAIL && (pos == 0 || pos + FURNITURE_TAIL >= len)
}

/// Hash of the sequence of kept paragraphs, `None` when none is kept.
fn kept_document_hash(candidates: &[Candidate], fates: &[Fate]) -> Option<u64> {
    let kept: Vec<u64> = candidates
        .iter()
        .zip(fates)
        .filter(|(_, f)| matches!(f, Fate::Keep | Fate::ShortRepeat(_)))
        .map(|(c, _)| c.hash)
        .collect();
    (!kept.is_empty()).then(|| document_hash(&kept))
}

/// Turns every kept paragraph into a `duplicate-document` removal of its
/// earliest kept copy; false (and nothing changed) when one has none.
fn remove_kept(index: &Index, candidates: &[Candidate], fates: &mut [Fate]) -> bool {
    let mut removals = Vec::new();
    for (pos, (c, fate)) in candidates.iter().zip(fates.iter()).enumerate() {
        if matches!(fate, Fate::Keep | Fate::ShortRepeat(_)) {
            match index.first_copy(c.hash) {
                Some(at) => removals.push((pos, Fate::Duplicate(at, "duplicate-document"))),
                None => return false,
            }
        }
    }
    for (pos, fate) in removals {
        fates[pos] = fate;
    }
    true
}

/// Share of the candidates' bytes removed as repeats of earlier documents.
fn duplicate_fraction(
    doc: DocId,
    analysis: &Analysis,
    candidates: &[Candidate],
    fates: &[Fate],
) -> f64 {
    let mut total = 0usize;
    let mut repeated = 0usize;
    for (c, fate) in candidates.iter().zip(fates) {
        let len = analysis.paragraphs[c.paragraph as usize].span.len();
        total += len;
        if fate.copy().is_some_and(|at| at.doc != doc) {
            repeated += len;
        }
    }
    if total == 0 {
        0.0
    } else {
        repeated as f64 / total as f64
    }
}

/// Records a decided (not dropped) document's kept paragraphs in the index.
fn commit(
    index: &mut Index,
    doc: DocId,
    analysis: &Analysis,
    candidates: &[Candidate],
    fates: &[Fate],
    doc_hash: Option<u64>,
) {
    for (c, fate) in candidates.iter().zip(fates) {
        let at = ParagraphRef {
            doc,
            paragraph: c.paragraph,
        };
        match fate {
            Fate::Keep | Fate::ShortRepeat(_) => {
                index.insert_paragraph(c.hash, at);
                if let (Fate::Keep, Some(sketch)) = (fate, &analysis.sketches[c.paragraph as usize])
                {
                    if index.first_copy(c.hash) == Some(at) {
                        index.insert_source(at, at, sketch);
                    }
                }
            }
            // A later exact copy of a near-duplicate repeats the same kept
            // paragraph (short copies are still kept unless in a run). The
            // first text of a near-duplicate is a source for later ones.
            Fate::Near(m, _) => {
                if index.alias(c.hash).is_none() {
                    if let Some(sketch) = &analysis.sketches[c.paragraph as usize] {
                        index.insert_source(at, m.of, sketch);
                    }
                }
                index.insert_alias(c.hash, *m);
            }
            Fate::Duplicate(..) | Fate::Furniture(_) => {}
        }
    }
    index.count_short_lines(
        candidates
            .iter()
            .filter(|c| c.short)
            .map(|c| c.hash)
            .collect(),
    );
    if let Some(hash) = doc_hash {
        index.insert_document(hash, doc);
    }
}

/// Builds the cleaned document from each paragraph's fate (`None` for
/// paragraphs the normalizer removed).
fn assemble(
    doc: DocId,
    analysis: Analysis,
    fate_of: Vec<Option<Fate>>,
    duplicate_document_of: Option<DocId>,
    merged: Vec<(u32, Vec<ParagraphRef>)>,
) -> Cleaned {
    let mut merged = merged.into_iter().peekable();
    let separator = analysis.layout.separator();
    let mut text = String::new();
    let mut removed = Vec::new();
    let mut paragraphs = Vec::with_capacity(analysis.paragraphs.len());
    for (i, (para, fate)) in analysis.paragraphs.into_iter().zip(fate_of).enumerate() {
        let sources = merged
            .next_if(|(p, _)| *p as usize == i)
            .map(|(_, s)| s)
            .unwrap_or_default();
        let kept_text = match para.state {
            ParagraphState::Removed(removal) => {
                removed.push(removal);
                None
            }
            ParagraphState::Kept(kept) => Some(kept),
        };
        let kept = match (kept_text, fate) {
            (None, _) => false,
            (Some(_), Some(Fate::Duplicate(at, rule))) => {
                let mut removal = Removal::new(
                    RemovalKind::Duplicate,
                    Some(RuleId::from_static(rule)),
                    para.span,
                );
                removal.duplicate_of = Some(at);
                removed.push(removal);
                false
            }
            (Some(_), Some(Fate::Furniture(first))) => {
                let mut removal =
                    Removal::new(RemovalKind::Boilerplate, Some(FURNITURE_RULE), para.span);
                removal.duplicate_of = Some(first);
                removed.push(removal);
                false
            }
            (Some(_), Some(Fate::Near(m, rule))) => {
                let mut removal = Removal::new(
                    RemovalKind::NearDuplicate,
                    Some(RuleId::from_static(rule)),
                    para.span,
                );
                removal.duplicate_of = Some(m.of);
                removal.similarity = Some(m.similarity);
                removal.containment = m.containment;
                removal.coverage = m.coverage;
                removal.sources = sources;
                removed.push(removal);
                false
            }
            (Some(kept), _) => {
                if !text.is_empty() {
                    text.push_str(separator);
                }
                text.push_str(&kept.text);
                removed.extend(kept.cuts);
                true
            }
        };
        paragraphs.push(ParagraphOutcome {
            span: para.span,
            kept,
        });
    }
    Cleaned {
        doc,
        layout: analysis.layout,
        text,
        removed,
        paragraphs,
        duplicate_document_of,
        duplicate_fraction: 0.0,
        dropped: false,
        near_pairs_verified: 0,
        near_paragraphs_checked: 0,
        bytes_in: analysis.bytes_in,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LONG_A: &str =
        "The harbour authority said on Tuesday that the port would reopen next week.";
    const LONG_B: &str =
        "Shipping companies had diverted dozens of vessels to other ports in the region.";

    fn removed_rules(cleaned: &Cleaned) -> Vec<&str> {
        cleaned
            .removed
            .iter()
            .map(|r| r.rule.as_deref().unwrap_or(""))
            .collect()
    }

    #[test]
    fn lead_repeated_with_other_dash_goes() {
        let text = format!("Lima \u{2013} {LONG_A}\n{LONG_B}\nLima - {LONG_A}\n");
        let cleaned = Cleaner::new().clean(&mut Index::new(), "a", &text);
        assert_eq!(cleaned.text, format!("Lima \u{2013} {LONG_A}\n{LONG_B}"));
        assert_eq!(removed_rules(&cleaned), ["duplicate-paragraph"]);
        assert_eq!(
            cleaned.removed[0].duplicate_of,
            Some(ParagraphRef {
                doc: DocId(0),
                paragraph: 0
            })
        );
    }

    #[test]
    fn repeated_body_goes_with_its_headings() {
        let body = format!("Port news\n{LONG_A}\nWhat next\n{LONG_B}\n");
        let text = format!("{body}{body}What next\n");
        let cleaned = Cleaner::new().clean(&mut Index::new(), "a", &text);
        assert_eq!(cleaned.text, format!("{}\nWhat next", body.trim_end()));
        assert_eq!(
            removed_rules(&cleaned),
            [
                "duplicate-run",
                "duplicate-paragraph",
                "duplicate-run",
                "duplicate-paragraph"
            ]
        );
        // The trailing lone heading is not part of a run: it stays.
        assert_eq!(cleaned.paragraphs.last().map(|p| p.kept), Some(true));
    }

    #[test]
    fn short_paragraph_recurring_alone_stays() {
        let cleaner = Cleaner::new();
        let mut index = Index::new();
        cleaner.clean(&mut index, "a", &format!("{LONG_A}\nReuter\n"));
        let second = cleaner.clean(&mut index, "b", &format!("{LONG_B}\nReuter\n"));
        assert!(second.removed.is_empty());
    }

    #[test]
    fn across_documents_and_repeated_documents() {
        let cleaner = Cleaner::new();
        let mut index = Index::new();
        let first = cleaner.clean(&mut index, "a", &format!("Headline\n{LONG_A}\n"));
        assert!(first.removed.is_empty());
        let partial = cleaner.clean(&mut index, "b", &format!("{LONG_B}\n{LONG_A}\n"));
        assert_eq!(removed_rules(&partial), ["duplicate-paragraph"]);
        let repeat = cleaner.clean(&mut index, "c", &format!("HEADLINE\n\n{LONG_A}"));
        assert_eq!(repeat.duplicate_document_of, Some(DocId(0)));
        assert_eq!(repeat.text, "");
        assert_eq!(
            removed_rules(&repeat),
            ["duplicate-document", "duplicate-document"]
        );
        assert_eq!(index.name(DocId(1)), "b");
    }

    #[test]
    fn builder_rejects_zero_short_words() {
        let err = Cleaner::builder()
            .short_paragraph_words(0)
            .build()
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "short_paragraph_words must be at least 1, got 0"
        );
    }

    /// A distinct article of `index`: a title, a subhead and three body
    /// paragraphs that no other article shares, then `tail`.
    fn article(index: usize, tail: &str) -> String {
        let words = ["port", "grain", "steel", "rail", "bank", "power", "ship"];
        let word = |k: usize| words[(index / 7usize.pow(k as u32)) % 7];
        let body: Vec<String> = (0..3)
            .map(|p| {
                format!(
                    "Officials of the {} {} {} office said item {index}.{p} moved by {} points today.",
                    word(0),
                    word(1),
                    word(2),
                    index * 3 + p
                )
            })
            .collect();
        format!(
            "Title number {index}\n\nBackground\n\n{}\n\n{tail}",
            body.join("\n\n")
        )
    }

    #[test]
    fn a_short_line_at_the_end_of_hundreds_of_articles_is_furniture() {
        let cleaner = Cleaner::new();
        let mut index = Index::new();
        let plug = "Click here to subscribe.";
        let mut furniture = Vec::new();
        for i in 0..150 {
            let cleaned = cleaner.clean(&mut index, &i.to_string(), &article(i, plug));
            let rules = removed_rules(&cleaned);
            // The heading inside the body recurs as often, and stays.
            assert!(cleaned.text.contains("Background"), "article {i}");
            furniture.push(rules == [FURNITURE_RULE.as_str()]);
        }
        // Kept while it had been seen in fewer than a hundred articles.
        let first = furniture.iter().position(|&f| f);
        assert_eq!(first, Some(FURNITURE_MIN_DOCS as usize));
        assert!(furniture[100..].iter().all(|&f| f));
        // A short record: every line is at an edge, none is furniture.
        let record = format!("Title number 1000\n\n{plug}\n\nPay May 15");
        let cleaned = cleaner.clean(&mut index, "record", &record);
        assert!(cleaned.removed.is_empty(), "{:?}", cleaned.removed);
    }
}
