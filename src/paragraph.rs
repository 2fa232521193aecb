//! Splitting a document into paragraphs, each with its byte span in the input.
//!
//! # The rule
//!
//! Scraped news comes in two shapes, and [`split`] detects which one a
//! document is:
//!
//! * **One paragraph per line** ([`Layout::Lines`], or [`Layout::BlankLines`]
//!   when blank lines stand between most paragraphs). Every non-blank line is
//!   a paragraph.
//! * **Hard-wrapped** ([`Layout::Wrapped`]): the lines of a paragraph were
//!   broken at a fixed width, and a new paragraph starts after a blank line or
//!   at a line that begins with a space or tab (the Reuters convention). The
//!   lines of one paragraph are joined.
//!
//! A document is taken as hard-wrapped when all of these hold:
//!
//! 1. it has at least [`WRAP_MIN_LINES`] non-blank lines;
//! 2. at most one line in twenty is longer than [`WRAP_MAX_WIDTH`]
//!    characters (one-paragraph-per-line news has long lines);
//! 3. it has at least two *continuation* lines (a non-blank line followed by
//!    a non-blank, non-indented line), and at least half of those look
//!    broken by a wrap: at least [`WRAP_MIN_WIDTH`] characters long and not
//!    ending in sentence-final punctuation. (A wrap breaks mid-sentence near
//!    the width; a heading over its paragraph is short, and one-line
//!    paragraphs end in a full stop.)
//! 4. when at least [`WRAP_CASE_SAMPLE`] lines that continue a paragraph
//!    start with a cased letter, at least a quarter of those start in
//!    lowercase (a wrap lands mid-sentence; a new paragraph starts with a
//!    capital); with fewer, too few to judge, every line is at most
//!    [`WRAP_NARROW_WIDTH`] characters, the classic terminal width.
//!
//! Blank means empty after removing whitespace and [invisible]
//! characters. A paragraph's span runs from the first to the last visible
//! character of its lines; line breaks, blank lines and indentation between
//! paragraphs are *separators*.
//!
//! [invisible]: crate::normalize::is_invisible

use serde::{Deserialize, Serialize};

use crate::normalize::is_ignorable;
use crate::span::Span;

/// Fewest non-blank lines for a document to count as hard-wrapped.
pub const WRAP_MIN_LINES: usize = 4;
/// Longest line, in characters, that a hard-wrapped document usually has.
pub const WRAP_MAX_WIDTH: usize = 100;
/// Continuation lines starting with a cased letter needed to judge case.
pub const WRAP_CASE_SAMPLE: usize = 4;
/// Widest line of a hard-wrapped document too short to judge by case.
pub const WRAP_NARROW_WIDTH: usize = 80;
/// Shortest line, in characters, that counts as broken by a wrap.
pub const WRAP_MIN_WIDTH: usize = 40;

/// How a document lays out its paragraphs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Layout {
    /// One paragraph per line, no blank lines between most of them.
    Lines,
    /// One paragraph per line, blank lines between most of them.
    BlankLines,
    /// Hard-wrapped lines; paragraphs start at indentation or a blank line.
    Wrapped,
}

impl Layout {
    /// The separator the cleaner puts between kept paragraphs: one newline
    /// for [`Layout::Lines`], a blank line otherwise (wrapped paragraphs come
    /// out joined onto one line each).
    pub fn separator(self) -> &'static str {
        match self {
            Layout::Lines => "\n",
            Layout::BlankLines | Layout::Wrapped => "\n\n",
        }
    }
}

/// The paragraphs of one document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Paragraphs {
    /// The detected layout.
    pub layout: Layout,
    /// One span per paragraph, in order, into the text given to [`split`].
    pub spans: Vec<Span>,
}

/// One physical line: its visible part and whether it starts indented.
struct Line {
    /// Visible part (ignorable characters trimmed); empty when blank.
    visible: Span,
    indented: bool,
    chars: usize,
}

/// Iterates lines ending in `\n`, `\r\n` or a lone `\r`.
fn lines(text: &str) -> Vec<Line> {
    let bytes = text.as_bytes();
    // News lines run to some tens of bytes: room for most documents' lines
    // in one allocation, without a counting pass.
    let mut out = Vec::with_capacity(bytes.len() / 32 + 1);
    let mut start = 0;
    for end in memchr::memchr2_iter(b'\n', b'\r', bytes) {
        if end < start {
            // The `\n` of a `\r\n`.
            continue;
        }
        out.push(line_at(text, start, end));
        let crlf = bytes[end] == b'\r' && bytes.get(end + 1) == Some(&b'\n');
        start = end + 1 + usize::from(crlf);
    }
    // A text that ends in a break has no empty line after it; an empty
    // text is one empty line.
    if start < bytes.len() || bytes.is_empty() {
        out.push(line_at(text, start, bytes.len()));
    }
    out
}

fn line_at(text: &str, start: usize, end: usize) -> Line {
    let raw = &text[start..end];
    let indented = matches!(raw.as_bytes().first(), Some(b' ' | b'\t'));
    let trimmed_start = raw.trim_start_matches(is_ignorable);
    let lead = raw.len() - trimmed_start.len();
    let trimmed = trimmed_start.trim_end_matches(is_ignorable);
    let visible = Span::new(start + lead, start + lead + trimmed.len());
    let chars = if trimmed.is_ascii() {
        trimmed.len()
    } else {
        trimmed.chars().count()
    };
    Line {
        visible,
        indented,
        chars,
    }
}

fn ends_sentence(line: &str) -> bool {
    let trimmed = line.trim_end_matches(['"', '\'', ')', ']', '\u{201D}', '\u{2019}', '*']);
    trimmed.ends_with(['.', '!', '?', ':', ';', '\u{3002}', '\u{2026}'])
}

fn is_wrapped(text: &str, lines: &[Line]) -> bool {
    let visible = || lines.iter().filter(|l| !l.visible.is_empty());
    let visible_lines = visible().count();
    if visible_lines < WRAP_MIN_LINES {
        return false;
    }
    let long = visible().filter(|l| l.chars > WRAP_MAX_WIDTH).count();
    if long * 20 > visible_lines {
        return false;
    }
    let mut continuations = 0;
    let mut wrap_like = 0;
    let mut cased = 0;
    let mut lower = 0;
    for pair in lines.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        if a.visible.is_empty() || b.visible.is_empty() || b.indented {
            continue;
        }
        continuations += 1;
        if a.chars >= WRAP_MIN_WIDTH && !ends_sentence(a.visible.slice(text)) {
            wrap_like += 1;
        }
        if let Some(first) = b.visible.slice(text).chars().next() {
            cased += usize::from(first.is_uppercase() || first.is_lowercase());
            lower += usize::from(first.is_lowercase());
        }
    }
    let starts_fit = if cased >= WRAP_CASE_SAMPLE {
        lower * 4 >= cased
    } else {
        visible().all(|l| l.chars <= WRAP_NARROW_WIDTH)
    };
    continuations >= 2 && wrap_like * 2 >= continuations && starts_fit
}

/// Splits `text` into paragraphs; see the [module docs](self) for the rule.
///
/// ```
/// use newsdedup::paragraph::{split, Layout};
/// let text = "Title\n\nFirst paragraph.\n\nSecond one.\n";
/// let p = split(text);
/// assert_eq!(p.layout, Layout::BlankLines);
/// let paragraphs: Vec<&str> = p.spans.iter().map(|s| s.slice(text)).collect();
/// assert_eq!(paragraphs, ["Title", "First paragraph.", "Second one."]);
/// ```
pub fn split(text: &str) -> Paragraphs {
    let lines = lines(text);
    let wrapped = is_wrapped(text, &lines);
    let mut spans = Vec::with_capacity(lines.len());
    let mut blank_between = 0usize;
    let mut adjacent = 0usize;
    let mut saw_blank = false;
    for line in &lines {
        if line.visible.is_empty() {
            saw_blank = true;
            continue;
        }
        let continues = wrapped && !saw_blank && !line.indented && !spans.is_empty();
        if continues {
            let last: &mut Span = spans.last_mut().expect("checked non-empty");
            last.end = line.visible.end;
        } else {
            if !spans.is_empty() {
                if saw_blank {
                    blank_between += 1;
                } else {
                    adjacent += 1;
                }
            }
            spans.push(line.visible);
        }
        saw_blank = false;
    }
    let layout = if wrapped {
        Layout::Wrapped
    } else if blank_between > adjacent {
        Layout::BlankLines
    } else {
        Layout::Lines
    };
    Paragraphs { layout, spans }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(text: &str) -> (Layout, Vec<&str>) {
        let p = split(text);
        (p.layout, p.spans.iter().map(|s| s.slice(text)).collect())
    }

    #[test]
    fn one_per_line() {
        let long = "word ".repeat(30);
        let text = format!("Heading\n{long}\r\n{long}\rTail.");
        let (layout, paras) = texts(&text);
        assert_eq!(layout, Layout::Lines);
        assert_eq!(paras, ["Heading", long.trim(), long.trim(), "Tail."]);
    }

    #[test]
    fn blank_separated_with_edges() {
        let (layout, paras) = texts("\n\n  A para.\n\n\nB para.\n\n \u{200B}\n");
        assert_eq!(layout, Layout::BlankLines);
        assert_eq!(paras, ["A para.", "B para."]);
    }

    #[test]
    fn hard_wrapped_reuters_style() {
        let text = "Showers continued throughout the week in\n\
                    the cocoa zone, alleviating the drought since early\n\
                    January and improving prospects for the coming crop.\n    \
                    The dry period means the harvest will be late this year\n\
                    and arrivals for the week ended were lower than expected\n\
                    by most of the trade houses.\n    Reuter\n&#3;";
        let (layout, paras) = texts(text);
        assert_eq!(layout, Layout::Wrapped);
        assert_eq!(paras.len(), 3);
        assert!(paras[0].starts_with("Showers") && paras[0].ends_with("crop."));
        assert!(paras[1].starts_with("The dry") && paras[1].ends_with("houses."));
        assert_eq!(paras[2], "Reuter\n&#3;");
    }

    #[test]
    fn short_menu_lines_are_not_wrapped() {
        let (layout, paras) = texts("Home\nWorld\nBusiness\nSport\nWeather\n");
        assert_eq!(layout, Layout::Lines);
        assert_eq!(paras.len(), 5);
    }

    #[test]
    fn empty_and_blank_inputs() {
        assert!(split("").spans.is_empty());
        assert!(split("\n\r\n \t\u{FEFF}").spans.is_empty());
    }
}
