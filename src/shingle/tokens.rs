//! Word tokens, shingles and winnowed fingerprints for the coverage stage.
//!
//! A paragraph's matching key becomes a sequence of 32-bit *tokens*, one per
//! word (one per character in scripts written without spaces): the xxh3 of
//! the word with its two low bits replaced by flags. [`FIGURE`] marks a word
//! that holds a digit or is a number word ("seven", "hundred"), [`NAME`] a
//! word capitalized in the text where that means a name. Number words up to
//! twelve and the round tens are hashed as their digits, so "ten" and "10"
//! are the same token. Two tokens are the same word when they are equal
//! apart from [`NAME`] ([`same_word`]).
//!
//! Shingles are hashes of `width` consecutive tokens (flags masked), one per
//! position; a paragraph shorter than the width is one shingle. Winnowing
//! (Schleimer, Wilkerson and Aiken, 2003) keeps the smallest shingle hash of
//! every window of [`WINNOW_WINDOW`] consecutive shingles: about
//! `2 / (window + 1)` of the shingles, with the guarantee that two texts
//! sharing a run of `width + window - 1` words share a fingerprint.

use xxhash_rust::xxh3::xxh3_64_with_seed;

/// Seed of token hashes.
pub const TOKEN_SEED: u64 = 0x746f_6b65_6e73_2121; // "tokens!!"
/// Flag bit: the word is a figure (holds a digit, or is a number word).
pub const FIGURE: u32 = 1;
/// Flag bit: the word is a name (capitalized in running text, not a stop
/// word at the start of a sentence).
pub const NAME: u32 = 2;
/// Flag bit: the word is written in lowercase in running text, where the
/// text's case is known. A word seen so is a common word wherever else it
/// is capitalized ("Whether", "Economy"), not a name.
pub const LOWER: u32 = 4;
/// The flags that say how one occurrence of a word is written rather than
/// which word it is.
pub const CASE: u32 = NAME | LOWER;
/// Shingles per winnowing window.
pub const WINNOW_WINDOW: usize = 6;

/// The digits a number word is hashed as ("ten" is "10"), or `None`.
fn number_word(word: &str) -> Option<&'static str> {
    Some(match word {
        "zero" => "0",
        "one" => "1",
        "two" => "2",
        "three" => "3",
        "four" => "4",
        "five" => "5",
        "six" => "6",
        "seven" => "7",
        "eight" => "8",
        "nine" => "9",
        "ten" => "10",
        "eleven" => "11",
        "twelve" => "12",
        "twenty" => "20",
        "thirty" => "30",
        "forty" => "40",
        "fifty" => "50",
        "sixty" => "60",
        "seventy" => "70",
        "eighty" => "80",
        "ninety" => "90",
        "hundred" => "100",
        "thousand" => "1000",
        _ => return None,
    })
}

/// Further words that state a quantity without being a number word.
fn is_quantity_word(word: &str) -> bool {
    matches!(
        word,
        "half" | "quarter" | "third" | "dozen" | "million" | "billion"
    )
}

/// True for scripts usually written without spaces between words.
fn is_unspaced_script(c: char) -> bool {
    matches!(c,
        '\u{0E00}'..='\u{0EFF}'      // Thai, Lao
        | '\u{1000}'..='\u{109F}'    // Myanmar
        | '\u{1780}'..='\u{17FF}'    // Khmer
        | '\u{3040}'..='\u{30FF}'    // Hiragana, Katakana
        | '\u{3400}'..='\u{4DBF}'    // CJK extension A
        | '\u{4E00}'..='\u{9FFF}'    // CJK unified ideographs
        | '\u{F900}'..='\u{FAFF}'    // CJK compatibility ideographs
        | '\u{20000}'..='\u{2FA1F}') // CJK extensions B-F
}

/// True when most letters of `key` are in scripts written without spaces.
pub fn is_unspaced_key(key: &str) -> bool {
    let (mut unspaced, mut letters) = (0usize, 0usize);
    for c in key.chars().filter(|c| *c != ' ') {
        letters += 1;
        unspaced += usize::from(is_unspaced_script(c));
    }
    unspaced * 2 > letters
}

/// Whether two tokens are the same word (flags other than [`CASE`] follow
/// from the word itself).
#[inline]
pub fn same_word(a: u32, b: u32) -> bool {
    (a ^ b) & !CASE == 0
}

/// The words of a matching key, split at its spaces (`str::split(' ')`
/// by a plain byte scan: the words are too short for a search per space to
/// pay).
pub fn key_word_pieces(key: &str) -> impl Iterator<Item = &str> {
    let mut start = 0;
    key.bytes()
        .enumerate()
        .filter(|&(_, b)| b == b' ')
        .map(|(at, _)| at)
        .chain(std::iter::once(key.len()))
        .map(move |end| {
            let word = &key[start..end];
            start = end + 1;
            word
        })
}

/// The token of one word of a matching key.
pub fn word_token(word: &str, name: bool) -> u32 {
    let digits = word.bytes().any(|b| b.is_ascii_digit());
    token_of(word, digits) | if name { NAME } else { 0 }
}

/// [`word_token`] without [`CASE`] flags, of a word known to hold a digit
/// or not.
#[inline]
fn token_of(word: &str, digits: bool) -> u32 {
    // Number and quantity words are 3 to 8 lowercase ASCII letters.
    let maybe_number =
        !digits && (3..=8).contains(&word.len()) && word.as_bytes()[0].is_ascii_lowercase();
    let number = if maybe_number {
        number_word(word)
    } else {
        None
    };
    let figure = digits || number.is_some() || (maybe_number && is_quantity_word(word));
    let hash = xxh3_64_with_seed(number.unwrap_or(word).as_bytes(), TOKEN_SEED) as u32;
    (hash & !(FIGURE | CASE)) | if figure { FIGURE } else { 0 }
}

/// Appends the tokens of `key` to `out`; `names[i]` says whether word `i`
/// is a name (missing entries are not). Returns the shingle width to use:
/// `words` for spaced text, `chars` for a key mostly in a script written
/// without spaces, whose tokens are its characters.
pub fn tokens_into(
    key: &str,
    names: &[bool],
    words: usize,
    chars: usize,
    out: &mut Vec<u32>,
) -> usize {
    tokens_with(key, words, chars, out, |i, _| {
        if names.get(i).copied().unwrap_or(false) {
            NAME
        } else {
            0
        }
    })
}

/// [`tokens_into`] with the [`CASE`] flags of word `i` (the word given)
/// asked of `case_of`, in word order, in one pass over the key.
pub fn tokens_with(
    key: &str,
    words: usize,
    chars: usize,
    out: &mut Vec<u32>,
    mut case_of: impl FnMut(usize, &str) -> u32,
) -> usize {
    if key.is_empty() {
        return words;
    }
    if !key.is_ascii() && is_unspaced_key(key) {
        let mut buf = [0u8; 4];
        out.extend(
            key.chars()
                .filter(|c| *c != ' ')
                .map(|c| word_token(c.encode_utf8(&mut buf), false)),
        );
        return chars;
    }
    // One scan finds each word's end and whether it holds a digit.
    let bytes = key.as_bytes();
    let (mut start, mut digits, mut i) = (0, false, 0);
    for (at, &b) in bytes.iter().enumerate() {
        if b == b' ' {
            let word = &key[start..at];
            out.push(token_of(word, digits) | (case_of(i, word) & CASE));
            (start, digits, i) = (at + 1, false, i + 1);
        } else {
            digits |= b.is_ascii_digit();
        }
    }
    let word = &key[start..];
    out.push(token_of(word, digits) | (case_of(i, word) & CASE));
    words
}

/// Appends one shingle hash per position of `tokens` (of `width` tokens,
/// flags masked) to `out`; fewer tokens than `width` give one shingle.
pub fn shingles_into(tokens: &[u32], width: usize, out: &mut Vec<u32>) {
    if tokens.is_empty() {
        return;
    }
    let width = width.clamp(1, tokens.len());
    // The tokens' bytes, flags masked, once; each shingle hashes a slice.
    let mut stack = [0u8; 256];
    let mut heap = Vec::new();
    let bytes: &mut [u8] = if tokens.len() * 4 <= stack.len() {
        &mut stack[..tokens.len() * 4]
    } else {
        heap.resize(tokens.len() * 4, 0);
        &mut heap
    };
    for (chunk, t) in bytes.chunks_exact_mut(4).zip(tokens) {
        chunk.copy_from_slice(&(t & !CASE).to_le_bytes());
    }
    out.extend(
        (0..=tokens.len() - width)
            .map(|i| xxh3_64_with_seed(&bytes[i * 4..(i + width) * 4], TOKEN_SEED) as u32),
    );
}

/// The winnowed fingerprints of a shingle sequence, sorted and deduplicated
/// into `out` (cleared first): the minimum of every window of `window`
/// shingles (all of them when there are fewer).
pub fn winnow_into(shingles: &[u32], window: usize, out: &mut Vec<u32>) {
    out.clear();
    if shingles.is_empty() {
        return;
    }
    let window = window.clamp(1, shingles.len());
    // O(n * window), with no allocation: faster than a monotonic deque for
    // windows of a few shingles.
    out.extend(
        shingles
            .windows(window)
            .map(|w| w.iter().copied().min().unwrap_or(u32::MAX)),
    );
    out.sort_unstable();
    out.dedup();
}

/// A 64-bit Bloom filter of the character bigrams of `word`: the bigram
/// sets of two spellings of a word overlap ([`spelling_similarity`]).
pub fn bigram_bloom(word: &str) -> u64 {
    let mut bloom = 0u64;
    let mut prev: Option<char> = None;
    for c in word.chars() {
        if let Some(p) = prev {
            // A multiplicative hash of the pair of code points: its top six
            // bits pick the filter's bit.
            let pair = (u64::from(p) << 32) | u64::from(c);
            bloom |= 1 << (pair.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 58);
        }
        prev = Some(c);
    }
    if bloom == 0 {
        bloom = 1 << (xxh3_64_with_seed(word.as_bytes(), TOKEN_SEED) & 63);
    }
    bloom
}

/// Dice coefficient of two bigram Bloom filters: near 1 for spellings of
/// one word ("centre", "center"), low for different words.
pub fn spelling_similarity(a: u64, b: u64) -> f64 {
    let total = a.count_ones() + b.count_ones();
    if total == 0 {
        return 0.0;
    }
    f64::from(2 * (a & b).count_ones()) / f64::from(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_words_are_their_digits() {
        assert_eq!(word_token("ten", false), word_token("10", false));
        assert_eq!(word_token("ten", false) & FIGURE, FIGURE);
        assert_eq!(word_token("half", false) & FIGURE, FIGURE);
        assert_eq!(word_token("harbour", false) & FIGURE, 0);
        assert!(same_word(
            word_token("lima", true),
            word_token("lima", false)
        ));
        assert!(!same_word(
            word_token("lima", false),
            word_token("rome", false)
        ));
    }

    #[test]
    fn key_word_pieces_split_as_str_split_does() {
        for key in ["", "one", "one two", " lead", "trail ", "a  b", "é ñ ü"] {
            let pieces: Vec<&str> = key_word_pieces(key).collect();
            assert_eq!(pieces, key.split(' ').collect::<Vec<_>>(), "{key:?}");
        }
    }

    #[test]
    fn shingles_and_winnowing() {
        let tokens: Vec<u32> = (0..20)
            .map(|i| word_token(&format!("w{i}"), false))
            .collect();
        let mut shingles = Vec::new();
        shingles_into(&tokens, 5, &mut shingles);
        assert_eq!(shingles.len(), 16);
        let mut short = Vec::new();
        shingles_into(&tokens[..3], 5, &mut short);
        assert_eq!(short.len(), 1);
        let mut fp = Vec::new();
        winnow_into(&shingles, 4, &mut fp);
        // Every window of 4 holds a fingerprint.
        for w in shingles.windows(4) {
            assert!(w.iter().any(|h| fp.binary_search(h).is_ok()));
        }
        assert!(fp.len() < shingles.len());
    }

    #[test]
    fn spelling() {
        let s = |a, b| spelling_similarity(bigram_bloom(a), bigram_bloom(b));
        assert!(s("centre", "center") >= 0.5);
        assert!(s("acquisitions", "aquisitions") >= 0.5);
        assert!(s("micropolis", "atari") < 0.5);
        assert!(s("indiana", "missouri") < 0.5);
    }
}
