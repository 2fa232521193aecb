//! Byte spans into a text that the caller names.

use serde::{Deserialize, Serialize};

/// A half-open range `start..end` of UTF-8 byte offsets into a string.
///
/// Every span that newsdedup hands out points into the *original input* of the
/// call that produced it (never into normalized text), starts and ends on a
/// `char` boundary, and satisfies `start <= end <= input.len()`.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Span {
    /// Offset of the first byte.
    pub start: usize,
    /// Offset one past the last byte.
    pub end: usize,
}

impl Span {
    /// Creates a span. `start` must not exceed `end`.
    #[inline]
    pub fn new(start: usize, end: usize) -> Span {
        debug_assert!(start <= end, "span start {start} past end {end}");
        Span { start, end }
    }

    /// Number of bytes covered.
    #[inline]
    pub fn len(&self) -> usize {
        self.end - self.start
    }

    /// True when the span covers no bytes.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// The same span moved `by` bytes to the right.
    #[inline]
    pub fn offset(self, by: usize) -> Span {
        Span::new(self.start + by, self.end + by)
    }

    /// The text this span covers in `haystack`.
    ///
    /// # Panics
    ///
    /// When the span is out of bounds or not on char boundaries of `haystack`,
    /// which cannot happen for a span newsdedup produced from that string.
    #[inline]
    pub fn slice(self, haystack: &str) -> &str {
        &haystack[self.start..self.end]
    }
}

impl From<std::ops::Range<usize>> for Span {
    fn from(r: std::ops::Range<usize>) -> Span {
        Span::new(r.start, r.end)
    }
}
