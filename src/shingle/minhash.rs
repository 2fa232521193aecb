//! Shingles, one-permutation MinHash signatures and LSH bands.
//!
//! # Why one-permutation hashing
//!
//! Classic MinHash hashes every shingle `k` times (k = 128: 128 hashes per
//! word of text). One-permutation hashing (Li, Owen and Zhang, 2012) hashes
//! each shingle once, splits the hash range into `k` bins and keeps the
//! minimum in each: `O(shingles + k)` instead of `O(shingles * k)`. Bins
//! that no shingle reached are filled by *optimal densification*
//! (Shrivastava, 2017): an empty bin copies the bin chosen by a seeded
//! pseudo-random sequence of its own (splitmix64 of bin and attempt; the
//! same sequence for every signature), taking the first filled bin. The
//! probability that two signatures agree in a bin is then the Jaccard
//! similarity of the two shingle sets, as for k-permutation MinHash, with a
//! variance close to it. Every candidate is verified exactly afterwards, so
//! the signature only has to find candidates.

use xxhash_rust::xxh3::{Xxh3, xxh3_64_with_seed};

use crate::error::{Error, ErrorKind};

/// Seed of shingle hashes.
pub const SHINGLE_SEED: u64 = 0x7368_696e_676c_6573; // "shingles"
/// Seed of densification choices and band keys.
pub const BAND_SEED: u64 = 0x6261_6e64_6b65_7973; // "bandkeys"

/// Turns matching keys into sorted, deduplicated sets of shingle hashes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shingler {
    words: usize,
    chars: usize,
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

impl Shingler {
    /// Word n-grams of `words` words; character n-grams of `chars`
    /// characters for unspaced scripts. Both must be at least 1.
    pub fn new(words: usize, chars: usize) -> Result<Shingler, Error> {
        for (setting, value) in [("shingle_words", words), ("shingle_chars", chars)] {
            if value == 0 {
                return Err(Error::new(ErrorKind::OutOfRange {
                    setting,
                    value: "0".to_string(),
                    expected: "at least 1",
                }));
            }
        }
        Ok(Shingler { words, chars })
    }

    /// Words per shingle.
    pub fn words(&self) -> usize {
        self.words
    }

    /// Characters per shingle in unspaced scripts.
    pub fn chars(&self) -> usize {
        self.chars
    }

    /// The shingle hashes of matching key `key`, sorted and deduplicated.
    ///
    /// A key of fewer words than the width is one shingle (the whole key),
    /// never the empty set, so short texts do not all collide; an empty key
    /// has no shingles. A key whose letters are mostly in a script written
    /// without spaces (Chinese, Japanese, Thai, Khmer, Myanmar) is shingled
    /// by characters instead.
    ///
    /// ```
    /// use newsdedup::shingle::Shingler;
    /// let s = Shingler::new(3, 3).unwrap();
    /// assert_eq!(s.shingles("a b c d").len(), 2);
    /// assert_eq!(s.shingles("a b").len(), 1);
    /// assert!(s.shingles("").is_empty());
    /// ```
    pub fn shingles(&self, key: &str) -> Vec<u64> {
        let mut out = Vec::new();
        self.shingles_into(key, &mut out);
        out
    }

    /// Like [`Shingler::shingles`], into `out` (cleared first).
    pub fn shingles_into(&self, key: &str, out: &mut Vec<u64>) {
        out.clear();
        if key.is_empty() {
            return;
        }
        let hash = |s: &str| xxh3_64_with_seed(s.as_bytes(), SHINGLE_SEED);
        if !key.is_ascii() && self.is_unspaced(key) {
            let bounds: Vec<usize> = key
                .char_indices()
                .map(|(i, _)| i)
                .chain(std::iter::once(key.len()))
                .collect();
            let n = bounds.len() - 1;
            if n <= self.chars {
                out.push(hash(key));
            } else {
                out.extend(
                    (0..=n - self.chars).map(|i| hash(&key[bounds[i]..bounds[i + self.chars]])),
                );
            }
        } else {
            // Word starts, and the end of the key as a sentinel.
            let mut starts = Vec::with_capacity(key.len() / 5 + 2);
            starts.push(0);
            starts.extend(memchr::memchr_iter(b' ', key.as_bytes()).map(|i| i + 1));
            let words = starts.len();
            starts.push(key.len() + 1);
            if words <= self.words {
                out.push(hash(key));
            } else {
                out.extend(
                    (0..=words - self.words)
                        .map(|i| hash(&key[starts[i]..starts[i + self.words] - 1])),
                );
            }
        }
        out.sort_unstable();
        out.dedup();
    }

    fn is_unspaced(&self, key: &str) -> bool {
        is_unspaced_key(key)
    }
}

/// True when most letters of `key` are in scripts written without spaces.
pub(crate) fn is_unspaced_key(key: &str) -> bool {
    let (mut unspaced, mut letters) = (0usize, 0usize);
    for c in key.chars().filter(|c| *c != ' ') {
        letters += 1;
        unspaced += usize::from(is_unspaced_script(c));
    }
    unspaced * 2 > letters
}

/// The splitmix64 finalizer: a fast, well-mixed 64-bit permutation.
#[inline]
fn splitmix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A MinHash signature: one value per bin.
pub type Signature = Vec<u64>;

/// Densification picks precomputed per bin; later attempts are computed.
const PRECOMPUTED_PICKS: usize = 16;

/// Computes one-permutation MinHash signatures with optimal densification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MinHasher {
    bins: usize,
    /// The first [`PRECOMPUTED_PICKS`] picks of every bin's sequence.
    picks: Vec<u16>,
}

/// The `attempt`-th bin that empty bin `bin` tries to copy from.
#[inline]
fn pick(bin: usize, attempt: u64, bins: usize) -> usize {
    let state = (BAND_SEED ^ (bin as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .wrapping_add((attempt + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    (((splitmix64(state) >> 32) * bins as u64) >> 32) as usize
}

impl MinHasher {
    /// A hasher with `bins` bins (the signature length), 1 to 1024.
    pub fn new(bins: usize) -> Result<MinHasher, Error> {
        if !(1..=1024).contains(&bins) {
            return Err(Error::new(ErrorKind::OutOfRange {
                setting: "minhash_bins",
                value: bins.to_string(),
                expected: "from 1 to 1024",
            }));
        }
        let picks = (0..bins)
            .flat_map(|bin| (0..PRECOMPUTED_PICKS as u64).map(move |a| pick(bin, a, bins) as u16))
            .collect();
        Ok(MinHasher { bins, picks })
    }

    /// The signature length.
    pub fn bins(&self) -> usize {
        self.bins
    }

    /// The signature of a shingle set; `None` for the empty set.
    pub fn signature(&self, shingles: &[u64]) -> Option<Signature> {
        if shingles.is_empty() {
            return None;
        }
        let k = self.bins as u64;
        debug_assert!(self.bins <= usize::from(u16::MAX) + 1);
        let mut sig = vec![u64::MAX; self.bins];
        // Bins some shingle reached, as a bit set (at most 1024 bins).
        let mut reached = [0u64; 16];
        for &h in shingles {
            // The high bits choose the bin (a fast range reduction), the
            // whole hash is the value compared within it.
            let bin = (((h >> 32) * k) >> 32) as usize;
            sig[bin] = sig[bin].min(h);
            reached[bin / 64] |= 1 << (bin % 64);
        }
        let is_reached = |bin: usize| reached[bin / 64] & (1 << (bin % 64)) != 0;
        for bin in 0..self.bins {
            if is_reached(bin) {
                continue;
            }
            // The picks of bin `bin` are a fixed pseudo-random sequence
            // (splitmix64 of the bin and the attempt), the same for every
            // signature, as optimal densification requires. Only reached
            // bins are donors.
            let table = &self.picks[bin * PRECOMPUTED_PICKS..(bin + 1) * PRECOMPUTED_PICKS];
            let donor = table
                .iter()
                .map(|&p| p as usize)
                .chain((PRECOMPUTED_PICKS as u64..).map(|a| pick(bin, a, self.bins)))
                .find(|&p| is_reached(p))
                .expect("a non-empty set reaches at least one bin");
            sig[bin] = sig[donor];
        }
        Some(sig)
    }
}

/// LSH banding: `bands` bands of `rows` signature values each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bands {
    bands: usize,
    rows: usize,
}

impl Bands {
    /// The banding for `bins`-value signatures that finds, with probability
    /// at least `recall`, a pair whose Jaccard similarity is `target`, with
    /// as many rows per band as allows (more rows: fewer false candidates).
    ///
    /// The probability that a pair of similarity `s` shares a band is
    /// `1 - (1 - s^rows)^bands`.
    ///
    /// ```
    /// use newsdedup::shingle::Bands;
    /// let b = Bands::for_target(128, 0.85, 0.995);
    /// assert_eq!((b.bands(), b.rows()), (18, 7));
    /// assert!(b.probability(0.85) >= 0.995);
    /// ```
    pub fn for_target(bins: usize, target: f64, recall: f64) -> Bands {
        let mut best = Bands {
            bands: bins,
            rows: 1,
        };
        for rows in 1..=bins {
            let candidate = Bands {
                bands: bins / rows,
                rows,
            };
            if candidate.probability(target) >= recall {
                best = candidate;
            }
        }
        best
    }

    /// Number of bands.
    pub fn bands(&self) -> usize {
        self.bands
    }

    /// Signature values per band.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Probability that a pair of Jaccard similarity `s` shares a band.
    pub fn probability(&self, s: f64) -> f64 {
        1.0 - (1.0 - s.powi(self.rows as i32)).powi(self.bands as i32)
    }

    /// The band keys of a signature, one per band, into `out` (cleared
    /// first). Band `b`'s key hashes its rows with the band index, so equal
    /// rows in different bands give different keys.
    pub fn keys_into(&self, signature: &[u64], out: &mut Vec<u64>) {
        out.clear();
        for (band, rows) in signature
            .chunks_exact(self.rows)
            .take(self.bands)
            .enumerate()
        {
            let mut hasher = Xxh3::with_seed(BAND_SEED ^ band as u64);
            for value in rows {
                hasher.update(&value.to_le_bytes());
            }
            out.push(hasher.digest());
        }
    }
}

/// Exact Jaccard similarity of two sorted shingle sets, and the containment
/// of `later` in `earlier` (the share of `later`'s shingles found in
/// `earlier`). Both are 0 when either set is empty.
///
/// ```
/// use newsdedup::shingle::jaccard_and_containment;
/// let (j, c) = jaccard_and_containment(&[1, 2, 3], &[1, 2, 3, 4]);
/// assert_eq!((j, c), (0.75, 1.0));
/// ```
pub fn jaccard_and_containment(later: &[u64], earlier: &[u64]) -> (f64, f64) {
    if later.is_empty() || earlier.is_empty() {
        return (0.0, 0.0);
    }
    let (mut i, mut j, mut common) = (0, 0, 0usize);
    while i < later.len() && j < earlier.len() {
        match later[i].cmp(&earlier[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                common += 1;
                i += 1;
                j += 1;
            }
        }
    }
    let union = later.len() + earlier.len() - common;
    (
        common as f64 / union as f64,
        common as f64 / later.len() as f64,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(words: &str) -> Vec<u64> {
        Shingler::new(2, 3).unwrap().shingles(words)
    }

    #[test]
    fn shingles_hash_slices_of_the_key() {
        let s = Shingler::new(2, 3).unwrap();
        let direct = s.shingles("a b c");
        let mut want = vec![
            xxh3_64_with_seed(b"a b", SHINGLE_SEED),
            xxh3_64_with_seed(b"b c", SHINGLE_SEED),
        ];
        want.sort_unstable();
        assert_eq!(direct, want);
        assert_eq!(
            s.shingles("solo"),
            [xxh3_64_with_seed(b"solo", SHINGLE_SEED)]
        );
    }

    #[test]
    fn unspaced_scripts_use_characters() {
        let s = Shingler::new(5, 2).unwrap();
        let key = "\u{4E2D}\u{56FD}\u{6E2F}\u{53E3}";
        assert_eq!(s.shingles(key).len(), 3);
        assert_eq!(s.shingles("word").len(), 1);
    }

    #[test]
    fn signature_agreement_tracks_jaccard() {
        let m = MinHasher::new(256).unwrap();
        let words: Vec<String> = (0..400).map(|i| format!("w{i}")).collect();
        let a = set(&words[..300].join(" "));
        let b = set(&words[100..400].join(" "));
        let (j, _) = jaccard_and_containment(&a, &b);
        let (sa, sb) = (m.signature(&a).unwrap(), m.signature(&b).unwrap());
        let agree = sa.iter().zip(&sb).filter(|(x, y)| x == y).count() as f64 / 256.0;
        assert!((agree - j).abs() < 0.1, "agreement {agree} vs jaccard {j}");
        assert_eq!(m.signature(&a), m.signature(&a.clone()));
        assert!(m.signature(&[]).is_none());
    }

    #[test]
    fn densification_fills_every_bin() {
        let m = MinHasher::new(64).unwrap();
        let sig = m.signature(&[42]).unwrap();
        assert!(sig.iter().all(|&v| v == 42));
    }

    #[test]
    fn bands_from_targets() {
        let b = Bands::for_target(128, 0.85, 0.995);
        assert!(b.bands() * b.rows() <= 128);
        assert!(b.probability(0.85) >= 0.995);
        let tighter = Bands {
            bands: 128 / (b.rows() + 1),
            rows: b.rows() + 1,
        };
        assert!(
            tighter.probability(0.85) < 0.995,
            "rows is the largest that reaches the recall"
        );
        let mut keys = Vec::new();
        b.keys_into(&vec![7; 128], &mut keys);
        assert_eq!(keys.len(), b.bands());
        assert_ne!(keys[0], keys[1]);
    }

    #[test]
    fn settings_are_validated() {
        assert!(Shingler::new(0, 3).is_err());
        assert_eq!(
            MinHasher::new(0).unwrap_err().to_string(),
            "minhash_bins must be from 1 to 1024, got 0"
        );
    }
}
