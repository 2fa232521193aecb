//! Which of one paragraph's shingles another token sequence holds.
//!
//! The coverage stage asks this of every paragraph of every candidate
//! source: millions of times per hundred megabytes. Hashing each source
//! shingle with xxh3 again and binary-searching the paragraph's sorted
//! shingle hashes took about a sixth of a whole run. A [`ShingleProbe`]
//! instead keys the shingles of both texts by a polynomial over their
//! tokens (xxh3 values already), rolled along the sequence with two
//! multiplications per position, and looks them up in an open-addressing
//! table of the paragraph's shingles, behind a one-hash bitmap that turns
//! most misses away.
//!
//! The keys live only in the probe: shingle hashes, fingerprints and
//! everything stored or reported stay the xxh3 values of [`super::tokens`].
//! Two shingles are the same when their keys are equal, which is when
//! their tokens are equal barring a 64-bit collision.

use super::numbers::KeyNumbers;
use super::tokens::CASE;

/// The multiplier of the rolling polynomial (odd, from the golden ratio).
const BASE: u64 = 0x9E37_79B9_7F4A_7C15;

/// Words of the bitmap: 4,096 bits, a few per cent set for a paragraph of
/// a hundred words.
const BITMAP_WORDS: usize = 64;

/// The keys of the shingles of `width` consecutive tokens of `tokens`
/// (flags masked), one per position; fewer tokens than `width` give one
/// key of them all, as [`super::tokens::shingles_into`] gives one hash.
#[inline(always)]
fn keys(tokens: &[u32], width: usize, mut each: impl FnMut(usize, u64)) {
    if tokens.is_empty() {
        return;
    }
    let width = width.clamp(1, tokens.len());
    // BASE^(width - 1): the weight of the token leaving the window.
    let top = (1..width).fold(1u64, |p, _| p.wrapping_mul(BASE));
    let token = |i: usize| u64::from(tokens[i] & !CASE);
    let mut key = (0..width).fold(0u64, |k, i| k.wrapping_mul(BASE).wrapping_add(token(i)));
    each(0, finish(key, width));
    for i in 1..=tokens.len() - width {
        key = key
            .wrapping_sub(token(i - 1).wrapping_mul(top))
            .wrapping_mul(BASE)
            .wrapping_add(token(i + width - 1));
        each(i, finish(key, width));
    }
}

/// A shingle's key from its polynomial: the width folded in (a short
/// paragraph's one shingle is no shingle of a longer one) and the bits
/// mixed, so that the bitmap's bits of a key are as good as any.
#[inline]
fn finish(key: u64, width: usize) -> u64 {
    let key = key ^ (width as u64).wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
    let key = (key ^ (key >> 29)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    key ^ (key >> 32)
}

/// The shingles of one paragraph, keyed for membership tests of other
/// token sequences. Reused across paragraphs; [`ShingleProbe::set`]
/// replaces its contents.
#[derive(Debug, Default)]
pub struct ShingleProbe {
    /// The shingles' keys, numbered.
    numbers: KeyNumbers,
    bitmap: Vec<u64>,
    /// Keys of a sequence being counted ([`ShingleProbe::distinct`]).
    scratch: Vec<u64>,
}

impl ShingleProbe {
    /// Holds the shingles of `tokens` (of `width` tokens), numbered from 0
    /// in order of first appearance.
    pub fn set(&mut self, tokens: &[u32], width: usize) {
        // At most one shingle per token.
        self.numbers.reset(tokens.len());
        self.bitmap.clear();
        self.bitmap.resize(BITMAP_WORDS, 0);
        keys(tokens, width, |_, key| {
            super::set_bit(&mut self.bitmap, bit(key));
            self.numbers.number(key);
        });
    }

    /// How many different shingles the paragraph has.
    pub fn len(&self) -> usize {
        self.numbers.len()
    }

    /// Whether the paragraph has no shingles (it has no tokens).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The number of the paragraph's shingle keyed `key`.
    #[inline(always)]
    fn find(&self, key: u64) -> Option<usize> {
        if !super::has_bit(&self.bitmap, bit(key)) {
            return None;
        }
        self.numbers.get(key).map(|j| j as usize)
    }

    /// Calls `found(i, j)` for each position `i` of the shingles of
    /// `tokens` (of `width` tokens) that is the paragraph's shingle number
    /// `j`.
    pub fn matches(&self, tokens: &[u32], width: usize, mut found: impl FnMut(usize, usize)) {
        keys(tokens, width, |i, key| {
            if let Some(j) = self.find(key) {
                found(i, j);
            }
        });
    }

    /// How many different shingles `tokens` (of `width` tokens) has.
    pub fn distinct(&mut self, tokens: &[u32], width: usize) -> usize {
        self.scratch.clear();
        keys(tokens, width, |_, key| self.scratch.push(key));
        self.scratch.sort_unstable();
        self.scratch.dedup();
        self.scratch.len()
    }
}

/// The bitmap bit of a key (its high bits).
#[inline]
fn bit(key: u64) -> usize {
    (key >> 52) as usize % (BITMAP_WORDS * 64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shingle::tokens::{shingles_into, word_token};

    fn tokens(text: &str) -> Vec<u32> {
        text.split(' ')
            .filter(|w| !w.is_empty())
            .map(|w| word_token(w, false))
            .collect()
    }

    /// The xxh3 shingle hashes of `tokens`, one per position.
    fn hashes(tokens: &[u32], width: usize) -> Vec<u32> {
        let mut out = Vec::new();
        shingles_into(tokens, width, &mut out);
        out
    }

    #[test]
    fn finds_what_the_shingle_hashes_find() {
        let p = tokens(
            "the company said on monday that profits rose by a third in the year the company said",
        );
        let texts = [
            "analysts said on monday that profits rose by a third in the year to march",
            "the company said",
            "nothing in common here at all really",
            "company said on monday that profits rose",
            "",
        ];
        for width in [1, 3, 5, 30] {
            let ps = hashes(&p, width);
            let mut probe = ShingleProbe::default();
            probe.set(&p, width);
            let mut distinct = ps.clone();
            distinct.sort_unstable();
            distinct.dedup();
            assert_eq!(probe.len(), distinct.len());
            for text in texts {
                let s = tokens(text);
                let ss = hashes(&s, width);
                // Positions found, with the position in P of the shingle.
                let mut got = Vec::new();
                probe.matches(&s, width, |i, j| got.push((i, j)));
                let want: Vec<usize> = (0..ss.len()).filter(|&i| ps.contains(&ss[i])).collect();
                assert_eq!(
                    got.iter().map(|&(i, _)| i).collect::<Vec<_>>(),
                    want,
                    "width {width}: {text:?}"
                );
                for &(i, j) in &got {
                    // Shingle numbers follow first appearance in P.
                    let first = ps.iter().position(|h| *h == ss[i]).unwrap();
                    let mut seen = ps[..first].to_vec();
                    seen.sort_unstable();
                    seen.dedup();
                    assert_eq!(j, seen.len(), "width {width}: {text:?}");
                }
                let mut sorted = ss.clone();
                sorted.sort_unstable();
                sorted.dedup();
                assert_eq!(
                    probe.distinct(&s, width),
                    sorted.len(),
                    "width {width}: {text:?}"
                );
            }
        }
    }

    #[test]
    fn case_flags_do_not_matter_and_order_does() {
        let p = tokens("a b c d e");
        let mut probe = ShingleProbe::default();
        probe.set(&p, 5);
        let named: Vec<u32> = p.iter().map(|t| t | CASE).collect();
        let mut hits = 0;
        probe.matches(&named, 5, |_, _| hits += 1);
        assert_eq!(hits, 1);
        probe.matches(&tokens("b a c d e"), 5, |_, _| hits += 1);
        probe.matches(&tokens("a b c d"), 4, |_, _| hits += 1);
        assert_eq!(hits, 1);
    }
}
