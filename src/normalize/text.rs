//! Character-level clean-up of output text and folding of matching keys.

use std::borrow::Cow;

use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};

/// The Windows-1252 reading of the C1 control range U+0080..=U+009F, as
/// the HTML standard decodes `&#146;` and as mis-decoded scraped text means
/// a raw U+0092. `None` for the five code points Windows-1252 leaves
/// undefined; those are deleted like other controls.
const C1_AS_WINDOWS_1252: [Option<char>; 32] = [
    Some('\u{20AC}'),
    None,
    Some('\u{201A}'),
    Some('\u{0192}'),
    Some('\u{201E}'),
    Some('\u{2026}'),
    Some('\u{2020}'),
    Some('\u{2021}'),
    Some('\u{02C6}'),
    Some('\u{2030}'),
    Some('\u{0160}'),
    Some('\u{2039}'),
    Some('\u{0152}'),
    None,
    Some('\u{017D}'),
    None,
    None,
    Some('\u{2018}'),
    Some('\u{2019}'),
    Some('\u{201C}'),
    Some('\u{201D}'),
    Some('\u{2022}'),
    Some('\u{2013}'),
    Some('\u{2014}'),
    Some('\u{02DC}'),
    Some('\u{2122}'),
    Some('\u{0161}'),
    Some('\u{203A}'),
    Some('\u{0153}'),
    None,
    Some('\u{017E}'),
    Some('\u{0178}'),
];

/// Maps a C1 control character to its Windows-1252 meaning.
#[inline]
fn repair_c1(c: char) -> char {
    match c {
        '\u{80}'..='\u{9F}' => C1_AS_WINDOWS_1252[c as usize - 0x80].unwrap_or('\u{0}'),
        _ => c,
    }
}

/// Characters deleted outright from output text: the byte-order mark,
/// zero-width space, word joiner, soft hyphen, Mongolian vowel separator and
/// every control character that is not whitespace.
///
/// Zero-width joiner and non-joiner are kept: they carry meaning in emoji
/// sequences and in Persian and Indic scripts.
#[inline]
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{FEFF}' | '\u{200B}' | '\u{2060}' | '\u{00AD}' | '\u{180E}'
    ) || (c.is_control() && !c.is_whitespace())
}

/// Whitespace or an invisible character: what may stand between paragraphs
/// and at the edges of a paragraph without being part of it.
#[inline]
pub fn is_ignorable(c: char) -> bool {
    c.is_whitespace() || is_invisible(c)
}

/// Dashes and other characters that separate words in the matching key.
#[inline]
fn is_key_separator(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '-' | '\u{2010}'
                ..='\u{2015}'
                    | '\u{2212}'
                    | '\u{2043}'
                    | '\u{FE58}'
                    | '\u{FE63}'
                    | '\u{FF0D}'
                    | '/'
                    | '\u{2026}'
                    | '|'
                    | '_'
        )
}

/// True when `text` is already in the form [`clean_text`] produces, so that
/// it can be returned borrowed.
fn is_clean(text: &str) -> bool {
    text.is_ascii()
        && memchr::memchr(b'&', text.as_bytes()).is_none()
        && is_clean_ascii(text.as_bytes())
}

/// True when ASCII `bytes` hold no control character, no space at either
/// end and no two spaces in a row: what [`clean_ascii`] would copy as it
/// is. Most paragraphs are so.
fn is_clean_ascii(bytes: &[u8]) -> bool {
    AsciiShape::of(bytes).is_clean()
}

/// Cleans one paragraph of output text.
///
/// Decodes HTML entities, deletes [invisible](is_invisible) characters, turns
/// every kind of Unicode whitespace (line breaks included) into one plain
/// space, trims both ends and applies NFC. Curly quotes, dashes and case are
/// left as the author wrote them.
///
/// ```
/// use newsdedup::normalize::clean_text;
/// assert_eq!(clean_text("  Tom &amp; Jerry\u{00A0}\u{200B}ran\r\n"), "Tom & Jerry ran");
/// assert_eq!(clean_text("already clean"), "already clean");
/// ```
pub fn clean_text(text: &str) -> Cow<'_, str> {
    if is_clean(text) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    clean_text_into(text, &mut out);
    Cow::Owned(out)
}

/// Decodes HTML entities until none is left, so that double-escaped text
/// (`&amp;lt;`) comes out as it was meant and cleaning stays idempotent. Each
/// pass that changes anything makes the text shorter, so the loop ends.
pub(crate) fn decode_entities(text: &str) -> Cow<'_, str> {
    let mut current = strip_control_references(text);
    while memchr::memchr(b'&', current.as_bytes()).is_some() {
        match html_escape::decode_html_entities(current.as_ref()) {
            Cow::Owned(next) if next != *current => current = Cow::Owned(next),
            _ => break,
        }
    }
    current
}

/// Deletes numeric character references to C0 controls and NUL (`&#3;`,
/// `&#x0;`), which the entity decoder leaves as they are and which would
/// decode to characters the cleaner deletes anyway.
fn strip_control_references(text: &str) -> Cow<'_, str> {
    if memchr::memmem::find(text.as_bytes(), b"&#").is_none() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("&#") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        let (digits, radix) = match after.as_bytes().first() {
            Some(b'x' | b'X') => (&after[1..], 16),
            _ => (after, 10),
        };
        let len = digits.bytes().take_while(|b| b.is_ascii_hexdigit()).count();
        let end = digits[len..].starts_with(';').then_some(len);
        let code = end.and_then(|len| u32::from_str_radix(&digits[..len], radix).ok());
        match (code, end) {
            (Some(code), Some(len))
                if code < 0x20 && !matches!(code, 0x09 | 0x0A | 0x0D) || code == 0x7F =>
            {
                let consumed = 2 + (after.len() - digits.len()) + len + 1;
                rest = &rest[at + consumed..];
            }
            _ => {
                out.push_str("&#");
                rest = after;
            }
        }
    }
    if out.len() + rest.len() == text.len() {
        return Cow::Borrowed(text);
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// Like [`clean_text`], appending to `out` (which is not cleared).
pub fn clean_text_into(text: &str, out: &mut String) {
    let base = out.len();
    clean_once(&decode_entities(text), out);
    // Deleting an invisible character can join the pieces of an entity
    // (`&am\u{200B}p;`): clean again until nothing changes. Every pass that
    // changes anything decodes an entity, which makes the text shorter.
    while memchr::memchr(b'&', &out.as_bytes()[base..]).is_some() {
        match decode_entities(&out[base..]) {
            Cow::Owned(again) if again != out[base..] => {
                out.truncate(base);
                clean_once(&again, out);
            }
            _ => break,
        }
    }
}

/// Whether ASCII `b` is whitespace to [`clean_ascii`]: `\t`, `\n`, VT, FF,
/// `\r` or space.
const fn is_ascii_space(b: u8) -> bool {
    matches!(b, b'\t'..=b'\r' | b' ')
}

/// Whether [`clean_ascii`] deletes ASCII `b`: a control that is no
/// whitespace, or DEL (an ASCII [invisible](is_invisible) character).
pub(super) const fn is_ascii_dropped(b: u8) -> bool {
    ((b < b' ') & !is_ascii_space(b)) | (b == 0x7F)
}

/// What [`clean_ascii`] does with each ASCII byte.
const CLEAN_DROP: u8 = 0;
const CLEAN_SPACE: u8 = 1;
const CLEAN_KEEP: u8 = 2;
const ASCII_CLEAN: [u8; 128] = {
    let mut table = [CLEAN_KEEP; 128];
    let mut b = 0;
    while b < 128 {
        if is_ascii_space(b as u8) {
            table[b] = CLEAN_SPACE;
        } else if is_ascii_dropped(b as u8) {
            table[b] = CLEAN_DROP;
        }
        b += 1;
    }
    table
};

/// What [`clean_ascii`] needs to know of ASCII text before it copies it,
/// found in loops the compiler vectorizes.
struct AsciiShape {
    /// Any byte below space, or DEL.
    controls: bool,
    /// Any byte [dropped](is_ascii_dropped).
    drops: bool,
    /// Two whitespace bytes in a row.
    doubles: bool,
    /// No whitespace at either end.
    trimmed: bool,
}

impl AsciiShape {
    fn of(bytes: &[u8]) -> AsciiShape {
        let (mut controls, mut drops) = (false, false);
        for &b in bytes {
            controls |= (b < b' ') | (b == 0x7F);
            drops |= is_ascii_dropped(b);
        }
        let doubles = bytes
            .iter()
            .zip(bytes.iter().skip(1))
            .fold(false, |any, (&a, &b)| {
                any | (is_ascii_space(a) & is_ascii_space(b))
            });
        let trimmed = !bytes.first().copied().is_some_and(is_ascii_space)
            && !bytes.last().copied().is_some_and(is_ascii_space);
        AsciiShape {
            controls,
            drops,
            doubles,
            trimmed,
        }
    }

    /// Clean-up would copy it as it is.
    fn is_clean(&self) -> bool {
        !self.controls && !self.doubles && self.trimmed
    }

    /// Clean-up would copy it with each whitespace byte made a space.
    fn needs_only_spaces(&self) -> bool {
        !self.drops && !self.doubles && self.trimmed
    }
}

/// [`clean_once`] for ASCII text: whitespace (`\t`, `\n`, VT, FF, `\r`,
/// space) becomes one space, other controls are deleted, both ends are
/// trimmed. ASCII needs no NFC.
///
/// Most paragraphs take one of two fast paths, each a loop the compiler
/// vectorizes: text already clean is copied; text whose whitespace is
/// single characters between words (lines wrapped with `\n`) is copied
/// with them turned into spaces. Anything else takes one branch-free pass
/// over the bytes.
pub(crate) fn clean_ascii(text: &str, out: &mut String) {
    let bytes = text.as_bytes();
    let shape = AsciiShape::of(bytes);
    if shape.is_clean() {
        out.push_str(text);
        return;
    }
    if shape.needs_only_spaces() {
        let mut buf = std::mem::take(out).into_bytes();
        buf.extend(
            bytes
                .iter()
                .map(|&b| if is_ascii_space(b) { b' ' } else { b }),
        );
        *out = String::from_utf8(buf).expect("a string plus ASCII bytes is UTF-8");
        return;
    }
    let base = out.len();
    let mut buf = std::mem::take(out).into_bytes();
    buf.resize(base + bytes.len(), 0);
    let mut len = base;
    // Nothing written yet counts as a space: leading whitespace goes.
    let mut after_space = true;
    for &b in bytes {
        let class = ASCII_CLEAN[usize::from(b)];
        let space = class == CLEAN_SPACE;
        buf[len] = if space { b' ' } else { b };
        len += usize::from(class == CLEAN_KEEP || (space && !after_space));
        after_space = if class == CLEAN_DROP {
            after_space
        } else {
            space
        };
    }
    if len > base && buf[len - 1] == b' ' {
        len -= 1;
    }
    buf.truncate(len);
    *out = String::from_utf8(buf).expect("a string plus ASCII bytes is UTF-8");
}

/// One pass of clean-up over entity-decoded text.
fn clean_once(decoded: &str, out: &mut String) {
    if decoded.is_ascii() {
        clean_ascii(decoded, out)
    } else {
        clean_chars(decoded, out)
    }
}

/// [`clean_once`] for any text, a character at a time.
fn clean_chars(decoded: &str, out: &mut String) {
    let base = out.len();
    let mut pending_space = false;
    for c in decoded.chars().map(repair_c1) {
        if c.is_whitespace() {
            pending_space = true;
        } else if !is_invisible(c) {
            if pending_space && out.len() > base {
                out.push(' ');
            }
            pending_space = false;
            out.push(c);
        }
    }
    if !out[base..].is_ascii() && is_nfc_quick(out[base..].chars()) != IsNormalized::Yes {
        let nfc: String = out[base..].nfc().collect();
        out.truncate(base);
        out.push_str(&nfc);
    }
}

const DROP: u8 = 0;
const SEPARATE: u8 = b' ';

/// What each ASCII byte becomes in a matching key: its lowercase form for
/// letters and digits, [`SEPARATE`] for separators, [`DROP`] otherwise.
const ASCII_KEY: [u8; 128] = {
    let mut table = [DROP; 128];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        table[b] = if c.is_ascii_alphanumeric() {
            c.to_ascii_lowercase()
        } else if c.is_ascii_whitespace() || matches!(c, b'-' | b'/' | b'|' | b'_' | 0x0B) {
            SEPARATE
        } else {
            DROP
        };
        b += 1;
    }
    table
};

/// Folds text into its matching key.
///
/// NFKC, lowercase, dashes, slashes and whitespace become single spaces,
/// every other character that is not a letter, digit or combining mark is
/// dropped (so straight and curly quotes, `–` and `-` all compare equal), and
/// the result is trimmed. The key is used for hashing and rule matching and is
/// never emitted.
///
/// ```
/// use newsdedup::normalize::matching_key;
/// assert_eq!(
///     matching_key("Puerto Vallarta, Mexico \u{2013} \u{201C}Enough\u{201D}"),
///     matching_key("puerto vallarta, Mexico - \"enough\""),
/// );
/// assert_eq!(matching_key("U.S.-Mexico border"), "us mexico border");
/// ```
pub fn matching_key(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    matching_key_into(text, &mut out);
    out
}

/// Like [`matching_key`], appending to `out` (which is not cleared).
pub fn matching_key_into(text: &str, out: &mut String) {
    matching_key_words_into(text, out);
}

/// [`matching_key`] with its [word count](key_words), counted on the way
/// for ASCII text.
pub(crate) fn matching_key_words(text: &str) -> (String, usize) {
    let mut key = String::with_capacity(text.len());
    let words = matching_key_words_into(text, &mut key);
    (key, words)
}

/// [`matching_key_into`], returning the words of the key appended.
fn matching_key_words_into(text: &str, out: &mut String) -> usize {
    let base = out.len();
    if text.is_ascii() {
        // A key is never longer than its text: each byte gives at most one,
        // and a space only stands for a separator that was dropped.
        // One branch-free pass: a separator is written as a space when
        // what was last written is no space (nothing written yet counts as
        // one), and a trailing space is cut.
        let mut bytes = std::mem::take(out).into_bytes();
        bytes.resize(base + text.len(), 0);
        let mut len = base;
        let mut after_space = true;
        // Spaces written: the words are one more, less a trailing space.
        let mut spaces = 0;
        for &b in text.as_bytes() {
            let folded = ASCII_KEY[usize::from(b)];
            let separator = folded == SEPARATE;
            let space = separator & !after_space;
            bytes[len] = folded;
            len += usize::from((folded > SEPARATE) | space);
            spaces += usize::from(space);
            after_space = if folded == DROP {
                after_space
            } else {
                separator
            };
        }
        if len > base && bytes[len - 1] == SEPARATE {
            len -= 1;
            spaces -= 1;
        }
        bytes.truncate(len);
        *out = String::from_utf8(bytes).expect("a string plus ASCII bytes is UTF-8");
        return if len > base { spaces + 1 } else { 0 };
    }
    if !key_of_stable_chars(text, out) {
        out.truncate(base);
        key_of_any_chars(text, out);
    }
    key_words(&out[base..])
}

/// The matching key of any `text`, by NFKC, appended to `out`.
fn key_of_any_chars(text: &str, out: &mut String) {
    let base = out.len();
    let mut pending_space = false;
    for c in text.nfkc() {
        if c.is_alphanumeric() || unicode_normalization::char::is_combining_mark(c) {
            if pending_space && out.len() > base {
                out.push(' ');
            }
            pending_space = false;
            out.extend(c.to_lowercase());
        } else if is_key_separator(c) {
            pending_space = true;
        }
    }
    // Lowercasing can decompose ('\u{130}' becomes "i\u{307}") or leave a
    // mark to combine with a new neighbour: compose again, so that the key
    // of a key is the key itself.
    if is_nfc_quick(out[base..].chars()) != IsNormalized::Yes {
        let composed: String = out[base..].nfc().collect();
        out.truncate(base);
        out.push_str(&composed);
    }
}

/// Whether `c` is its own NFKC form whatever its neighbours (it has no
/// compatibility decomposition, is not a combining mark and does not
/// combine with one before it) and lowercases to one character: the
/// Latin-1 and Latin Extended-A letters, Cyrillic, Hangul syllables, common
/// CJK and kana, and the usual punctuation of news text. A test checks every
/// one against the full path.
fn is_stable_key_char(c: char) -> bool {
    matches!(u32::from(c),
        0xA0..=0xA7 | 0xA9 | 0xAB | 0xAC | 0xAE | 0xB0 | 0xB1 | 0xB6 | 0xB7 | 0xBB | 0xBF
        | 0xC0..=0x12F | 0x134..=0x13E | 0x141..=0x148 | 0x14A..=0x17E
        | 0x400..=0x482 | 0x48A..=0x4FF
        | 0x2010 | 0x2012..=0x2016 | 0x2018..=0x2022 | 0x2030 | 0x2032 | 0x2035 | 0x2039 | 0x203A
        | 0x20AC
        | 0x3001 | 0x3002 | 0x300C..=0x300F | 0x3041..=0x3096 | 0x30A1..=0x30FA
        | 0x4E00..=0x9FFF | 0xAC00..=0xD7A3)
}

/// The matching key of `text` without NFKC, when every character is ASCII
/// or [stable](is_stable_key_char): appends it to `out` and returns true.
/// Otherwise returns false, with `out` holding a partial key to truncate.
fn key_of_stable_chars(text: &str, out: &mut String) -> bool {
    let base = out.len();
    let mut pending_space = false;
    for c in text.chars() {
        let folded = if c.is_ascii() {
            match ASCII_KEY[c as usize] {
                DROP => continue,
                SEPARATE => {
                    pending_space = true;
                    continue;
                }
                folded => char::from(folded),
            }
        } else if !is_stable_key_char(c) {
            return false;
        } else if c.is_alphanumeric() {
            let mut lower = c.to_lowercase();
            let first = lower.next().expect("one character at least");
            debug_assert!(lower.next().is_none(), "stable characters lowercase to one");
            first
        } else {
            if is_key_separator(c) {
                pending_space = true;
            }
            continue;
        };
        if pending_space && out.len() > base {
            out.push(' ');
        }
        pending_space = false;
        out.push(folded);
    }
    true
}

/// How one word of a text is written, for telling names from other words.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WordCase {
    /// Its first letter is uppercase.
    pub capitalized: bool,
    /// It has at least two letters and all are uppercase.
    pub upper: bool,
    /// It starts a sentence: nothing visible before it, or a sentence
    /// mark, colon, quote, bracket or dash.
    pub initial: bool,
}

/// The case of each word of `text` that its [matching key](matching_key)
/// keeps, in order, into `out` (cleared first). Words are split where the
/// key splits them; a piece with no letter or digit is not a word. For
/// text whose compatibility forms split or join words, the count can
/// differ from the key's: callers compare the two.
///
/// ```
/// use newsdedup::normalize::{word_cases, matching_key};
/// let text = "In Lima, Peru's port (ENAPU) reopened.";
/// let mut cases = Vec::new();
/// word_cases(text, &mut cases);
/// assert_eq!(cases.len(), matching_key(text).split(' ').count());
/// assert!(cases[0].capitalized && cases[0].initial);
/// assert!(cases[1].capitalized && !cases[1].initial);
/// assert!(cases[4].upper && !cases[5].capitalized);
/// ```
pub fn word_cases(text: &str, out: &mut Vec<WordCase>) {
    out.clear();
    if text.is_ascii() {
        word_cases_ascii(text.as_bytes(), out);
    } else {
        word_cases_any(text, out);
    }
}

/// [`word_cases`] of ASCII text: one tight loop per word, by table, with
/// no branch on a letter's case.
fn word_cases_ascii(bytes: &[u8], out: &mut Vec<WordCase>) {
    let ascii = &*ASCII_CLASSES;
    let class_of = |b: u8| ascii[usize::from(b & 0x7F)];
    // The last visible character before the current piece.
    let mut last: Option<u8> = None;
    let mut i = 0;
    while i < bytes.len() {
        let (b, class) = (bytes[i], class_of(bytes[i]));
        i += 1;
        if class & (SEPARATOR | INVISIBLE) != 0 {
            if class & (SEPARATOR | SPACE) == SEPARATOR {
                last = Some(b);
            }
            continue;
        }
        // A piece starts at `b` and runs to the next separator.
        let initial =
            is_opening(char::from(b)) || last.is_none_or(|l| opens_sentence_after(char::from(l)));
        let (mut letters, mut uppers) = (0u32, 0u32);
        let mut capitalized = false;
        let mut classes = 0;
        let mut visible = b;
        let mut step = |b: u8, class: u8| {
            let letter = class & ALPHABETIC != 0;
            let upper = letter & (class & UPPERCASE != 0);
            capitalized |= (letters == 0) & upper;
            letters += u32::from(letter);
            uppers += u32::from(upper);
            classes |= class;
            visible = b;
        };
        step(b, class);
        while let Some(&b) = bytes.get(i) {
            let class = class_of(b);
            if class & SEPARATOR != 0 {
                break;
            }
            i += 1;
            if class & INVISIBLE == 0 {
                step(b, class);
            }
        }
        last = Some(visible);
        if classes & ALPHANUMERIC != 0 {
            out.push(WordCase {
                capitalized,
                upper: letters >= 2 && uppers == letters,
                initial,
            });
        }
    }
}

/// [`word_cases`] of any text.
fn word_cases_any(text: &str, out: &mut Vec<WordCase>) {
    let ascii = &*ASCII_CLASSES;
    let mut word: Option<WordCase> = None;
    let mut letters = 0usize;
    let mut uppers = 0usize;
    let mut has_alnum = false;
    // The last visible character before the current piece.
    let mut last: Option<char> = None;
    let mut finish =
        |word: &mut Option<WordCase>, letters: usize, uppers: usize, has_alnum: bool| {
            if let Some(mut w) = word.take()
                && has_alnum
            {
                w.upper = letters >= 2 && uppers == letters;
                out.push(w);
            }
        };
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        // ASCII by table; anything else decoded and classified.
        let (c, class) = if bytes[i] < 0x80 {
            i += 1;
            (char::from(bytes[i - 1]), ascii[usize::from(bytes[i - 1])])
        } else {
            let Some(c) = text[i..].chars().next() else {
                break;
            };
            i += c.len_utf8();
            (c, char_class(c))
        };
        if class & SEPARATOR != 0 {
            if word.is_some() {
                finish(&mut word, letters, uppers, has_alnum);
            }
            if class & SPACE == 0 {
                last = Some(c);
            }
            continue;
        }
        if class & INVISIBLE != 0 {
            continue;
        }
        let w = word.get_or_insert_with(|| {
            letters = 0;
            uppers = 0;
            has_alnum = false;
            WordCase {
                capitalized: false,
                upper: false,
                initial: is_opening(c) || last.is_none_or(opens_sentence_after),
            }
        });
        if class & ALPHABETIC != 0 {
            if letters == 0 {
                w.capitalized = class & UPPERCASE != 0;
            }
            letters += 1;
            uppers += usize::from(class & UPPERCASE != 0);
        }
        has_alnum |= class & ALPHANUMERIC != 0;
        last = Some(c);
    }
    finish(&mut word, letters, uppers, has_alnum);
}

/// What may stand before the first word of a sentence.
fn opens_sentence_after(b: char) -> bool {
    is_opening(b)
        || matches!(
            b,
            '.' | '!' | '?' | ':' | ';' | '\u{201D}' | '\u{00BB}' | '-' | '\u{2013}' | '\u{2014}'
        )
}

// Character classes of [`word_cases`].
const SEPARATOR: u8 = 1;
const SPACE: u8 = 2;
const INVISIBLE: u8 = 4;
const ALPHABETIC: u8 = 8;
const UPPERCASE: u8 = 16;
const ALPHANUMERIC: u8 = 32;

fn char_class(c: char) -> u8 {
    let flag = |yes: bool, bit: u8| if yes { bit } else { 0 };
    flag(is_key_separator(c), SEPARATOR)
        | flag(c.is_whitespace(), SPACE)
        | flag(is_invisible(c), INVISIBLE)
        | flag(c.is_alphabetic(), ALPHABETIC)
        | flag(c.is_uppercase(), UPPERCASE)
        | flag(c.is_alphanumeric(), ALPHANUMERIC)
}

/// [`char_class`] of every ASCII character.
static ASCII_CLASSES: std::sync::LazyLock<[u8; 128]> = std::sync::LazyLock::new(|| {
    let mut table = [0; 128];
    for (b, class) in (0u8..).zip(table.iter_mut()) {
        *class = char_class(char::from(b));
    }
    table
});

/// Opening quotes and brackets: what a sentence may start with.
fn is_opening(c: char) -> bool {
    matches!(
        c,
        '"' | '\u{201C}' | '\u{00AB}' | '(' | '[' | '\'' | '\u{2018}'
    )
}

/// Number of words in a matching key.
#[inline]
pub fn key_words(key: &str) -> usize {
    if key.is_empty() {
        0
    } else {
        // A count the compiler vectorizes: words are too short for a
        // search per space to pay.
        key.bytes().filter(|&b| b == b' ').count() + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_cases_of_ascii_text_take_the_fast_path_to_the_same_result() {
        let texts = [
            "The Bank of England said on Monday: \"Rates stay.\" (Reuters) - IBM's CEO",
            "  -- a NEW era\tbegins... [UK] 'quoted' x-ray U.S. 3.5% of $10 ",
            "\u{1}hidden\u{7f}chars and--dashes;semi: Colon. end",
            "",
            "ALL CAPS WORDS AND a b C",
        ];
        for text in texts {
            let (mut fast, mut any) = (Vec::new(), Vec::new());
            word_cases_ascii(text.as_bytes(), &mut fast);
            word_cases_any(text, &mut any);
            assert_eq!(fast, any, "{text:?}");
        }
        // Random text over the characters that matter to the classes.
        for text in random_texts(b"aZ9 .,:;!?-'\"([)]\t\n\x01\x7f_/&", 7, 2_000, 40) {
            let (mut fast, mut any) = (Vec::new(), Vec::new());
            word_cases_ascii(text.as_bytes(), &mut fast);
            word_cases_any(&text, &mut any);
            assert_eq!(fast, any, "{text:?}");
        }
    }

    /// `count` texts of `len` characters drawn from `alphabet` by a fixed
    /// linear congruential generator started at `seed`.
    fn random_texts(alphabet: &[u8], seed: u64, count: usize, len: usize) -> Vec<String> {
        let mut x = seed;
        let mut next = move || {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            char::from(alphabet[(x >> 33) as usize % alphabet.len()])
        };
        (0..count)
            .map(|_| (0..len).map(|_| next()).collect())
            .collect()
    }

    /// The full path of [`matching_key_into`], for comparison.
    fn slow_key(text: &str) -> String {
        let mut out = String::new();
        let mut pending_space = false;
        for c in text.nfkc() {
            if c.is_alphanumeric() || unicode_normalization::char::is_combining_mark(c) {
                if pending_space && !out.is_empty() {
                    out.push(' ');
                }
                pending_space = false;
                out.extend(c.to_lowercase());
            } else if is_key_separator(c) {
                pending_space = true;
            }
        }
        out.nfc().collect()
    }

    #[test]
    fn stable_characters_fold_as_the_full_path_does() {
        let mut checked = 0;
        for c in (0..=0x10FFFFu32)
            .filter_map(char::from_u32)
            .filter(|&c| is_stable_key_char(c))
        {
            for text in [
                format!("A{c}b"),
                format!("{c}{c} x"),
                format!("e{c}\u{301}"),
            ] {
                let mut fast = String::new();
                if key_of_stable_chars(&text, &mut fast) {
                    assert_eq!(fast, slow_key(&text), "{c:?} U+{:04X}", u32::from(c));
                }
            }
            checked += 1;
        }
        assert!(checked > 20_000);
    }

    macro_rules! t {
        ($name:ident, $f:ident, $input:expr, $want:expr) => {
            #[test]
            fn $name() {
                assert_eq!($f($input), $want);
            }
        };
    }

    t!(
        clean_entities,
        clean_text,
        "A &lt;b&gt; &#8220;c&#8221; &amp;",
        "A <b> \u{201C}c\u{201D} &"
    );
    t!(clean_etx_entity, clean_text, "Reuter\n&#3;", "Reuter");
    t!(
        clean_bom_zw,
        clean_text,
        "\u{FEFF}co\u{200B}op\u{00AD}er",
        "cooper"
    );
    t!(
        clean_spaces,
        clean_text,
        "a\u{2003}\u{00A0} b\t\tc",
        "a b c"
    );
    t!(clean_nfc, clean_text, "Caldero\u{0301}n", "Calder\u{00F3}n");
    t!(
        clean_windows_1252,
        clean_text,
        "it&#146;s \u{93}ok\u{94} &#150; &#x0; x",
        "it\u{2019}s \u{201C}ok\u{201D} \u{2013} x"
    );
    t!(
        clean_keeps_quotes,
        clean_text,
        "\u{201C}Hi\u{201D} \u{2013} yes",
        "\u{201C}Hi\u{201D} \u{2013} yes"
    );
    t!(
        clean_keeps_zwj,
        clean_text,
        "\u{1F469}\u{200D}\u{1F4BB}",
        "\u{1F469}\u{200D}\u{1F4BB}"
    );
    t!(clean_empty, clean_text, " \u{200B} ", "");
    t!(key_dash, matching_key, "Mexico \u{2013} At", "mexico at");
    t!(
        key_emdash_no_space,
        matching_key,
        "Venezuela\u{2014}it",
        "venezuela it"
    );
    t!(
        key_quotes,
        matching_key,
        "Mexico\u{2019}s \u{201C}kingpin\u{201D}",
        "mexicos kingpin"
    );
    t!(
        key_nfkc_case,
        matching_key,
        "\u{FB01}NAL \u{00C9}T\u{00C9}",
        "final \u{00E9}t\u{00E9}"
    );
    t!(key_punct_only, matching_key, "* * * \u{2014}", "");
    t!(
        key_cjk,
        matching_key,
        "\u{4E2D}\u{6587}\u{3002}",
        "\u{4E2D}\u{6587}"
    );

    #[test]
    fn clean_is_idempotent_on_samples() {
        for s in ["  a  b ", "&amp;amp;", "x\u{0301}\u{0301}", "\r\n\u{85}z"] {
            let once = clean_text(s).into_owned();
            assert_eq!(clean_text(&once), once, "input {s:?}");
        }
    }

    #[test]
    fn ascii_key_table_agrees_with_the_unicode_path() {
        for b in 0u8..128 {
            let c = b as char;
            let ascii = matching_key(&format!("x{c}y"));
            let unicode = matching_key(&format!("x{c}y \u{E9}"));
            assert_eq!(unicode, format!("{ascii} \u{E9}"), "byte {b:#04x}");
        }
    }

    #[test]
    fn ascii_fast_paths_agree_with_the_general_paths_on_random_text() {
        // Random text over the bytes that matter to clean-up and keys,
        // appended to a non-empty buffer as the callers do.
        // The second alphabet, mostly letters, gives text already clean and
        // text wrapped into lines: the two copying paths of `clean_ascii`.
        let texts = random_texts(b"aZ9 .,-/|_'\"\t\n\r\x0b\x01\x7f  ", 11, 3_000, 30)
            .into_iter()
            .chain(random_texts(b"abcdefghijklmn \n\t\r", 12, 3_000, 24));
        for text in texts {
            let mut key = String::from("kept ");
            matching_key_into(&text, &mut key);
            assert_eq!(key, format!("kept {}", slow_key(&text)), "{text:?}");
            let (alone, words) = matching_key_words(&text);
            assert_eq!(words, key_words(&alone), "{text:?}");
            let mut cleaned = String::from("kept ");
            clean_ascii(&text, &mut cleaned);
            let mut general = String::from("kept ");
            clean_chars(&text, &mut general);
            assert_eq!(cleaned, general, "{text:?}");
        }
    }

    #[test]
    fn key_words_counts() {
        assert_eq!(key_words(""), 0);
        assert_eq!(key_words("one"), 1);
        assert_eq!(key_words("mexico under pressure"), 3);
    }
}
