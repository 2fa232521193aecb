//! What was removed, where and why: the records the report is made of.

use serde::{Deserialize, Serialize};

use crate::span::Span;

/// Why a piece of input was removed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RemovalKind {
    /// The paragraph's matching key equals that of an earlier kept paragraph.
    Duplicate,
    /// The paragraph's shingles are close to those of an earlier kept
    /// paragraph (verified Jaccard similarity or containment).
    NearDuplicate,
    /// A boilerplate rule matched; the removal names the rule.
    Boilerplate,
    /// A link, cut out of its sentence, or a paragraph that was only links.
    Link,
    /// A paragraph with no letters or digits left after clean-up (only
    /// entities for spaces, control characters, or punctuation).
    Empty,
}

impl RemovalKind {
    /// The name used in the report.
    pub fn as_str(self) -> &'static str {
        match self {
            RemovalKind::Duplicate => "duplicate",
            RemovalKind::NearDuplicate => "near_duplicate",
            RemovalKind::Boilerplate => "boilerplate",
            RemovalKind::Link => "link",
            RemovalKind::Empty => "empty",
        }
    }
}

/// Identifies a document in an [`Index`](crate::Index): its position in the
/// order documents were cleaned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct DocId(pub u32);

/// A paragraph of a document that was cleaned earlier (or of the same one).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ParagraphRef {
    /// The document.
    pub doc: DocId,
    /// Index of the paragraph among that document's paragraphs (0-based).
    pub paragraph: u32,
}

/// One removed piece of a document.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Removal {
    /// Why it went.
    pub kind: RemovalKind,
    /// The rule that matched, for boilerplate (and for links and duplicates
    /// the mechanism: `link`, `duplicate-paragraph`, `duplicate-run`,
    /// `duplicate-document`).
    pub rule: Option<String>,
    /// Where it was, in the input text of the document.
    pub span: Span,
    /// For duplicates, the earliest kept copy.
    pub duplicate_of: Option<ParagraphRef>,
    /// For near-duplicates, the similarity to the paragraph it repeats
    /// (Jaccard of shingle sets; for short paragraphs in a run, normalized
    /// Levenshtein).
    pub similarity: Option<f64>,
    /// For near-duplicates, the share of this paragraph's shingles found in
    /// the earlier article it repeats (in the paragraphs of `sources`, or in
    /// `duplicate_of`'s when `sources` is empty).
    pub containment: Option<f64>,
    /// For near-duplicates found by coverage, the share of this paragraph's
    /// words matched in order in the earlier article.
    pub coverage: Option<f64>,
    /// For a near-duplicate found by coverage, the paragraphs of the earlier
    /// article that hold it (kept or removed), in order: several when it
    /// joins re-paragraphed text. `duplicate_of` names the kept copy of
    /// the one holding most of it. Empty for other removals.
    pub sources: Vec<ParagraphRef>,
}

impl Removal {
    /// A removal with no duplicate reference.
    pub fn new(kind: RemovalKind, rule: Option<&str>, span: Span) -> Removal {
        Removal {
            kind,
            rule: rule.map(str::to_string),
            span,
            duplicate_of: None,
            similarity: None,
            containment: None,
            coverage: None,
            sources: Vec::new(),
        }
    }
}
