//! The paragraph as a reader sees it, for finding links and bracketed
//! spans: HTML entities decoded and invisible characters dropped, with every
//! byte's source range in the raw paragraph, so that what is found there is
//! cut from the raw text. Without it, `ht\u{200B}tps://…` or `&#91;image:
//! …&#93;` would slip through once and be found on a second cleaning.

use std::borrow::Cow;

use super::text::{decode_entities, is_invisible};
use crate::span::Span;

/// Longest entity looked at, in bytes (`&CounterClockwiseContourIntegral;`).
const MAX_ENTITY_BYTES: usize = 40;

/// A decoded view of a raw paragraph.
pub(crate) struct View<'a> {
    text: Cow<'a, str>,
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
        let plain = memchr::memchr(b'&', raw.as_bytes()).is_none()
            && if raw.is_ascii() {
                !has_ascii_invisible(raw.as_bytes())
            } else {
                !raw.chars().any(is_invisible)
            };
        if plain {
            return View {
                text: Cow::Borrowed(raw),
                starts: Vec::new(),
                raw_len: raw.len(),
            };
        }
        let (text, _) = decode(raw, false);
        if !wanted(&text) {
            return View {
                text: Cow::Owned(text),
                starts: Vec::new(),
                raw_len: raw.len(),
            };
        }
        let (text, starts) = decode(raw, true);
        View {
            text: Cow::Owned(text),
            starts,
            raw_len: raw.len(),
        }
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

/// Whether ASCII `bytes` hold an [invisible](is_invisible) character: a
/// control that is no whitespace, or DEL. A fold rather than a search that
/// stops at the first: the compiler vectorizes it, and most paragraphs hold
/// none, so a search would read them whole anyway.
fn has_ascii_invisible(bytes: &[u8]) -> bool {
    bytes.iter().fold(false, |any, &b| {
        any | ((b < b' ') & !matches!(b, b'\t'..=b'\r')) | (b == 0x7F)
    })
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
