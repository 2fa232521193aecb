//! Link detection: URLs with a scheme or `www.`, links in angle brackets or
//! parentheses, markdown links, and bare domains followed by a path.
//!
//! [`linkify`] does the URL parsing, but it is handed only *candidate
//! tokens* (whitespace-separated, containing `://`, `www.` or a dot and a
//! slash), each capped at [`MAX_TOKEN_BYTES`], and what it returns is
//! filtered: a match counts only with an `http`, `https` or `ftp` scheme, a
//! `www.` prefix, or a host with an alphabetic top-level label followed by a
//! `/` path. So "U.S.", "Node.js", "St.Louis", "Wired.com" and "report.pdf"
//! in prose are never links.

use linkify::{LinkFinder, LinkKind};

use crate::span::Span;

/// Longest token handed to the URL parser. A longer token that starts like a
/// URL (`http://`, `https://`, `www.`) is taken whole as a link without
/// parsing; any other long token is not a link.
pub const MAX_TOKEN_BYTES: usize = 2048;

/// A link found in a paragraph; spans are relative to that paragraph.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Link {
    /// The link with its enclosing `<…>` or `(…)`, or the whole `[text](url)`.
    pub span: Span,
    /// For a markdown link, the link text, which stays in the output.
    pub keep: Option<Span>,
}

/// Finds links in paragraphs. Build once; [`Links::find`] takes `&self`.
///
/// Finds URLs with a scheme or `www.`, links in angle brackets or
/// parentheses, markdown links, and bare domains followed by a path.
/// [`linkify`] parses only candidate tokens (whitespace-separated, with a
/// dot and a slash or `www.`), each at most [`MAX_TOKEN_BYTES`], and a match
/// counts only with an `http`, `https` or `ftp` scheme, a `www.` prefix, or a
/// host with an alphabetic top-level label followed by a `/` path. So "U.S.",
/// "Node.js", "St.Louis", "Wired.com" and "report.pdf" in prose are never
/// links.
#[derive(Debug)]
pub struct Links {
    finder: LinkFinder,
}

impl Clone for Links {
    /// The finder's settings are fixed, so a clone is a new finder.
    fn clone(&self) -> Links {
        Links::new()
    }
}

impl Default for Links {
    fn default() -> Links {
        Links::new()
    }
}

fn starts_like_url(token: &str) -> bool {
    let lower = |n: usize| token.get(..n).map(str::to_ascii_lowercase);
    lower(7).as_deref() == Some("http://")
        || lower(8).as_deref() == Some("https://")
        || lower(6).as_deref() == Some("ftp://")
        || lower(4).as_deref() == Some("www.")
}

/// The filter applied to what the URL parser returns.
fn is_wanted(url: &str) -> bool {
    if starts_like_url(url) {
        return url.len() > 4 && !url.ends_with("://");
    }
    let Some(slash) = url.find('/') else {
        return false;
    };
    let host = &url[..slash];
    if host.contains(['@', ':']) {
        return false;
    }
    let Some(dot) = host.rfind('.') else {
        return false;
    };
    let tld = &host[dot + 1..];
    dot > 0 && tld.len() >= 2 && tld.chars().all(|c| c.is_alphabetic())
}

/// True when `bytes` contains `www.` in any case. It looks behind each dot,
/// not ahead of each `w`: prose holds several times more `w`s than dots.
fn has_www(bytes: &[u8]) -> bool {
    memchr::memchr_iter(b'.', bytes).any(|dot| {
        dot.checked_sub(3)
            .is_some_and(|start| bytes[start..dot].eq_ignore_ascii_case(b"www"))
    })
}

/// Every link this module reports has a dot, and a slash or `www.`.
pub(crate) fn could_hold_link(text: &str) -> bool {
    is_candidate(text)
}

/// Every link this module reports has a dot, and a slash or `www.`.
fn is_candidate(token: &str) -> bool {
    let b = token.as_bytes();
    memchr::memchr(b'.', b).is_some() && (memchr::memchr(b'/', b).is_some() || has_www(b))
}

impl Links {
    /// A finder with the filters described on [`Links`].
    pub fn new() -> Links {
        let mut finder = LinkFinder::new();
        finder.kinds(&[LinkKind::Url]).url_must_have_scheme(false);
        Links { finder }
    }

    /// Appends the links of `para` to `out`, in order, non-overlapping.
    pub fn find(&self, para: &str, out: &mut Vec<Link>) {
        // Most paragraphs hold no candidate at all: skip tokenizing them.
        if !is_candidate(para) {
            return;
        }
        let start_len = out.len();
        for (token_start, token) in tokens(para) {
            if !is_candidate(token) {
                continue;
            }
            if token.len() > MAX_TOKEN_BYTES {
                let inner = token.trim_start_matches(['<', '(', '[', '"', '\'']);
                if starts_like_url(inner) {
                    let lead = token.len() - inner.len();
                    let url = inner.trim_end_matches(['>', ')', ']', '.', ',', ';', '"', '\'']);
                    let span = Span::new(token_start + lead, token_start + lead + url.len());
                    out.push(self.enclose(para, span));
                }
                continue;
            }
            for found in self.finder.links(token) {
                if is_wanted(found.as_str()) {
                    let span = Span::new(token_start + found.start(), token_start + found.end());
                    out.push(self.enclose(para, span));
                }
            }
        }
        out[start_len..].sort_unstable_by_key(|l| l.span);
        dedup_overlaps(out, start_len);
    }

    /// Widens a URL span to its `<…>` or `(…)`, or to a markdown `[text](…)`.
    fn enclose(&self, para: &str, url: Span) -> Link {
        let bytes = para.as_bytes();
        let before = url.start.checked_sub(1).map(|i| bytes[i]);
        let after = bytes.get(url.end).copied();
        match (before, after) {
            (Some(b'<'), Some(b'>')) => Link {
                span: Span::new(url.start - 1, url.end + 1),
                keep: None,
            },
            (Some(b'('), Some(b')')) => {
                if url.start >= 2
                    && bytes[url.start - 2] == b']'
                    && let Some(open) = markdown_open(para, url.start - 2)
                {
                    return Link {
                        span: Span::new(open, url.end + 1),
                        keep: Some(Span::new(open + 1, url.start - 2)),
                    };
                }
                Link {
                    span: Span::new(url.start - 1, url.end + 1),
                    keep: None,
                }
            }
            _ => Link {
                span: url,
                keep: None,
            },
        }
    }
}

/// For the `]` at `close`, the `[` that opens a markdown link text, if it is
/// on the same line, within 300 bytes and holds no other bracket.
fn markdown_open(para: &str, close: usize) -> Option<usize> {
    let window_start = close.saturating_sub(300);
    let window = &para.as_bytes()[window_start..close];
    let open = memchr::memrchr(b'[', window)? + window_start;
    let inner = &para.as_bytes()[open + 1..close];
    if memchr::memchr3(b']', b'\n', b'[', inner).is_some() || inner.is_empty() {
        return None;
    }
    Some(open)
}

/// Keeps the first of any overlapping links (a markdown link can swallow a
/// bare URL in its own text).
fn dedup_overlaps(out: &mut Vec<Link>, from: usize) {
    let mut write = from;
    for read in from..out.len() {
        if write > from && out[read].span.start < out[write - 1].span.end {
            continue;
        }
        out[write] = out[read];
        write += 1;
    }
    out.truncate(write);
}

/// Whitespace-separated tokens with their byte offsets.
fn tokens(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut rest = text;
    let mut offset = 0;
    std::iter::from_fn(move || {
        let trimmed = rest.trim_start();
        offset += rest.len() - trimmed.len();
        if trimmed.is_empty() {
            return None;
        }
        let len = trimmed.find(char::is_whitespace).unwrap_or(trimmed.len());
        let token = &trimmed[..len];
        let start = offset;
        offset += len;
        rest = &trimmed[len..];
        Some((start, token))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<&str> {
        let mut out = Vec::new();
        Links::new().find(text, &mut out);
        out.iter().map(|l| l.span.slice(text)).collect()
    }

    macro_rules! t {
        ($name:ident, $input:expr, [$($want:expr),*]) => {
            #[test]
            fn $name() {
                let want: Vec<&str> = vec![$($want),*];
                assert_eq!(found($input), want);
            }
        };
    }

    t!(
        scheme,
        "see https://example.org/a?b=1. Then",
        ["https://example.org/a?b=1"]
    );
    t!(
        www,
        "GO HERE www.example.net/politics/x9 NOW",
        ["www.example.net/politics/x9"]
    );
    t!(
        angle,
        "Johnson, <www.example.com/world/a-b-2025/> refused",
        ["<www.example.com/world/a-b-2025/>"]
    );
    t!(
        paren,
        "the filing (https://sec.example/doc) said",
        ["(https://sec.example/doc)"]
    );
    t!(
        bare_domain_path,
        "donate! example-hour.com/donations/ thanks",
        ["example-hour.com/donations/"]
    );
    t!(
        markdown,
        "read [the report](https://ex.org/r) today",
        ["[the report](https://ex.org/r)"]
    );
    t!(
        prose_abbrev,
        "The U.S. and St.Louis use Node.js per Wired.com and report.pdf",
        []
    );
    t!(slashes_not_links, "and/or 1.5/2 path/to/file.txt", []);
    t!(email_not_link, "write to desk@example.com now", []);

    #[test]
    fn markdown_keeps_text() {
        let text = "read [the report](https://ex.org/r) today";
        let mut out = Vec::new();
        Links::new().find(text, &mut out);
        assert_eq!(out[0].keep.unwrap().slice(text), "the report");
    }

    #[test]
    fn long_tokens_are_not_parsed() {
        let long = format!("https://example.org/{}", "a".repeat(MAX_TOKEN_BYTES));
        let text = format!("x <{long}> y {}", "b.c/".repeat(MAX_TOKEN_BYTES));
        assert_eq!(found(&text), [format!("<{long}>").as_str()]);
    }
}
