//! Stage 2: hashing. The only place xxh3 is called.
//!
//! * Paragraph hashes are xxh3-64 of the paragraph's matching key with seed
//!   [`SEED`]; a document hash is xxh3-64 of the little-endian bytes of its
//!   paragraph hashes in order.
//! * [`tokens`]: a paragraph's words as 32-bit tokens carrying figure and
//!   name flags, word n-gram shingles of the tokens (character n-grams for
//!   text written without spaces between words), winnowed fingerprints, and
//!   spelling Bloom filters for names: what the coverage stage indexes and
//!   aligns.
//! * [`probe`]: which of one paragraph's shingles another token sequence
//!   holds, by a rolling key over tokens that lives only in memory (the
//!   coverage stage's inner loop).
//!
//! Everything here is deterministic across platforms, runs and processes;
//! the seeds and widths are recorded in the report's parameters, so another
//! process computes the same tokens, shingles and fingerprints.

mod numbers;
pub mod probe;
pub mod tokens;

pub(crate) use numbers::KeyNumbers;

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use xxhash_rust::xxh3::{Xxh3, xxh3_64, xxh3_64_with_seed};

/// Name of the hash function, as recorded in the report.
pub const HASH_NAME: &str = "xxh3-64";

/// Seed of the paragraph and document hashes.
pub const SEED: u64 = 0x6e65_7773_6465_6475; // "newsdedu"

/// Hash of a paragraph's matching key.
///
/// ```
/// use newsdedup::normalize::matching_key;
/// use newsdedup::shingle::paragraph_hash;
/// let a = matching_key("Mexico \u{2013} at the \u{201C}conference\u{201D}");
/// let b = matching_key("MEXICO - at the \"conference\"");
/// assert_eq!(paragraph_hash(&a), paragraph_hash(&b));
/// ```
#[inline]
pub fn paragraph_hash(key: &str) -> u64 {
    xxh3_64_with_seed(key.as_bytes(), SEED)
}

/// Unseeded xxh3-64 of a string, for in-memory tables keyed by words or
/// names (stop words, sites): never stored or reported.
#[inline]
pub fn text_hash(text: &str) -> u64 {
    xxh3_64(text.as_bytes())
}

/// Hash of a document from its paragraph hashes, in order: xxh3-64 of
/// their little-endian bytes.
pub fn document_hash(paragraph_hashes: &[u64]) -> u64 {
    document_hash_of(paragraph_hashes.iter().copied())
}

/// [`document_hash`] of hashes as they come, streamed into the hasher
/// (no buffer).
pub(crate) fn document_hash_of(paragraph_hashes: impl IntoIterator<Item = u64>) -> u64 {
    let mut state = Xxh3::with_seed(SEED);
    for h in paragraph_hashes {
        state.update(&h.to_le_bytes());
    }
    state.digest()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values_are_stable() {
        // Pinned so that a change of hash or seed is noticed: reports and
        // indexes from different versions must not be silently mixed.
        assert_eq!(paragraph_hash(""), xxh3_64_with_seed(b"", SEED));
        assert_ne!(paragraph_hash("a"), paragraph_hash("b"));
        assert_ne!(document_hash(&[1, 2]), document_hash(&[2, 1]));
        // Streamed, it is the one-shot hash of the concatenated bytes, at
        // every length (xxh3 switches algorithm at 16, 128 and 240 bytes).
        let hashes: Vec<u64> = (0..80u64)
            .map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15))
            .collect();
        for len in 0..hashes.len() {
            let bytes: Vec<u8> = hashes[..len].iter().flat_map(|h| h.to_le_bytes()).collect();
            assert_eq!(
                document_hash(&hashes[..len]),
                xxh3_64_with_seed(&bytes, SEED),
                "{len}"
            );
        }
    }
}

/// A hasher for keys that are already xxh3 hashes: it passes the `u64`
/// through, since its bits are as well mixed as any hash table needs.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is used by `u64` keys; fold anything else in.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }

    fn write_u32(&mut self, n: u32) {
        // Tokens and shingles are 32-bit xxh3 values: spread them over the
        // top bits too, which the table uses for its control bytes.
        self.0 = u64::from(n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// Sets bit `bit` of a bitmap held in 64-bit words (a one-hash Bloom
/// filter when `bit` comes from a hash).
pub(crate) fn set_bit(words: &mut [u64], bit: usize) {
    words[bit / 64] |= 1 << (bit % 64);
}

/// Whether bit `bit` of a bitmap held in 64-bit words is set (false past
/// its end).
pub(crate) fn has_bit(words: &[u64], bit: usize) -> bool {
    words
        .get(bit / 64)
        .is_some_and(|word| word & (1 << (bit % 64)) != 0)
}

/// A hash table keyed by xxh3 hashes.
pub(crate) type HashTable<V> = HashMap<u64, V, BuildHasherDefault<PassThrough>>;

/// A hash table keyed by 32-bit xxh3 values (tokens, shingles).
pub(crate) type HashTable32<V> = HashMap<u32, V, BuildHasherDefault<PassThrough>>;
