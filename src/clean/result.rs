//! The result of cleaning a document: its text, its removals and each
//! paragraph's outcome.

use super::decision::Fate;
use super::{Analysis, FURNITURE_RULE};
use crate::normalize::{ParagraphState, is_ignorable};
use crate::paragraph::Layout;
use crate::removal::{DocId, ParagraphRef, Removal, RemovalKind, RuleId};
use crate::span::Span;

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
    /// [`CleanerBuilder::drop_duplicate_docs`](super::CleanerBuilder::drop_duplicate_docs): it is not to be written, and
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
            if let Some(r) = removals.peek()
                && r.span.start < p.span.start
            {
                return Err(format!("removal {:?} starts outside any paragraph", r.span));
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

/// Builds the cleaned document from each paragraph's fate (`None` for
/// paragraphs the normalizer removed).
pub(super) fn assemble(
    doc: DocId,
    analysis: Analysis,
    fate_of: Vec<Option<Fate>>,
    duplicate_document_of: Option<DocId>,
    merged: Vec<(u32, Vec<ParagraphRef>)>,
) -> Cleaned {
    let mut merged = merged.into_iter().peekable();
    let separator = analysis.layout.separator();
    // The input's length bounds the cleaned text's in all but odd cases
    // (NFC growing a paragraph): one allocation, not one per doubling.
    let mut text = String::with_capacity(analysis.bytes_in);
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
