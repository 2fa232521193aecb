//! What was removed, where and why: the records the report is made of.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::span::Span;

/// The name of the rule behind a removal: a built-in mechanism
/// (`duplicate-paragraph`, `link`, `corpus-furniture`) or the id of a
/// boilerplate rule, built in or from a rules file.
///
/// Cheap to clone: a built-in name is a static string, a rule's id is
/// shared by every removal it makes, so no removal allocates its rule's
/// name. Compares, hashes, orders and serializes as its name.
///
/// ```
/// use newsdedup::RuleId;
/// const BYLINE: RuleId = RuleId::from_static("byline");
/// assert_eq!(BYLINE, RuleId::new("byline"));
/// assert_eq!(BYLINE.as_str(), "byline");
/// assert_eq!(serde_json::to_string(&BYLINE).unwrap(), "\"byline\"");
/// ```
#[derive(Clone)]
pub struct RuleId(Name);

#[derive(Clone)]
enum Name {
    Static(&'static str),
    Shared(Arc<str>),
}

impl RuleId {
    /// A rule id from a static name, usable in constants.
    pub const fn from_static(name: &'static str) -> RuleId {
        RuleId(Name::Static(name))
    }

    /// A rule id from any name (one allocation, shared by its clones).
    pub fn new(name: &str) -> RuleId {
        RuleId(Name::Shared(name.into()))
    }

    /// Its name.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Name::Static(name) => name,
            Name::Shared(name) => name,
        }
    }
}

impl PartialEq for RuleId {
    fn eq(&self, other: &RuleId) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for RuleId {}

impl PartialEq<str> for RuleId {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for RuleId {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl std::hash::Hash for RuleId {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl PartialOrd for RuleId {
    fn partial_cmp(&self, other: &RuleId) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for RuleId {
    fn cmp(&self, other: &RuleId) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl fmt::Debug for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::ops::Deref for RuleId {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for RuleId {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl Serialize for RuleId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for RuleId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<RuleId, D::Error> {
        let name = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Ok(RuleId::new(&name))
    }
}

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
    pub rule: Option<RuleId>,
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
    pub fn new(kind: RemovalKind, rule: Option<RuleId>, span: Span) -> Removal {
        Removal {
            kind,
            rule,
            span,
            duplicate_of: None,
            similarity: None,
            containment: None,
            coverage: None,
            sources: Vec::new(),
        }
    }
}
