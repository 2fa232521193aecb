//! The paragraph as a reader sees it, for finding links and bracketed
//! spans: HTML entities decoded and invisible characters dropped, with every
//! byte's source range in the raw paragraph, so that what is found there is
//! cut from the raw text. Without it, `ht\u{200B}tps://…` or `&#91;image:
//! …&#93;` would slip through once and be found on a second cleaning.

use std::borrow::Cow;

use super::text::{decode_entities, is_ascii_dropped, is_invisible};
use crate::span::Span;

/// Longest entity looked at, in bytes (`&CounterClockwiseContourIntegral;`).
const MAX_ENTITY_BYTES: usize = 40;

/// Which bytes that matter to the normalizer a raw paragraph holds, found
/// in one pass the compiler vectorizes, so that most paragraphs skip the
/// searches for them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Marks {
    /// `&`: an entity may start here.
    pub(crate) ampersand: bool,
    /// A byte outside ASCII.
    pub(crate) non_ascii: bool,
    /// An ASCII [invisible](is_invisible) character: a control that is no
    /// whitespace, or DEL.
    pub(crate) invisible: bool,
    /// `[`: a bracketed span may start here.
    pub(crate) bracket: bool,
}

impl Marks {
    /// The marks of `bytes`. Folds rather than searches that stop at the
    /// first hit: most paragraphs hold none of these bytes, so each search
    /// would read them whole. One loop of independent flags, which the
    /// compiler vectorizes.
    pub(crate) fn of(bytes: &[u8]) -> Marks {
        let mut marks = Marks::default();
        for &b in bytes {
            marks.ampersand |= b == b'&';
            marks.non_ascii |= b >= 0x80;
            marks.invisible |= is_ascii_dropped(b);
            marks.bracket |= b == b'[';
        }
        marks
    }

    /// ASCII with no `&`: clean-up has no entity to decode and no
    /// character beyond ASCII to fold.
    pub(crate) fn is_plain_ascii(self) -> bool {
        !self.ampersand && !self.non_ascii
    }
}

/// A decoded view of a raw paragraph.
pub(crate) struct View<'a> {
    text: Cow<'a, str>,
    /// The marks of the raw paragraph.
    marks: Marks,
    /// For each byte of `text`, where its source starts in the raw
    /// paragraph; empty when `text` is the raw paragraph itself.
    starts: Vec<usize>,
    /// Length of the raw paragraph.
    raw_len: usize,
}

impl<'a> View<'a> {
    /// The view of `raw`. The byte map is built only when `wanted` says the
    /// decoded text holds something to find (else nothing is ever mapped).
    pub(crate) fn new(raw: &'a str, wanted: impl Fn(&str) -> bool) -> View<'a> {
        let marks = Marks::of(raw.as_bytes());
        let plain = !marks.ampersand
            && if marks.non_ascii {
                !raw.chars().any(is_invisible)
            } else {
                !marks.invisible
            };
        let view = |text, starts| View {
            text,
            marks,
            starts,
            raw_len: raw.len(),
        };
        if plain {
            return view(Cow::Borrowed(raw), Vec::new());
        }
        let (text, _) = decode(raw, false);
        if !wanted(&text) {
            return view(Cow::Owned(text), Vec::new());
        }
        let (text, starts) = decode(raw, true);
        view(Cow::Owned(text), starts)
    }

    /// The marks of the raw paragraph.
    pub(crate) fn marks(&self) -> Marks {
        self.marks
    }

    /// Whether the view is the raw paragraph itself.
    pub(crate) fn is_raw(&self) -> bool {
        matches!(self.text, Cow::Borrowed(_))
    }

    /// The decoded text.
    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    /// The raw span a non-empty span of the view comes from: from the
    /// source of its first byte to the source of the next byte that has
    /// another source (or the end of the paragraph).
    pub(crate) fn to_raw(&self, span: Span) -> Span {
        if self.starts.is_empty() {
            return span;
        }
        let at = |i: usize| self.starts.get(i).copied().unwrap_or(self.raw_len);
        let start = at(span.start);
        if span.is_empty() {
            return Span::new(start, start);
        }
        let last = at(span.end - 1);
        let end = (span.end..=self.starts.len())
            .map(at)
            .find(|&s| s > last)
            .unwrap_or(self.raw_len);
        Span::new(start, end)
    }
}

/// `raw` with entities decoded and invisible characters dropped, and, when
/// `map` is set, the raw start of each output byte's source.
fn decode(raw: &str, map: bool) -> (String, Vec<usize>) {
    let mut text = String::with_capacity(raw.len());
    let mut starts = Vec::with_capacity(if map { raw.len() } else { 0 });
    let mut push = |text: &mut String, c: char, start: usize| {
        if !is_invisible(c) {
            text.push(c);
            if map {
                starts.extend(std::iter::repeat_n(start, c.len_utf8()));
            }
        }
    };
    let mut at = 0;
    while at < raw.len() {
        let c = raw[at..].chars().next().expect("at is a char boundary");
        if c == '&' {
            let window = &raw.as_bytes()[at..raw.len().min(at + MAX_ENTITY_BYTES)];
            if let Some(semi) = memchr::memchr(b';', window) {
                let entity = &raw[at..at + semi + 1];
                let decoded = decode_entities(entity);
                if decoded != entity {
                    for d in decoded.chars() {
                        push(&mut text, d, at);
                    }
                    at += semi + 1;
                    continue;
                }
            }
        }
        push(&mut text, c, at);
        at += c.len_utf8();
    }
    (text, starts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_its_own_view() {
        let v = View::new("no entities here", |_| true);
        assert_eq!(v.text(), "no entities here");
        assert_eq!(v.to_raw(Span::new(3, 5)), Span::new(3, 5));
    }

    #[test]
    fn marks_agree_with_a_search_for_each() {
        // Every byte value at every offset of a short text, so that both
        // the vectorized body and the tail of the fold are checked.
        for b in 0..=u8::MAX {
            for at in 0..40 {
                let mut bytes = b"plain words, no marks at all here ok".to_vec();
                bytes.insert(at.min(bytes.len()), b);
                let invisible = |c: u8| c.is_ascii() && is_invisible(char::from(c));
                let expected = Marks {
                    ampersand: bytes.contains(&b'&'),
                    non_ascii: !bytes.is_ascii(),
                    invisible: bytes.iter().any(|&c| invisible(c)),
                    bracket: bytes.contains(&b'['),
                };
                assert_eq!(Marks::of(&bytes), expected, "byte {b:#x} at {at}");
            }
        }
        assert_eq!(Marks::of(b""), Marks::default());
    }

    #[test]
    fn entities_and_invisibles_map_back() {
        let raw = "a &#91;b&#93; ht\u{200B}tp";
        let v = View::new(raw, |_| true);
        assert_eq!(v.text(), "a [b] http");
        let bracket = v.to_raw(Span::new(2, 5));
        assert_eq!(&raw[bracket.start..bracket.end], "&#91;b&#93;");
        let word = v.to_raw(Span::new(6, 10));
        assert_eq!(&raw[word.start..word.end], "ht\u{200B}tp");
        let two = View::new("&nbsp;&amp; x", |_| true);
        assert_eq!(two.text(), "\u{A0}& x");
        assert_eq!(two.to_raw(Span::new(0, 2)), Span::new(0, 6));
    }
}
