//! The one error type of the library: invalid configuration.
//!
//! Processing text never fails; only building a [`Normalizer`](crate::Normalizer)
//! or [`Cleaner`](crate::Cleaner) from bad settings does.

use std::fmt;

/// An invalid setting given to a builder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
}

/// What was wrong with the settings.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Two rules share an id.
    DuplicateRuleId(String),
    /// A rule id is empty or holds characters other than `a-z`, `0-9`, `-`.
    InvalidRuleId(String),
    /// A rule has no patterns, or a pattern that folds to nothing.
    EmptyPattern {
        /// The rule's id.
        rule: String,
        /// The offending pattern as given.
        pattern: String,
    },
    /// `min_words` is greater than `max_words`.
    WordBounds {
        /// The rule's id.
        rule: String,
        /// Its `min_words`.
        min: usize,
        /// Its `max_words`.
        max: usize,
    },
    /// A rule named for disabling does not exist.
    UnknownRule(String),
    /// A numeric setting is out of range.
    OutOfRange {
        /// The setting's name.
        setting: &'static str,
        /// The value given.
        value: String,
        /// What is accepted.
        expected: &'static str,
    },
    /// The pattern matcher could not be built.
    Matcher(String),
}

impl Error {
    pub(crate) fn new(kind: ErrorKind) -> Error {
        Error { kind }
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ErrorKind::DuplicateRuleId(id) => write!(f, "rule id {id:?} is used twice"),
            ErrorKind::InvalidRuleId(id) => write!(
                f,
                "rule id {id:?} is invalid: use lowercase letters, digits and '-'"
            ),
            ErrorKind::EmptyPattern { rule, pattern } => write!(
                f,
                "rule {rule:?} has a pattern {pattern:?} that matches nothing \
                 (patterns are compared by their matching key: letters and digits)"
            ),
            ErrorKind::WordBounds { rule, min, max } => write!(
                f,
                "rule {rule:?} has min_words {min} greater than max_words {max}"
            ),
            ErrorKind::UnknownRule(id) => write!(f, "no rule with id {id:?} to disable"),
            ErrorKind::OutOfRange {
                setting,
                value,
                expected,
            } => write!(f, "{setting} must be {expected}, got {value}"),
            ErrorKind::Matcher(msg) => write!(f, "could not build the rule matcher: {msg}"),
        }
    }
}

impl std::error::Error for Error {}
