//! The cleaner's settings: defaults, the builder that validates them,
//! and the [`Cleaner`] they make.

use super::CoverRule;
use super::cover::Attribution;
use crate::error::{Error, ErrorKind};
use crate::normalize::page::StopWords;
use crate::normalize::{Normalizer, NormalizerBuilder};
use crate::removal::RuleId;
use crate::shingle::tokens::WINNOW_WINDOW;

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
/// rather than 1,024 changed 7 of 45,000 decisions on generated edits and
/// none on the dev set, and took a sixth off the run; 32 rather than 128
/// reads 15% fewer postings and looks up 29% fewer entries, changes 5
/// decisions on generated edits and none in the dev set's labelled
/// sample, and takes about 3% off the run.
pub const MAX_POSTINGS: usize = 32;
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

/// The cleaner: build once, share across threads, pass an [`Index`](super::Index) per corpus.
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
    pub(super) normalizer: Normalizer,
    pub(super) short_words: usize,
    pub(super) near: Option<NearSettings>,
    pub(super) drop_duplicate_docs: Option<f64>,
    pub(super) stop_words: StopWords,
    pub(super) attribution: Attribution,
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
}
