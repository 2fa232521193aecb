//! Stage 3: the cleaner. Decides what stays, emits the cleaned text and the
//! removals the report is made of.
//!
//! Cleaning a document is two steps, so that the expensive one can run in
//! parallel while the decisions stay those of one thread in input order:
//!
//! 1. [`Cleaner::analyze`] (pure, `&self`): normalize every paragraph, hash
//!    its matching key.
//! 2. [`Cleaner::decide`] (`&mut Index`, in input order): exact duplicates
//!    within and across documents, runs of repeated paragraphs, repeated
//!    documents.
//!
//! [`Cleaner::clean`] does both.
//!
//! # Decision rules
//!
//! * A paragraph whose hash equals that of an earlier kept paragraph (in this
//!   document or an earlier one) is a `duplicate` of the earliest kept copy,
//!   rule `duplicate-paragraph`.
//! * A *short* paragraph (fewer than [`CleanerBuilder::short_paragraph_words`]
//!   words in its matching key; a heading such as "Mexico under pressure") is
//!   never removed merely because it recurs. It is removed, rule
//!   `duplicate-run`, when it stands next to a removed duplicate and its copy
//!   stands next to that duplicate's copy in the same way: it is part of a
//!   repeated run of paragraphs. Runs grow until nothing changes.
//! * A document whose paragraph hashes all equal, in order, those of an
//!   earlier document is a repeated document (`duplicate_document_of`): all
//!   its paragraphs go, rule `duplicate-document`, short ones included.

mod index;

pub use index::Index;

use crate::error::{Error, ErrorKind};
use crate::normalize::{
    NormalizedParagraph, Normalizer, NormalizerBuilder, is_ignorable, key_words,
};
use crate::paragraph::Layout;
use crate::removal::{DocId, ParagraphRef, Removal, RemovalKind};
use crate::shingle::{document_hash, paragraph_hash};
use crate::span::Span;

/// Default for [`CleanerBuilder::short_paragraph_words`].
pub const SHORT_PARAGRAPH_WORDS: usize = 8;

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
}

/// Settings for a [`Cleaner`].
#[derive(Clone, Debug)]
pub struct CleanerBuilder {
    normalizer: NormalizerBuilder,
    short_words: usize,
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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fate {
    Keep,
    Duplicate(ParagraphRef, &'static str),
    /// A short paragraph with an earlier copy: kept unless part of a run.
    ShortRepeat(ParagraphRef),
}

impl Default for CleanerBuilder {
    fn default() -> CleanerBuilder {
        CleanerBuilder {
            normalizer: Normalizer::builder(),
            short_words: SHORT_PARAGRAPH_WORDS,
        }
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

    /// Validates the settings.
    pub fn build(self) -> Result<Cleaner, Error> {
        if self.short_words == 0 {
            return Err(Error::new(ErrorKind::OutOfRange {
                setting: "short_paragraph_words",
                value: "0".to_string(),
                expected: "at least 1",
            }));
        }
        Ok(Cleaner {
            normalizer: self.normalizer.build()?,
            short_words: self.short_words,
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

    /// Step 1: normalize and hash. Needs no index; safe to run in parallel.
    pub fn analyze(&self, text: &str) -> Analysis {
        let doc = self.normalizer.normalize_document(text);
        let hashes = doc
            .paragraphs
            .iter()
            .map(|p| p.removed.is_none().then(|| paragraph_hash(&p.key)))
            .collect();
        Analysis {
            layout: doc.layout,
            bytes_in: text.len(),
            paragraphs: doc.paragraphs,
            hashes,
        }
    }

    /// Step 2: decide against `index` and record the document in it under
    /// `id`. Call in input order.
    pub fn decide(&self, index: &mut Index, id: &str, analysis: Analysis) -> Cleaned {
        let doc = index.add_document(id);
        let candidates: Vec<(u32, u64)> = analysis
            .hashes
            .iter()
            .enumerate()
            .filter_map(|(i, h)| h.map(|h| (i as u32, h)))
            .collect();
        let mut fates = vec![Fate::Keep; candidates.len()];
        let mut duplicate_document_of = None;
        if !candidates.is_empty() {
            let hashes: Vec<u64> = candidates.iter().map(|c| c.1).collect();
            duplicate_document_of = index.insert_document(document_hash(&hashes), doc);
        }
        let repeated_document = duplicate_document_of.is_some()
            && candidates
                .iter()
                .zip(fates.iter_mut())
                .all(|(&(_, hash), fate)| match index.first_copy(hash) {
                    Some(at) => {
                        *fate = Fate::Duplicate(at, "duplicate-document");
                        true
                    }
                    None => false,
                });
        if !repeated_document {
            duplicate_document_of = None;
            for (fate, &(paragraph, hash)) in fates.iter_mut().zip(&candidates) {
                let short =
                    key_words(&analysis.paragraphs[paragraph as usize].key) < self.short_words;
                *fate = match index.first_copy(hash) {
                    Some(at) if short => Fate::ShortRepeat(at),
                    Some(at) => Fate::Duplicate(at, "duplicate-paragraph"),
                    None => {
                        index.insert_paragraph(hash, ParagraphRef { doc, paragraph });
                        Fate::Keep
                    }
                };
            }
        }
        index.set_candidates(doc, candidates);
        let candidates = index.candidates(doc);
        if duplicate_document_of.is_none() {
            extend_runs(index, candidates, &mut fates);
        }
        assemble(doc, analysis, candidates, &fates, duplicate_document_of)
    }

    /// Analyzes and decides in one call.
    pub fn clean(&self, index: &mut Index, id: &str, text: &str) -> Cleaned {
        let analysis = self.analyze(text);
        self.decide(index, id, analysis)
    }
}

/// Turns short repeats into `duplicate-run` removals where they continue a
/// run of duplicates, until nothing changes.
fn extend_runs(index: &Index, candidates: &[(u32, u64)], fates: &mut [Fate]) {
    loop {
        let mut changed = false;
        for pos in 0..fates.len() {
            let Fate::ShortRepeat(first) = fates[pos] else {
                continue;
            };
            let hash = candidates[pos].1;
            // The neighbour on `side` is a duplicate whose copy has, on the
            // opposite side, a paragraph equal to this one.
            let aligned = |side: isize| {
                let neighbour = pos.checked_add_signed(side).and_then(|n| fates.get(n));
                match neighbour {
                    Some(Fate::Duplicate(copy, _)) => {
                        index.neighbour_hash(*copy, -side) == Some(hash)
                    }
                    _ => false,
                }
            };
            if aligned(-1) || aligned(1) {
                fates[pos] = Fate::Duplicate(first, "duplicate-run");
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
}

fn assemble(
    doc: DocId,
    analysis: Analysis,
    candidates: &[(u32, u64)],
    fates: &[Fate],
    duplicate_document_of: Option<DocId>,
) -> Cleaned {
    let mut fate_of = vec![None; analysis.paragraphs.len()];
    for (&(paragraph, _), fate) in candidates.iter().zip(fates) {
        fate_of[paragraph as usize] = Some(*fate);
    }
    let separator = analysis.layout.separator();
    let mut text = String::new();
    let mut removed = Vec::new();
    let mut paragraphs = Vec::with_capacity(analysis.paragraphs.len());
    for (para, fate) in analysis.paragraphs.into_iter().zip(fate_of) {
        let kept = match (para.removed, fate) {
            (Some(removal), _) => {
                removed.push(removal);
                false
            }
            (None, Some(Fate::Duplicate(at, rule))) => {
                let mut removal = Removal::new(RemovalKind::Duplicate, Some(rule), para.span);
                removal.duplicate_of = Some(at);
                removed.push(removal);
                false
            }
            (None, _) => {
                if !text.is_empty() {
                    text.push_str(separator);
                }
                text.push_str(&para.text);
                removed.extend(para.cuts);
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
}
