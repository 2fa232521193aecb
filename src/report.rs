//! The diff report: JSON Lines, one record per line, each with a `type`.
//!
//! A report is a `run` record (the parameters), then one `document` or
//! `skipped` record per input record in input order, then a `summary`
//! record (corpus totals). It holds no timings and no absolute paths, so two
//! runs over the same input give the same bytes. [`SCHEMA_VERSION`] changes
//! whenever a field changes meaning or goes away.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::clean::site::{self, SiteBoilerplate};
use crate::clean::{Cleaned, Cleaner, Index, MAX_POSTINGS, SHORT_SIMILARITY, cover};
use crate::normalize::{MAX_TOKEN_BYTES, Mode, Rule, page};
use crate::paragraph::{
    Layout, WRAP_CASE_SAMPLE, WRAP_MAX_WIDTH, WRAP_MIN_LINES, WRAP_MIN_WIDTH, WRAP_NARROW_WIDTH,
};
use crate::removal::{RemovalKind, RuleId};
use crate::shingle::tokens::TOKEN_SEED;
use crate::shingle::{HASH_NAME, SEED};

/// Version of the report format.
pub const SCHEMA_VERSION: u32 = 1;

/// One line of the report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Record {
    /// First line: everything the results depend on.
    Run(Box<RunRecord>),
    /// One cleaned input record.
    Document(DocumentRecord),
    /// One input record that could not be read and was skipped.
    Skipped(SkippedRecord),
    /// Last line: corpus totals.
    Summary(Summary),
}

/// The parameters of a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RunRecord {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// `newsdedup`.
    pub tool: String,
    /// The crate version.
    pub version: String,
    /// Paragraph hash function.
    pub hash: String,
    /// Its seed.
    pub seed: u64,
    /// Short-paragraph bound in words.
    pub short_paragraph_words: usize,
    /// Whether links are cut out of kept text.
    pub remove_links: bool,
    /// Longest token handed to the URL parser.
    pub max_link_token_bytes: usize,
    /// Hard-wrap detection thresholds.
    pub wrap_detection: WrapDetection,
    /// The near-duplicate stage, `None` when off.
    pub near: Option<NearParams>,
    /// `--drop-duplicate-docs` fraction, if any.
    pub drop_duplicate_docs: Option<f64>,
    /// The boilerplate rules in force, in order.
    pub rules: Vec<Rule>,
    /// Article or page text.
    #[serde(default)]
    pub mode: Mode,
    /// Whether page mode keeps the headline.
    #[serde(default)]
    pub keep_headline: bool,
    /// The page classifier's thresholds, in page mode.
    #[serde(default)]
    pub page: Option<PageParams>,
    /// Site boilerplate, when it was learnt (a first pass over the input).
    #[serde(default)]
    pub site_boilerplate: Option<SiteParams>,
    /// How much of each removed piece's text the report carries.
    #[serde(default)]
    pub report_text: ReportText,
}

/// How much of each removed piece's text a [`RemovedEntry`] carries: its
/// offsets and kind are always there, and with them the input gives the
/// text back.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportText {
    /// All of it.
    #[default]
    Full,
    /// Its first [`PREFIX_BYTES`] bytes at most (cut at a character
    /// boundary): enough to recognize it.
    Prefix,
    /// None: `text` is empty.
    None,
}

/// The start of `text` of at most `bytes` bytes, cut at a character
/// boundary.
pub(crate) fn prefix(text: &str, bytes: usize) -> &str {
    if text.len() <= bytes {
        return text;
    }
    let mut end = bytes;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Most bytes of a removed piece's text under [`ReportText::Prefix`].
pub const PREFIX_BYTES: usize = 80;

impl ReportText {
    /// What the report carries of `text`.
    pub fn of(self, text: &str) -> String {
        match self {
            ReportText::Full => text.to_owned(),
            ReportText::Prefix => prefix(text, PREFIX_BYTES).to_owned(),
            ReportText::None => String::new(),
        }
    }
}

/// The thresholds of page mode (see [`crate::normalize::page`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PageParams {
    /// [`page::LENGTH_LOW`].
    pub length_low: usize,
    /// [`page::LENGTH_HIGH`].
    pub length_high: usize,
    /// [`page::STOP_LOW`].
    pub stop_low: f64,
    /// [`page::STOP_HIGH`].
    pub stop_high: f64,
    /// [`page::DEFAULT_PROSE_DENSITY`].
    pub default_prose_density: f64,
    /// [`page::MAX_LINK_DENSITY`].
    pub max_link_density: f64,
    /// [`page::MIN_FURNITURE`].
    pub min_furniture: usize,
    /// [`page::MENU_RUN`].
    pub menu_run: usize,
    /// [`page::MENU_MAX_WORDS`].
    pub menu_max_words: usize,
    /// [`page::MAX_SHORT_RUN`].
    pub max_short_run: usize,
    /// [`page::LINE_PENALTY`].
    pub line_penalty: i64,
}

/// The thresholds of site boilerplate (see [`crate::clean::site`]) and
/// what was found.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SiteParams {
    /// [`site::SITE_MIN_SHARE`].
    pub min_share: f64,
    /// [`site::SITE_MIN_DOCS`].
    pub min_documents: u32,
    /// [`site::SITE_MIN_SITE_DOCS`].
    pub min_site_documents: u32,
    /// Lines found to be boilerplate, over all sites.
    pub lines: usize,
}

impl SiteParams {
    /// The thresholds, and the lines `found`.
    pub fn new(found: &SiteBoilerplate) -> SiteParams {
        SiteParams {
            min_share: site::SITE_MIN_SHARE,
            min_documents: site::SITE_MIN_DOCS,
            min_site_documents: site::SITE_MIN_SITE_DOCS,
            lines: found.len(),
        }
    }
}

/// Everything near-duplicate (coverage) evidence and decisions depend on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct NearParams {
    /// Word coverage at or above which a paragraph repeats a source.
    pub coverage: f64,
    /// Shingle coverage a source needs to be aligned.
    pub candidate_coverage: f64,
    /// Normalized Levenshtein threshold for short paragraphs in runs.
    pub short_similarity: f64,
    /// Words per shingle.
    pub shingle_words: usize,
    /// Characters per shingle in unspaced scripts.
    pub shingle_chars: usize,
    /// Seed of token and shingle hashes.
    pub token_seed: u64,
    /// Shingles per winnowing window.
    pub winnow_window: usize,
    /// Candidate sources measured per paragraph.
    pub max_sources: usize,
    /// Postings read per fingerprint.
    pub max_postings: usize,
    /// Guards: longest source side of a replacement (words, and times the
    /// paragraph side).
    pub replacement_words: usize,
    /// See `replacement_words`.
    pub replacement_ratio: usize,
    /// Spelling similarity below which two names differ.
    pub name_similarity: f64,
    /// Unmatched source words around a single matched word that still
    /// count it.
    pub anchor_gap: usize,
    /// Longest attribution clause counted as matched.
    pub attribution_words: usize,
    /// Longest paragraph aligned, in tokens.
    pub max_align_words: usize,
    /// Longest source aligned, in tokens.
    pub max_align_source: usize,
    /// [`cover::NAME_GUARD_MAX_WORDS`].
    #[serde(default)]
    pub name_guard_max_words: usize,
}

/// The thresholds of [`crate::paragraph::split`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WrapDetection {
    /// [`WRAP_MIN_LINES`].
    pub min_lines: usize,
    /// [`WRAP_MAX_WIDTH`].
    pub max_width: usize,
    /// [`WRAP_MIN_WIDTH`].
    pub min_width: usize,
    /// [`WRAP_CASE_SAMPLE`].
    pub case_sample: usize,
    /// [`WRAP_NARROW_WIDTH`].
    pub narrow_width: usize,
}

impl RunRecord {
    /// The parameters of `cleaner`.
    pub fn new(cleaner: &Cleaner) -> RunRecord {
        RunRecord {
            schema_version: SCHEMA_VERSION,
            tool: env!("CARGO_PKG_NAME").to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            hash: HASH_NAME.to_string(),
            seed: SEED,
            short_paragraph_words: cleaner.short_paragraph_words(),
            remove_links: cleaner.normalizer().removes_links(),
            max_link_token_bytes: MAX_TOKEN_BYTES,
            wrap_detection: WrapDetection {
                min_lines: WRAP_MIN_LINES,
                max_width: WRAP_MAX_WIDTH,
                min_width: WRAP_MIN_WIDTH,
                case_sample: WRAP_CASE_SAMPLE,
                narrow_width: WRAP_NARROW_WIDTH,
            },
            near: cleaner.near_settings().map(|n| NearParams {
                coverage: n.rule.coverage,
                candidate_coverage: n.rule.candidate,
                short_similarity: SHORT_SIMILARITY,
                shingle_words: n.shingle_words,
                shingle_chars: n.shingle_chars,
                token_seed: TOKEN_SEED,
                winnow_window: n.winnow_window,
                max_sources: cover::MAX_SOURCES,
                max_postings: MAX_POSTINGS,
                replacement_words: cover::REPLACEMENT_WORDS,
                replacement_ratio: cover::REPLACEMENT_RATIO,
                name_similarity: cover::NAME_SIMILARITY,
                anchor_gap: cover::ANCHOR_GAP,
                attribution_words: cover::ATTRIBUTION_WORDS,
                max_align_words: cover::MAX_ALIGN_WORDS,
                max_align_source: cover::MAX_ALIGN_SOURCE,
                name_guard_max_words: cover::NAME_GUARD_MAX_WORDS,
            }),
            drop_duplicate_docs: cleaner.drop_duplicate_docs(),
            rules: cleaner.normalizer().rule_set().rules().to_vec(),
            mode: cleaner.normalizer().mode(),
            keep_headline: cleaner.normalizer().keeps_headline(),
            page: (cleaner.normalizer().mode() == Mode::Page).then_some(PageParams {
                length_low: page::LENGTH_LOW,
                length_high: page::LENGTH_HIGH,
                stop_low: page::STOP_LOW,
                stop_high: page::STOP_HIGH,
                default_prose_density: page::DEFAULT_PROSE_DENSITY,
                max_link_density: page::MAX_LINK_DENSITY,
                min_furniture: page::MIN_FURNITURE,
                menu_run: page::MENU_RUN,
                menu_max_words: page::MENU_MAX_WORDS,
                max_short_run: page::MAX_SHORT_RUN,
                line_penalty: page::LINE_PENALTY,
            }),
            site_boilerplate: None,
            report_text: ReportText::Full,
        }
    }
}

/// What happened to one document.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DocumentRecord {
    /// The document's id.
    pub id: String,
    /// Where it came from: a path relative to the input root, with `:line`
    /// for JSONL.
    pub source: String,
    /// The detected layout.
    pub layout: Layout,
    /// Paragraphs in the input.
    pub paragraphs_in: usize,
    /// Paragraphs (wholly or partly) in the output.
    pub paragraphs_kept: usize,
    /// Bytes of input text.
    pub bytes_in: usize,
    /// Bytes of cleaned text.
    pub bytes_out: usize,
    /// Bytes covered by removals.
    pub bytes_removed: usize,
    /// Set when the whole document repeats an earlier one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duplicate_document_of: Option<String>,
    /// Share of the paragraph bytes that repeat earlier documents.
    pub duplicate_fraction: f64,
    /// Dropped for `--drop-duplicate-docs`: not written, not indexed.
    #[serde(default)]
    pub dropped: bool,
    /// Near-duplicate candidate pairs verified.
    #[serde(default)]
    pub near_pairs_verified: usize,
    /// Paragraphs that went through near-duplicate search.
    #[serde(default)]
    pub near_paragraphs_checked: usize,
    /// Every removal, sorted by `start`, disjoint.
    pub removed: Vec<RemovedEntry>,
}

/// One removed piece.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RemovedEntry {
    /// Why it went.
    pub kind: RemovalKind,
    /// Which rule removed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<RuleId>,
    /// Start, in UTF-8 bytes of the input text.
    pub start: usize,
    /// End (exclusive).
    pub end: usize,
    /// The removed input text, `input[start..end]`, or its start or
    /// nothing ([`RunRecord::report_text`]).
    pub text: String,
    /// For duplicates, the earliest kept copy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duplicate_of: Option<DuplicateOf>,
    /// For near-duplicates, the similarity to the kept copy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub similarity: Option<f64>,
    /// For near-duplicates, the share of this paragraph's shingles found in
    /// the earlier article it repeats.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub containment: Option<f64>,
    /// For near-duplicates found by coverage, the share of this
    /// paragraph's words matched in order in the earlier article.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coverage: Option<f64>,
    /// For a near-duplicate found by coverage, the paragraphs of the earlier
    /// article that hold it (kept or removed), in order: several when it
    /// joins re-paragraphed text.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<DuplicateOf>,
}

impl RemovedEntry {
    /// The removed text: from `input`, the text it was made from, when its
    /// offsets lie in it (the report may carry only a part,
    /// [`RunRecord::report_text`]); else as the report carries it.
    pub fn text_in<'a>(&'a self, input: &'a str) -> &'a str {
        input.get(self.start..self.end).unwrap_or(&self.text)
    }
}

/// The kept copy a duplicate repeats.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DuplicateOf {
    /// Its document's id.
    pub id: String,
    /// Its paragraph index in that document (0-based).
    pub paragraph: u32,
}

/// An input record that was skipped under `--on-error skip`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SkippedRecord {
    /// `file:line`, or the file for a whole-file error.
    pub source: String,
    /// What was wrong.
    pub error: String,
}

impl SkippedRecord {
    /// A skipped record.
    pub fn new(source: String, error: String) -> SkippedRecord {
        SkippedRecord { source, error }
    }
}

/// Count and bytes of one kind of removal.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// Number of removals.
    pub count: u64,
    /// Bytes of input they cover.
    pub bytes: u64,
}

/// Corpus totals.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Summary {
    /// Input records read (documents + skipped).
    pub records_in: u64,
    /// Records cleaned and not dropped: written to the output, when there
    /// is one (with `--diff` alone there is none). `records_in` is always
    /// `records_written + records_skipped + records_dropped`.
    pub records_written: u64,
    /// Records skipped for errors.
    pub records_skipped: u64,
    /// Records dropped as mostly duplicated (`--drop-duplicate-docs`).
    pub records_dropped: u64,
    /// Documents that repeat an earlier document.
    pub duplicate_documents: u64,
    /// Paragraphs read.
    pub paragraphs_in: u64,
    /// Paragraphs kept.
    pub paragraphs_kept: u64,
    /// Bytes of input text.
    pub bytes_in: u64,
    /// Bytes of cleaned text.
    pub bytes_out: u64,
    /// Removals by kind name.
    pub removed: BTreeMap<String, Tally>,
    /// Removals by rule id.
    pub rules: BTreeMap<String, Tally>,
    /// Near-duplicate candidate pairs verified.
    pub near_pairs_verified: u64,
    /// Paragraphs that went through near-duplicate search.
    pub near_paragraphs_checked: u64,
    /// Distinct paragraphs in the cross-article index.
    pub index_paragraphs: u64,
    /// Of those, paragraphs indexed for near-duplicate search.
    pub index_near_paragraphs: u64,
    /// Estimated bytes held by the cross-article index.
    pub index_memory_bytes: u64,
    /// `index_memory_bytes` per distinct paragraph in the index.
    pub index_bytes_per_paragraph: u64,
    /// `index_memory_bytes` by part ([`Index::memory_parts`]).
    pub index_memory: BTreeMap<String, u64>,
}

impl Summary {
    /// Adds a document to the totals.
    pub fn add_document(&mut self, doc: &DocumentRecord) {
        self.records_in += 1;
        self.records_dropped += u64::from(doc.dropped);
        self.near_pairs_verified += doc.near_pairs_verified as u64;
        self.near_paragraphs_checked += doc.near_paragraphs_checked as u64;
        self.duplicate_documents += u64::from(doc.duplicate_document_of.is_some());
        self.paragraphs_in += doc.paragraphs_in as u64;
        self.paragraphs_kept += doc.paragraphs_kept as u64;
        self.bytes_in += doc.bytes_in as u64;
        self.bytes_out += doc.bytes_out as u64;
        for r in &doc.removed {
            let bytes = (r.end - r.start) as u64;
            tally(&mut self.removed, r.kind.as_str(), bytes);
            let rule = r.rule.as_ref().map_or(r.kind.as_str(), RuleId::as_str);
            tally(&mut self.rules, rule, bytes);
        }
    }

    /// Adds a skipped record to the totals.
    pub fn add_skipped(&mut self) {
        self.records_in += 1;
        self.records_skipped += 1;
    }

    /// Records the index's size.
    pub fn set_index(&mut self, index: &Index) {
        self.index_paragraphs = index.distinct_paragraphs() as u64;
        self.index_near_paragraphs = index.near_paragraphs() as u64;
        self.index_memory_bytes = index.memory_bytes() as u64;
        self.index_bytes_per_paragraph = self
            .index_memory_bytes
            .checked_div(self.index_paragraphs)
            .unwrap_or(0);
        self.index_memory = index
            .memory_parts()
            .into_iter()
            .map(|(part, bytes)| (part.to_owned(), bytes as u64))
            .collect();
    }
}

/// Counts one removal of `bytes` under `key`, allocating the key only the
/// first time it is seen.
fn tally(tallies: &mut BTreeMap<String, Tally>, key: &str, bytes: u64) {
    let tally = match tallies.get_mut(key) {
        Some(tally) => tally,
        None => tallies.entry(key.to_string()).or_default(),
    };
    tally.count += 1;
    tally.bytes += bytes;
}

impl DocumentRecord {
    /// The record of `cleaned`, made from `input` (the text that was
    /// cleaned), `source`, and `index` (to name duplicates' documents),
    /// with the full text of every removed piece.
    pub fn new(cleaned: &Cleaned, input: &str, source: &str, index: &Index) -> DocumentRecord {
        DocumentRecord::with_text(cleaned, input, source, index, ReportText::Full)
    }

    /// [`DocumentRecord::new`], carrying `text` of each removed piece's
    /// text.
    pub fn with_text(
        cleaned: &Cleaned,
        input: &str,
        source: &str,
        index: &Index,
        text: ReportText,
    ) -> DocumentRecord {
        let removed: Vec<RemovedEntry> = cleaned
            .removed
            .iter()
            .map(|r| RemovedEntry {
                kind: r.kind,
                rule: r.rule.clone(),
                start: r.span.start,
                end: r.span.end,
                text: text.of(r.span.slice(input)),
                duplicate_of: r.duplicate_of.map(|at| DuplicateOf {
                    id: index.name(at.doc).to_string(),
                    paragraph: at.paragraph,
                }),
                similarity: r.similarity,
                containment: r.containment,
                coverage: r.coverage,
                sources: r
                    .sources
                    .iter()
                    .map(|at| DuplicateOf {
                        id: index.name(at.doc).to_string(),
                        paragraph: at.paragraph,
                    })
                    .collect(),
            })
            .collect();
        DocumentRecord {
            id: index.name(cleaned.doc).to_string(),
            source: source.to_string(),
            layout: cleaned.layout,
            paragraphs_in: cleaned.paragraphs.len(),
            paragraphs_kept: cleaned.paragraphs_kept(),
            bytes_in: cleaned.bytes_in,
            bytes_out: cleaned.text.len(),
            bytes_removed: removed.iter().map(|r| r.end - r.start).sum(),
            duplicate_document_of: cleaned
                .duplicate_document_of
                .map(|d| index.name(d).to_string()),
            duplicate_fraction: cleaned.duplicate_fraction,
            dropped: cleaned.dropped,
            near_pairs_verified: cleaned.near_pairs_verified,
            near_paragraphs_checked: cleaned.near_paragraphs_checked,
            removed,
        }
    }
}
