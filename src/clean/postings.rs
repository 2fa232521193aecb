//! Posting lists of the coverage stage: for each winnowed fingerprint, the
//! entries (indexed paragraphs) holding it, read newest first.
//!
//! Two layers, as a log-structured merge tree keeps them:
//!
//! * [`Chains`], the newest postings: a [`Heads`] table from fingerprint to
//!   its newest block of entry ids, blocks doubling from 2 entries. Cheap to
//!   append to, but about 11 bytes a posting once the table's free slots,
//!   the block headers and the blocks' free slots are counted.
//! * [`Runs`], every older posting, sorted by fingerprint (mixed, see
//!   [`mix`]): the low 16 bits of the mixed fingerprint and the entry id,
//!   bit-packed (19 bits for half a million entries: 4.4 bytes a posting
//!   in all), and a directory of bucket starts of about half a byte a
//!   posting. A lookup reads the directory, then the one or two cache
//!   lines of its bucket.
//!
//! Once the chains hold [`MIN_MERGE`] postings, or 1/[`MERGE_FRACTION`]
//! of the runs' if that is more, they are merged into the runs. Merges
//! happen at points fixed by the number of postings, so what a read
//! returns depends on the postings pushed alone. On the medium corpus of
//! `../shared/perf` (4.8 million postings) this took the posting lists,
//! head table included, from 54 to 25 megabytes.
//!
//! Entry ids grow as entries are pushed, so every posting in the chains is
//! newer than every posting in the runs: a read takes the chain, then the
//! fingerprint's run backwards, and the runs keep each fingerprint's entries
//! in id order.

use std::io::{self, Write};
use std::sync::Arc;

use super::chunked::Chunked;
use super::disk::{BlockFile, DiskSlice, SliceReader};
use super::heads::Heads;
use super::persist::{Decoder, Encoder, Input, Segmented, invalid};
use crate::shingle::HashTable32;

/// Fewest postings in the chains before they are merged into the runs.
const MIN_MERGE: usize = 1 << 16;

/// The chains are merged once they hold 1/`MERGE_FRACTION` of the runs'
/// postings (or [`MIN_MERGE`]): merging moves every posting of the runs,
/// so this bounds the moves per posting; the chains' share of the memory
/// stays small.
const MERGE_FRACTION: usize = 32;

/// Most postings in the chains of postings read in place before they are
/// merged (into the runs in memory): the chains stay within a few tens of
/// megabytes however large the file's runs.
const MAX_RECENT_IN_PLACE: usize = 1 << 21;

/// Posting lists, see the module docs.
#[derive(Clone, Debug)]
pub(crate) struct Postings {
    chains: Chains,
    /// Postings in `chains`.
    recent: usize,
    runs: Runs,
    /// [`MIN_MERGE`], but smaller in tests.
    min_merge: usize,
    /// The runs of an index file's segments read in place
    /// ([`Postings::extend_in_place`]): older than every posting above.
    bases: RunParts,
    /// The lists of `bases` read ahead for the batch being decided.
    ahead: ListsAhead,
}

impl Default for Postings {
    fn default() -> Postings {
        Postings {
            chains: Chains::default(),
            recent: 0,
            runs: Runs::default(),
            min_merge: MIN_MERGE,
            bases: RunParts::default(),
            ahead: ListsAhead::default(),
        }
    }
}

impl Postings {
    /// Empties it, keeping its chains' allocations (a document's own
    /// sources are rebuilt for every document).
    pub(crate) fn clear(&mut self) {
        self.chains.clear();
        self.recent = 0;
        self.runs = Runs::default();
        self.bases = RunParts::default();
        self.ahead = ListsAhead::default();
    }

    /// Appends entry `id` (below 2^31, and above every id pushed before) to
    /// the list of `fp`.
    ///
    /// # Panics
    ///
    /// When `id` is 2^31 or more, or past 2^31 posting slots (some 10^9
    /// postings).
    pub(crate) fn push(&mut self, fp: u32, id: u32) {
        self.chains.push(fp, id);
        self.recent += 1;
        let held = self.runs.len() + self.bases.len();
        let mut merge_at = self.min_merge.max(held / MERGE_FRACTION);
        if !self.bases.0.is_empty() {
            merge_at = merge_at.min(MAX_RECENT_IN_PLACE).max(self.min_merge);
        }
        if self.recent >= merge_at {
            self.runs.merge(self.chains.drain());
            self.recent = 0;
        }
    }

    /// Reads where `fingerprints`' lists start, so that the reads that
    /// follow find them in cache (see [`Heads::touch`]). Returns a value
    /// only to keep the reads.
    pub(crate) fn touch(&self, fingerprints: &[u32]) -> u32 {
        self.chains.heads.touch(fingerprints) ^ self.runs.touch(fingerprints)
    }

    /// Calls `hit(entry)` for the newest `max` entries of the list of
    /// `fp`, newest first.
    pub(crate) fn read(&self, fp: u32, max: usize, mut hit: impl FnMut(u32)) {
        let mut read = 0;
        self.chains.read(fp, max, |entry| {
            read += 1;
            hit(entry);
        });
        if self.bases.0.is_empty() {
            self.runs.read(fp, max - read, hit);
            return;
        }
        self.runs.read(fp, max - read, |entry| {
            read += 1;
            hit(entry);
        });
        match self.ahead.list(fp, max - read) {
            Some(list) => list.iter().for_each(|&entry| hit(entry)),
            None => self.bases.read(fp, max - read, hit),
        }
    }

    /// The posting runs of an index file read in place, to read ahead
    /// from ([`RunParts::read_ahead`]) on any thread.
    pub(crate) fn file_part(&self) -> RunParts {
        self.bases.clone()
    }

    /// Answers reads of the file's lists from `ahead` (read from this
    /// index's [`Postings::file_part`]) instead of the file. The file does
    /// not change, so this changes no answer.
    pub(crate) fn set_read_ahead(&mut self, ahead: ListsAhead) {
        self.ahead = ahead;
    }

    /// Bytes allocated: the chains' head table, and the chains' blocks with
    /// the runs.
    pub(crate) fn memory_bytes(&self) -> (usize, usize) {
        (
            self.chains.heads.capacity() * std::mem::size_of::<(u32, u32)>(),
            self.chains.blocks.memory_bytes()
                + self.runs.memory_bytes()
                + super::index::table_bytes(self.ahead.lists.capacity(), 12)
                + self.ahead.ids.capacity() * 4,
        )
    }
}

/// A fingerprint's bits mixed (by an odd multiplier, so one to one):
/// fingerprints are minima of windows, their own bits skewed to small
/// values, and the runs bucket them by their top bits.
fn mix(fp: u32) -> u32 {
    fp.wrapping_mul(0x9E37_79B1)
}

/// The older postings, sorted by mixed fingerprint, then entry id.
#[derive(Clone, Debug, Default)]
struct Runs {
    /// Bits of the bucket number: the top `bits` bits of a mixed
    /// fingerprint. At least 16, so that with a posting's low 16 bits they
    /// give all 32.
    bits: u32,
    /// Where each bucket starts, in postings, and the end: 2^`bits` + 1
    /// positions, or none while the runs are empty.
    starts: Vec<u32>,
    /// Each posting's mixed fingerprint's low 16 bits: a lookup scans its
    /// bucket's.
    low: Vec<u16>,
    /// Each posting's entry id, `width` bits, packed into words (and a
    /// word more, so that a read of two words never leaves them).
    ids: Vec<u64>,
    /// Bits of an entry id: those of the largest.
    width: u32,
}

/// Fewest bucket bits (see [`Runs::bits`]).
const MIN_BUCKET_BITS: u32 = 16;

/// Postings per bucket the directory is sized for: a bucket's postings
/// stay within a cache line or two.
const BUCKET_POSTINGS: usize = 8;

/// Bucket bits of runs of `total` postings: about [`BUCKET_POSTINGS`] a
/// bucket.
///
/// # Panics
///
/// At 2^32 postings or more.
fn bucket_bits(total: usize) -> u32 {
    assert!(
        u32::try_from(total).is_ok(),
        "fewer than 2^32 postings in the runs"
    );
    (total / BUCKET_POSTINGS)
        .checked_ilog2()
        .unwrap_or(0)
        .clamp(MIN_BUCKET_BITS, 30)
}

/// The id of `width` bits at bit `bit` of packed `words` (which hold a
/// word past it).
#[inline]
fn unpack_id(words: &[u64], bit: usize, width: u32) -> u32 {
    let (word, shift) = (bit / 64, bit % 64);
    let two = u128::from(words[word]) | u128::from(words[word + 1]) << 64;
    (two >> shift) as u32 & ((1u64 << width) - 1) as u32
}

/// Whether runs with these parts are what a read relies on: a directory
/// of 2^`bits` buckets and an end (`last_start`, the number of postings
/// `low_len`), sorted, and room for every posting's id in `ids_len` words.
fn runs_sound(
    bits: u32,
    width: u32,
    starts_len: usize,
    last_start: Option<u32>,
    sorted: bool,
    low_len: usize,
    ids_len: usize,
) -> bool {
    if starts_len == 0 {
        return low_len == 0;
    }
    (MIN_BUCKET_BITS..=30).contains(&bits)
        && (1..=32).contains(&width)
        && starts_len == (1 << bits) + 1
        && last_start.map(|last| last as usize) == Some(low_len)
        && sorted
        && ids_len > (low_len * width as usize).div_ceil(64)
}

/// Bits of an entry id, for ids up to `largest`.
fn id_width(largest: u32) -> u32 {
    (32 - largest.leading_zeros()).max(1)
}

impl Runs {
    fn len(&self) -> usize {
        self.low.len()
    }

    /// The bucket of mixed fingerprint `mixed`.
    #[inline]
    fn bucket(&self, mixed: u32) -> usize {
        (u64::from(mixed) >> (32 - self.bits)) as usize
    }

    /// The entry id of posting `at`.
    #[inline]
    fn id(&self, at: usize) -> u32 {
        unpack_id(&self.ids, at * self.width as usize, self.width)
    }

    /// The positions of the postings of fingerprint `fp`.
    #[inline]
    fn range(&self, fp: u32) -> std::ops::Range<usize> {
        if self.starts.is_empty() {
            return 0..0;
        }
        let mixed = mix(fp);
        let bucket = self.bucket(mixed);
        let (start, end) = (
            self.starts[bucket] as usize,
            self.starts[bucket + 1] as usize,
        );
        // Within a bucket the top `bits` bits are equal, so the order of
        // the full values is that of their low 16 bits.
        let lows = &self.low[start..end];
        let low = mixed as u16;
        let first = lows.partition_point(|&l| l < low);
        let len = lows[first..].iter().take_while(|&&l| l == low).count();
        start + first..start + first + len
    }

    /// Reads the directory entries of `fingerprints`, then their
    /// buckets' first low bits and ids, each in a loop of its own, so that
    /// the misses of a loop overlap.
    fn touch(&self, fingerprints: &[u32]) -> u32 {
        if self.starts.is_empty() {
            return 0;
        }
        let starts = || {
            fingerprints
                .iter()
                .map(|&fp| self.starts[self.bucket(mix(fp))] as usize)
        };
        let directory = starts().fold(0, |acc, start| acc ^ start as u32);
        let lows = starts().fold(0, |acc, start| {
            acc ^ u32::from(self.low.get(start).copied().unwrap_or(0))
        });
        let ids = starts().fold(0, |acc, start| {
            acc ^ self.ids[start * self.width as usize / 64] as u32
        });
        directory ^ lows ^ ids
    }

    fn read(&self, fp: u32, max: usize, mut hit: impl FnMut(u32)) {
        if max == 0 {
            return;
        }
        for at in self.range(fp).rev().take(max) {
            hit(self.id(at));
        }
    }

    /// Merges `new`, `(fingerprint, id)` pairs whose ids are above every
    /// id held.
    fn merge(&mut self, mut new: Vec<(u32, u32)>) {
        // Keyed by mixed fingerprint in place, sorted by it, then id.
        for posting in &mut new {
            posting.0 = mix(posting.0);
        }
        new.sort_unstable();
        self.merge_mixed(&new);
    }

    /// Merges `new`, `(mixed fingerprint, id)` pairs sorted, whose ids are
    /// above every id held.
    fn merge_mixed(&mut self, new: &[(u32, u32)]) {
        if !new.is_empty() {
            *self = self.merged(new);
        }
    }

    /// These runs with `new` merged in, `(mixed fingerprint, id)` pairs
    /// sorted, whose ids are above every id held.
    fn merged(&self, new: &[(u32, u32)]) -> Runs {
        let total = self.len() + new.len();
        let bits = bucket_bits(total);
        // The newest id is the largest.
        let width = id_width(new.iter().map(|&(_, id)| id).max().unwrap_or(0));
        let mut merged = Runs {
            bits,
            starts: Vec::new(),
            low: Vec::with_capacity(total),
            ids: vec![0; (total * width as usize).div_ceil(64) + 1],
            width,
        };
        if !self.starts.is_empty() && bits == self.bits && width == self.width {
            merged.insert_into(self, new);
        } else {
            merged.rebuild_from(self, new);
        }
        merged
    }

    /// Builds the runs (empty, with their bits and width) from `old` and
    /// `new`, both with the same directory size and id width: the old
    /// postings are copied in stretches between the new ones' places.
    fn insert_into(&mut self, old: &Runs, new: &[(u32, u32)]) {
        let shift = 32 - self.bits;
        let mut copied = 0;
        for &(key, id) in new {
            let bucket = (key >> shift) as usize;
            let (start, end) = (old.starts[bucket] as usize, old.starts[bucket + 1] as usize);
            // After the old postings of the same fingerprint (their ids
            // are smaller).
            let at = start + old.low[start..end].partition_point(|&l| l <= key as u16);
            self.copy(old, copied..at);
            self.push(key, id);
            copied = at;
        }
        self.copy(old, copied..old.len());
        // Each bucket starts later by the new postings of the buckets
        // before it.
        let mut before = 0;
        self.starts = old
            .starts
            .iter()
            .enumerate()
            .map(|(bucket, &start)| {
                while new
                    .get(before)
                    .is_some_and(|&(key, _)| ((key >> shift) as usize) < bucket)
                {
                    before += 1;
                }
                start + before as u32
            })
            .collect();
    }

    /// Builds the runs (empty, with their bits and width) from `old` and
    /// `new` posting by posting, when the directory or the id width
    /// changes.
    fn rebuild_from(&mut self, old: &Runs, new: &[(u32, u32)]) {
        // Bucket sizes first, at index bucket + 1, then their sums.
        let mut sizes = vec![0u32; (1 << self.bits) + 1];
        let shift = 32 - self.bits;
        let mut new = new.iter().copied().peekable();
        let mut put = |runs: &mut Runs, key: u32, id: u32| {
            runs.push(key, id);
            sizes[(key >> shift) as usize + 1] += 1;
        };
        for bucket in 0..old.starts.len().saturating_sub(1) {
            for at in old.starts[bucket] as usize..old.starts[bucket + 1] as usize {
                // Top `old.bits` bits from the bucket, the low 16 from the
                // posting: with `old.bits` >= 16 together all 32.
                let key = ((bucket as u64) << (32 - old.bits)) as u32 | u32::from(old.low[at]);
                // On equal fingerprints the old (smaller) ids first.
                while let Some((new_key, new_id)) = new.next_if(|&(k, _)| k < key) {
                    put(self, new_key, new_id);
                }
                put(self, key, old.id(at));
            }
        }
        for (key, id) in new {
            put(self, key, id);
        }
        for b in 1..sizes.len() {
            sizes[b] += sizes[b - 1];
        }
        self.starts = sizes;
    }

    /// Appends the posting of mixed fingerprint `key` and entry `id` while
    /// the runs are built.
    fn push(&mut self, key: u32, id: u32) {
        let bit = self.low.len() * self.width as usize;
        let (word, shift) = (bit / 64, bit % 64);
        let id = u64::from(id);
        self.ids[word] |= id << shift;
        if shift + self.width as usize > 64 {
            self.ids[word + 1] |= id >> (64 - shift);
        }
        self.low.push(key as u16);
    }

    /// Appends the postings `range` of `old`, of the same id width, while
    /// the runs are built: the ids copied 64 bits at a time.
    fn copy(&mut self, old: &Runs, range: std::ops::Range<usize>) {
        let width = self.width as usize;
        let (from, to, bits) = (
            range.start * width,
            self.low.len() * width,
            range.len() * width,
        );
        for done in (0..bits).step_by(64) {
            let take = (bits - done).min(64);
            let (word, shift) = ((from + done) / 64, (from + done) % 64);
            let two = u128::from(old.ids[word]) | u128::from(old.ids[word + 1]) << 64;
            let chunk = (two >> shift) as u64 & (u64::MAX >> (64 - take));
            let (word, shift) = ((to + done) / 64, (to + done) % 64);
            self.ids[word] |= chunk << shift;
            if shift > 0 {
                self.ids[word + 1] |= chunk >> (64 - shift);
            }
        }
        self.low.extend_from_slice(&old.low[range]);
    }

    /// Every posting, as `(mixed fingerprint, id)` pairs, sorted.
    fn postings(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        (0..self.starts.len().saturating_sub(1)).flat_map(move |bucket| {
            let postings = self.starts[bucket] as usize..self.starts[bucket + 1] as usize;
            postings.map(move |at| {
                let key = ((bucket as u64) << (32 - self.bits)) as u32 | u32::from(self.low[at]);
                (key, self.id(at))
            })
        })
    }

    fn memory_bytes(&self) -> usize {
        self.starts.capacity() * 4 + self.low.capacity() * 2 + self.ids.capacity() * 8
    }

    /// Writes its bits, width and arrays, as [`Postings::save_from`]
    /// writes them.
    fn save<W: Write>(&self, out: &mut Encoder<W>) -> io::Result<()> {
        out.put(self.bits)?;
        out.put(self.width)?;
        out.put_slice(&self.starts)?;
        out.put_slice(&self.low)?;
        out.put_slice(&self.ids)
    }
}

/// The posting runs of an index file's segments, oldest first (one per
/// segment: each holds postings newer than the one before); clones share
/// them.
#[derive(Clone, Debug, Default)]
pub(crate) struct RunParts(Vec<Arc<DiskRuns>>);

/// [`Runs`] left in a segment of an index file read in place: the
/// directory, the low bits and the ids are read through the file's cache,
/// a lookup's three reads each within a block or two.
#[derive(Clone, Debug)]
struct DiskRuns {
    bits: u32,
    width: u32,
    /// `u32` bucket starts, as [`Runs::starts`].
    starts: DiskSlice,
    /// `u16` low bits, as [`Runs::low`].
    low: DiskSlice,
    /// `u64` words of packed ids, as [`Runs::ids`].
    ids: DiskSlice,
}

/// The file's lists of the fingerprints of a batch, read together
/// ([`RunParts::read_ahead`]).
#[derive(Clone, Debug, Default)]
pub(crate) struct ListsAhead {
    /// Each fingerprint's list in `ids`: where it starts, and its length.
    lists: HashTable32<(u32, u32)>,
    /// The lists, each newest first.
    ids: Vec<u32>,
    /// The most entries read of a list.
    max: usize,
}

impl ListsAhead {
    /// The entries of every list read, newest first in each.
    pub(crate) fn ids(&self) -> &[u32] {
        &self.ids
    }

    /// The newest `max` entries of the list of `fp`, newest first, when
    /// it was read (with as many entries at least).
    pub(crate) fn list(&self, fp: u32, max: usize) -> Option<&[u32]> {
        let &(start, len) = self.lists.get(&fp).filter(|_| max <= self.max)?;
        let start = start as usize;
        Some(&self.ids[start..start + (len as usize).min(max)])
    }
}

impl RunParts {
    /// Postings in all segments.
    fn len(&self) -> usize {
        self.0.iter().map(|runs| runs.len()).sum()
    }

    /// Calls `hit(entry)` for the newest `max` entries of the list of
    /// `fp`, newest first: the newest segment's first.
    fn read(&self, fp: u32, max: usize, mut hit: impl FnMut(u32)) {
        let mut left = max;
        for runs in self.0.iter().rev() {
            if left == 0 {
                break;
            }
            runs.read(fp, left, |entry| {
                left -= 1;
                hit(entry);
            });
        }
    }

    /// Reads the lists of `fingerprints` (at most `max` entries each) in
    /// the order they lie in the file, segment by segment from the newest,
    /// for [`Postings::set_read_ahead`]. Sorts `fingerprints`.
    pub(crate) fn read_ahead(&self, fingerprints: &mut Vec<u32>, max: usize) -> ListsAhead {
        fingerprints.sort_unstable_by_key(|&fp| (mix(fp), fp));
        fingerprints.dedup();
        let mut ahead = ListsAhead {
            max,
            ..ListsAhead::default()
        };
        if let [runs] = &self.0[..] {
            for &fp in fingerprints.iter() {
                let start = ahead.ids.len();
                runs.read(fp, max, |id| ahead.ids.push(id));
                let list = (start as u32, (ahead.ids.len() - start) as u32);
                ahead.lists.insert(fp, list);
            }
            return ahead;
        }
        // Each fingerprint's entries of each segment, newest segment
        // first, then laid out list by list.
        let mut read: Vec<Vec<u32>> = vec![Vec::new(); fingerprints.len()];
        for runs in self.0.iter().rev() {
            for (list, &fp) in read.iter_mut().zip(fingerprints.iter()) {
                let left = max - list.len();
                runs.read(fp, left, |id| list.push(id));
            }
        }
        for (list, &fp) in read.iter().zip(fingerprints.iter()) {
            let start = ahead.ids.len() as u32;
            ahead.ids.extend_from_slice(list);
            ahead.lists.insert(fp, (start, list.len() as u32));
        }
        ahead
    }

    /// Segments holding runs.
    pub(crate) fn segments(&self) -> usize {
        self.0.len()
    }
}

impl DiskRuns {
    fn len(&self) -> usize {
        self.low.len
    }

    /// Calls `hit(entry)` for the newest `max` entries of the list of
    /// `fp`, newest first.
    fn read(&self, fp: u32, max: usize, mut hit: impl FnMut(u32)) {
        if max == 0 {
            return;
        }
        let mixed = mix(fp);
        let bucket = (u64::from(mixed) >> (32 - self.bits)) as usize;
        let (start, end) = self
            .starts
            .file
            .get::<(u32, u32)>(self.starts.offset + bucket as u64 * 4);
        let (start, end) = (start as usize, end as usize);
        let mut lows = Vec::with_capacity(end.saturating_sub(start));
        self.low.get_range::<u16>(start..end.max(start), &mut lows);
        let low = mixed as u16;
        let first = lows.partition_point(|&l| l < low);
        let len = lows[first..].iter().take_while(|&&l| l == low).count();
        if len == 0 {
            return;
        }
        // The ids wanted, newest last, in one read of their words.
        let (from, to) = (start + first + len.saturating_sub(max), start + first + len);
        let width = self.width as usize;
        let (first_word, last_word) = (from * width / 64, (to * width).div_ceil(64) + 1);
        let mut words = Vec::with_capacity(last_word - first_word);
        self.ids.get_range::<u64>(first_word..last_word, &mut words);
        for at in (from..to).rev() {
            hit(unpack_id(&words, at * width - first_word * 64, self.width));
        }
    }

    /// Every posting in order, as `(mixed fingerprint, id)`, read from
    /// the file straight; without `ids`, each id is read as 0 (the ids'
    /// words are not read).
    fn reader(&self, ids: bool) -> RunsReader {
        let mut starts = SliceReader::<u32>::new(self.starts.clone());
        starts.next();
        let end = starts.next().unwrap_or(u32::MAX) as usize;
        RunsReader {
            starts,
            lows: SliceReader::new(self.low.clone()),
            ids: ids.then(|| PackedIds::new(SliceReader::new(self.ids.clone()), self.width)),
            shift: 32 - self.bits,
            bucket: 0,
            end,
            at: 0,
            len: self.len(),
        }
    }
}

/// The postings of [`DiskRuns`] in order ([`DiskRuns::reader`]). A read
/// error ends them early and is kept for [`RunsReader::finish`].
struct RunsReader {
    starts: SliceReader<u32>,
    lows: SliceReader<u16>,
    /// The ids, unless only the fingerprints are read.
    ids: Option<PackedIds>,
    shift: u32,
    bucket: u64,
    /// Where the current bucket ends.
    end: usize,
    at: usize,
    len: usize,
}

impl Iterator for RunsReader {
    type Item = (u32, u32);

    #[inline]
    fn next(&mut self) -> Option<(u32, u32)> {
        if self.at == self.len {
            return None;
        }
        while self.at >= self.end {
            self.bucket += 1;
            self.end = self.starts.next().unwrap_or(u32::MAX) as usize;
        }
        let low = self.lows.next()?;
        let id = match &mut self.ids {
            Some(ids) => ids.next()?,
            None => 0,
        };
        self.at += 1;
        Some(((self.bucket << self.shift) as u32 | u32::from(low), id))
    }
}

impl RunsReader {
    /// The read error that ended the postings early, if any.
    fn finish(self) -> io::Result<()> {
        self.starts.finish()?;
        self.lows.finish()?;
        self.ids.map_or(Ok(()), |ids| ids.words.finish())
    }
}

/// Ids of `width` bits read from packed words in order.
struct PackedIds {
    words: SliceReader<u64>,
    width: u32,
    /// Bits read from words and not yet taken, the next id's lowest.
    held: u128,
    bits: u32,
}

impl PackedIds {
    fn new(words: SliceReader<u64>, width: u32) -> PackedIds {
        PackedIds {
            words,
            width,
            held: 0,
            bits: 0,
        }
    }
}

impl Iterator for PackedIds {
    type Item = u32;

    fn next(&mut self) -> Option<u32> {
        while self.bits < self.width {
            self.held |= u128::from(self.words.next()?) << self.bits;
            self.bits += 64;
        }
        let id = (self.held & ((1u128 << self.width) - 1)) as u32;
        self.held >>= self.width;
        self.bits -= self.width;
        Some(id)
    }
}

/// Packs ids of `width` bits into words as they come, writing each full
/// word.
struct IdPacker {
    width: u32,
    held: u128,
    bits: u32,
}

impl IdPacker {
    fn push<W: Write>(&mut self, id: u32, out: &mut Encoder<W>) -> io::Result<()> {
        self.held |= u128::from(id) << self.bits;
        self.bits += self.width;
        if self.bits >= 64 {
            out.put(self.held as u64)?;
            self.held >>= 64;
            self.bits -= 64;
        }
        Ok(())
    }
}

/// One of the posting lists [`Postings::save_from`] merges, each sorted
/// by `(mixed fingerprint, id)`.
enum Source<'a, M> {
    File(Box<RunsReader>),
    Memory(M),
    Chained(std::slice::Iter<'a, (u32, u32)>),
}

impl<M: Iterator<Item = (u32, u32)>> Iterator for Source<'_, M> {
    type Item = (u32, u32);

    #[inline]
    fn next(&mut self) -> Option<(u32, u32)> {
        match self {
            Source::File(reader) => reader.next(),
            Source::Memory(postings) => postings.next(),
            Source::Chained(postings) => postings.next().copied(),
        }
    }
}

impl<M> Source<'_, M> {
    /// The read error that ended a file's postings early, if any.
    fn finish(self) -> io::Result<()> {
        match self {
            Source::File(reader) => reader.finish(),
            _ => Ok(()),
        }
    }
}

/// Calls `each` on the postings of `sources` in `(mixed fingerprint,
/// id)` order, where `sources` are sorted so and come oldest first (each
/// one's ids below the next one's): on one fingerprint, the older
/// source's postings first. Their ids are not compared, so sources read
/// without ids ([`DiskRuns::reader`]) merge in the same order. The least
/// source gives postings while they stay below every other source's
/// next: long stretches, for sources of unequal sizes.
fn merge_by_age<M: Iterator<Item = (u32, u32)>>(
    mut sources: Vec<Source<'_, M>>,
    mut each: impl FnMut(u32, u32) -> io::Result<()>,
) -> io::Result<()> {
    let mut heads: Vec<Option<(u32, u32)>> = sources.iter_mut().map(Iterator::next).collect();
    // A source's place in the order: its next fingerprint, then its age.
    let place = |heads: &[Option<(u32, u32)>], at: usize| heads[at].map(|(key, _)| (key, at));
    loop {
        let mut order = (0..heads.len()).filter_map(|at| place(&heads, at));
        let Some(mut least) = order.next() else {
            break;
        };
        let mut bound = None;
        for next in order {
            if next < least {
                bound = Some(least);
                least = next;
            } else if bound.is_none_or(|bound| next < bound) {
                bound = Some(next);
            }
        }
        let at = least.1;
        // Keys up to `last` come before every other source's next (an
        // older source's next key is above `least`'s, so above 0).
        let last = match bound {
            Some((key, other)) if other < at => key - 1,
            Some((key, _)) => key,
            None => u32::MAX,
        };
        let (source, mut head) = (&mut sources[at], heads[at]);
        while let Some((key, id)) = head {
            if key > last {
                break;
            }
            each(key, id)?;
            head = source.next();
        }
        heads[at] = head;
    }
    sources.into_iter().try_for_each(Source::finish)
}

impl Postings {
    /// The postings of the chains, as `(mixed fingerprint, id)` pairs
    /// sorted.
    fn chained(&self) -> Vec<(u32, u32)> {
        let mut all = Vec::with_capacity(self.recent);
        for (fp, _) in self.chains.heads.iter() {
            self.chains
                .read(fp, usize::MAX, |id| all.push((mix(fp), id)));
        }
        all.sort_unstable();
        all
    }

    /// Reads a segment's runs that [`Postings::save_from`] wrote, in
    /// place: they are left in `file` (where `input` reads from, at the
    /// offsets of `file`), newer than every posting held before.
    pub(crate) fn extend_in_place<R: Input>(
        &mut self,
        input: &mut Decoder<R>,
        file: &BlockFile,
    ) -> io::Result<()> {
        if self.recent > 0 || self.runs.len() > 0 {
            return Err(invalid("a segment's postings after postings in memory"));
        }
        let (bits, width) = (input.take::<u32>()?, input.take::<u32>()?);
        let mut slice =
            |size: usize, check: &mut dyn FnMut(&mut Decoder<R>, usize) -> io::Result<()>| {
                let len = input.take_len(size)?;
                let offset = input.position();
                check(input, len)?;
                Ok::<_, io::Error>(DiskSlice {
                    file: file.clone(),
                    offset,
                    len,
                })
            };
        // Only the directory's end is read (the file's blocks are checked
        // by their checksums as they are read).
        let mut last_start = 0u32;
        let starts = slice(4, &mut |input, len| {
            if len > 0 {
                input.skip(len - 1, 4)?;
                last_start = input.take::<u32>()?;
            }
            Ok(())
        })?;
        let skip = |size: usize| move |input: &mut Decoder<R>, len: usize| input.skip(len, size);
        let low = slice(2, &mut skip(2))?;
        let ids = slice(8, &mut skip(8))?;
        let last_start = (starts.len > 0).then_some(last_start);
        if !runs_sound(bits, width, starts.len, last_start, true, low.len, ids.len) {
            return Err(invalid("posting runs that do not add up"));
        }
        if starts.len > 0 {
            self.bases.0.push(Arc::new(DiskRuns {
                bits,
                width,
                starts,
                low,
                ids,
            }));
        }
        Ok(())
    }
}

/// End of a posting chain.
const NO_ID: u32 = u32::MAX;

/// Posting chains: for each fingerprint, the entries holding it, newest
/// read first.
///
/// A fingerprint held once (most are) is one entry in its head, with no
/// block. A longer chain is a list of blocks of entry ids whose capacities
/// double from 2 up to [`MAX_BLOCK`] ([`block_capacity`]), all in one
/// arena: reading the newest hundred entries of a common fingerprint visits
/// a handful of blocks, not a hundred scattered postings.
#[derive(Clone, Debug, Default)]
struct Chains {
    /// Fingerprint to its chain: [`SINGLE`] and the entry id when it has
    /// one entry, else where its newest block starts in `blocks`.
    heads: Heads,
    /// The blocks: each is the start of the chain's previous block (or
    /// [`NO_ID`]), the chain's length when it was the newest, and its
    /// entries, oldest first.
    blocks: Chunked<u32>,
}

/// The mark of a head holding its chain's only entry.
const SINGLE: u32 = 1 << 31;

/// Words of a block before its entries.
const BLOCK_HEADER: usize = 2;

impl Chains {
    /// Empties it, keeping its allocations.
    fn clear(&mut self) {
        self.heads.clear();
        self.blocks.clear();
    }

    /// Every posting, as `(fingerprint, id)` pairs in no particular order;
    /// leaves it empty.
    fn drain(&mut self) -> Vec<(u32, u32)> {
        let mut postings = Vec::new();
        for (fp, _) in self.heads.iter() {
            self.read(fp, usize::MAX, |id| postings.push((fp, id)));
        }
        self.clear();
        postings
    }

    /// Appends entry `id` (below 2^31) to the chain of `fp`.
    ///
    /// # Panics
    ///
    /// When `id` is 2^31 or more, or past 2^31 slots in the arena.
    fn push(&mut self, fp: u32, id: u32) {
        assert!(id & SINGLE == 0, "posting entry ids are below 2^31");
        let Some(head) = self.heads.insert_or_get(fp, SINGLE | id) else {
            return;
        };
        let (previous, len, k) = if *head & SINGLE != 0 {
            // The single entry moves into the chain's first block.
            (NO_ID, 1, 0)
        } else {
            let len = self.blocks.get(*head + 1);
            let (k, fill) = newest_block(len);
            if fill < block_capacity(k) {
                let block = self
                    .blocks
                    .slice_mut(*head, BLOCK_HEADER + block_capacity(k));
                block[1] = len + 1;
                block[BLOCK_HEADER + fill] = id;
                return;
            }
            (*head, len, k + 1)
        };
        // A new block: its header, the single entry moving out of the head
        // (if any), the new one, then free slots.
        let moved = (len == 1).then_some(*head & !SINGLE);
        let slots = BLOCK_HEADER + block_capacity(k);
        let block = [previous, len + 1]
            .into_iter()
            .chain(moved)
            .chain([id])
            .chain(std::iter::repeat(NO_ID))
            .take(slots);
        let start = self.blocks.extend_iter(slots, block);
        assert!(start & SINGLE == 0, "fewer than 2^31 posting slots");
        *head = start;
    }

    /// Calls `hit(entry)` for the newest `max` entries of the chain of
    /// `fp`, newest first.
    fn read(&self, fp: u32, max: usize, mut hit: impl FnMut(u32)) {
        let Some(head) = self.heads.get(fp) else {
            return;
        };
        if head & SINGLE != 0 {
            if max > 0 {
                hit(head & !SINGLE);
            }
            return;
        }
        let mut block = head;
        let (mut k, mut fill) = newest_block(self.blocks.get(block + 1));
        let mut left = max;
        while left > 0 {
            let slots = self.blocks.slice(block, BLOCK_HEADER + fill);
            for &entry in slots[BLOCK_HEADER..].iter().rev().take(left) {
                hit(entry);
            }
            left = left.saturating_sub(fill);
            let previous = slots[0];
            if previous == NO_ID {
                break;
            }
            block = previous;
            k -= 1;
            fill = block_capacity(k);
        }
    }
}

/// Entries of the largest posting block.
const MAX_BLOCK: usize = 64;

/// Entries of block `k` of a posting chain (0 the oldest): 2, 4, 8, ...
/// up to [`MAX_BLOCK`].
fn block_capacity(k: usize) -> usize {
    // Blocks past the doubling ones are all full size (and `2 << k` would
    // overflow for a chain of thousands of entries).
    if k < MAX_BLOCK.trailing_zeros() as usize {
        2 << k
    } else {
        MAX_BLOCK
    }
}

/// Of a chain of `len` >= 2 entries, the number of its newest block and
/// how many entries that block holds.
fn newest_block(len: u32) -> (usize, usize) {
    let len = len as usize;
    // Blocks 0..k hold 2^(k + 1) - 2 entries while they double.
    let doubling = 2 * MAX_BLOCK - 2;
    if len <= doubling {
        let k = (len + 1).ilog2() as usize - 1;
        (k, len - ((2 << k) - 2))
    } else {
        let past = len - doubling - 1;
        (
            MAX_BLOCK.trailing_zeros() as usize + past / MAX_BLOCK,
            past % MAX_BLOCK + 1,
        )
    }
}

impl Segmented for Postings {
    /// Writes the postings of segments `first..` and those in memory as
    /// one segment's runs, merged in one pass per array (the chains are
    /// not written: a segment holds runs alone). Reads give what they gave
    /// before: they depend on the postings alone, not on where they lie.
    /// From the first segment, every posting.
    fn save_from<W: Write>(&self, first: usize, out: &mut Encoder<W>) -> io::Result<()> {
        let bases = &self.bases.0[first.min(self.bases.0.len())..];
        let chained = self.chained();
        let total = bases.iter().map(|b| b.len()).sum::<usize>() + self.runs.len() + chained.len();
        if total == 0 {
            return Runs::default().save(out);
        }
        let bits = bucket_bits(total);
        if bases.is_empty() {
            // All in memory: the chains merged into the runs as a run
            // merges them (the runs built anew beside the old), then the
            // arrays written as they are, not posting by posting.
            let merged;
            let runs = if chained.is_empty() {
                &self.runs
            } else {
                merged = self.runs.merged(&chained);
                &merged
            };
            if runs.bits == bits {
                return runs.save(out);
            }
        }
        // Ids grow: the newest is the largest (the chains' are newer than
        // the runs' in memory, and those than the file's).
        let width = match (chained.last(), self.runs.len()) {
            (Some(_), _) => id_width(chained.iter().map(|&(_, id)| id).max().unwrap_or(0)),
            (None, 0) => bases.iter().map(|b| b.width).max().unwrap_or(1),
            (None, _) => self.runs.width,
        };
        out.put(bits)?;
        out.put(width)?;
        // Each array in a pass over the merged postings, in (mixed
        // fingerprint, id) order: on a fingerprint several hold, the older
        // ones come first, their ids being smaller. So the order needs no
        // ids, and the first two passes read none from the files.
        let merged = |ids: bool| {
            let mut sources: Vec<Source<_>> = bases
                .iter()
                .map(|b| Source::File(Box::new(b.reader(ids))))
                .collect();
            sources.push(Source::Memory(self.runs.postings()));
            sources.push(Source::Chained(chained.iter()));
            sources
        };
        let buckets = 1usize << bits;
        out.put_len(buckets + 1)?;
        let mut next_bucket = 0;
        let mut at = 0u32;
        merge_by_age(merged(false), |key, _| {
            let bucket = (key >> (32 - bits)) as usize;
            while next_bucket <= bucket {
                out.put(at)?;
                next_bucket += 1;
            }
            at += 1;
            Ok(())
        })?;
        while next_bucket <= buckets {
            out.put(at)?;
            next_bucket += 1;
        }
        out.put_len(total)?;
        merge_by_age(merged(false), |key, _| out.put(key as u16))?;
        let words = (total * width as usize).div_ceil(64) + 1;
        out.put_len(words)?;
        let mut packer = IdPacker {
            width,
            held: 0,
            bits: 0,
        };
        merge_by_age(merged(true), |_, id| packer.push(id, out))?;
        let mut written = (total * width as usize) / 64;
        if packer.bits > 0 {
            out.put(packer.held as u64)?;
            written += 1;
        }
        for _ in written..words {
            out.put(0u64)?;
        }
        Ok(())
    }

    /// Reads a segment's runs that [`Postings::save_from`] wrote into
    /// memory, onto the postings in memory read from the segments before
    /// it (their postings are newer).
    fn extend_in_memory<R: Input>(&mut self, input: &mut Decoder<R>) -> io::Result<()> {
        debug_assert!(self.bases.0.is_empty(), "postings in memory");
        if self.recent > 0 {
            return Err(invalid("a segment's postings after postings in chains"));
        }
        let (bits, width) = (input.take::<u32>()?, input.take::<u32>()?);
        let runs = Runs {
            bits,
            width,
            starts: input.take_vec()?,
            low: input.take_vec()?,
            ids: input.take_vec()?,
        };
        let sound = runs_sound(
            bits,
            width,
            runs.starts.len(),
            runs.starts.last().copied(),
            runs.starts.is_sorted(),
            runs.low.len(),
            runs.ids.len(),
        );
        if !sound {
            return Err(invalid("posting runs that do not add up"));
        }
        if self.runs.len() == 0 {
            self.runs = runs;
        } else {
            let new: Vec<(u32, u32)> = runs.postings().collect();
            self.runs.merge_mixed(&new);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Postings that merge their chains every `min_merge` postings.
    fn merging_every(min_merge: usize) -> Postings {
        Postings {
            min_merge,
            ..Postings::default()
        }
    }

    #[test]
    fn a_posting_list_reads_its_newest_entries_first() {
        for min_merge in [1, 7, 64, usize::MAX] {
            let mut postings = merging_every(min_merge);
            // Lists of every length up to past several full blocks, two
            // fingerprints interleaved.
            for id in 0..400u32 {
                postings.push(7, id);
                if id % 3 == 0 {
                    postings.push(9, id);
                }
                for max in [0, 1, 5, 64, 128, 1_000] {
                    let mut read = Vec::new();
                    postings.read(7, max, |e| read.push(e));
                    let want: Vec<u32> = (0..=id).rev().take(max).collect();
                    assert_eq!(read, want, "after {id}, max {max}, merge {min_merge}");
                }
            }
            let mut read = Vec::new();
            postings.read(9, usize::MAX, |e| read.push(e));
            assert_eq!(
                read,
                (0..400).rev().filter(|id| id % 3 == 0).collect::<Vec<_>>()
            );
            postings.read(8, usize::MAX, |_| panic!("no list"));
        }
    }

    #[test]
    fn posting_lists_match_plain_lists() {
        // Many fingerprints of skewed frequency, pushed interleaved, merged
        // at several rates.
        for min_merge in [1, 100, 4_096, usize::MAX] {
            let mut postings = merging_every(min_merge);
            // Small fingerprints, large ones, and ones sharing their low
            // 16 bits with another.
            let mut lists: Vec<(u32, Vec<u32>)> = (0..300u32)
                .map(|n| match n % 3 {
                    0 => n,
                    1 => u32::MAX - n,
                    _ => n << 16,
                })
                .map(|fp| (fp, Vec::new()))
                .collect();
            let mut x = 1u64;
            for id in 0..50_000u32 {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                // Lists from a few entries to over 64 full blocks.
                let n = ((x >> 33) % 300 * ((x >> 20) % 300) / 300) as usize;
                postings.push(lists[n].0, id);
                lists[n].1.push(id);
            }
            for (fp, list) in &lists {
                for max in [1, 3, 128, usize::MAX] {
                    let mut read = Vec::new();
                    postings.read(*fp, max, |e| read.push(e));
                    let want: Vec<u32> = list.iter().rev().take(max).copied().collect();
                    assert_eq!(read, want, "fingerprint {fp}, max {max}, merge {min_merge}");
                }
            }
            postings.read(12_345_678, usize::MAX, |_| panic!("no list"));
        }
    }

    #[test]
    fn merged_runs_stay_sorted_under_a_growing_directory() {
        let mut postings = merging_every(1_000);
        let mut sample = vec![Vec::new(); 64];
        for id in 0..2_000_000u32 {
            let fp = id.wrapping_mul(2_654_435_761) % 500_000;
            postings.push(fp, id);
            if let Some(list) = sample.get_mut(fp as usize) {
                list.push(id);
            }
        }
        // Read back whole, through every merge and copy.
        for (fp, list) in sample.iter().enumerate() {
            let mut read = Vec::new();
            postings.read(fp as u32, usize::MAX, |e| read.push(e));
            read.reverse();
            assert_eq!(&read, list, "fingerprint {fp}");
        }
        let runs = &postings.runs;
        assert!(runs.bits > MIN_BUCKET_BITS, "the directory grew");
        assert_eq!(runs.width, 21, "ids of 21 bits");
        for b in 0..runs.starts.len() - 1 {
            let (start, end) = (runs.starts[b] as usize, runs.starts[b + 1] as usize);
            let keys: Vec<(u16, u32)> =
                (start..end).map(|at| (runs.low[at], runs.id(at))).collect();
            assert!(keys.is_sorted(), "bucket {b}");
        }
        assert_eq!(*runs.starts.last().unwrap() as usize, runs.len());
    }

    /// Every list of `fps`, whole, newest first.
    fn lists(postings: &Postings, fps: impl Iterator<Item = u32>) -> Vec<Vec<u32>> {
        fps.map(|fp| {
            let mut read = Vec::new();
            postings.read(fp, usize::MAX, |e| read.push(e));
            read
        })
        .collect()
    }

    #[test]
    fn postings_read_in_place_read_as_in_memory_and_save_merged() {
        use crate::clean::persist::{Persist, saved_and_read_in_place, saved_bytes};
        let fp_of = |id: u32| id.wrapping_mul(2_654_435_761) % 40_000;
        let mut memory = merging_every(5_000);
        for id in 0..300_000u32 {
            memory.push(fp_of(id), id);
        }
        assert!(memory.recent > 0, "some postings still in chains");
        let (_tmp, blocks, mut in_place) =
            saved_and_read_in_place(&memory, 0, Postings::extend_in_place);
        in_place.min_merge = 5_000;
        let fps = || (0..40_100u32).step_by(37);
        assert_eq!(lists(&in_place, fps()), lists(&memory, fps()));
        for max in [1, 3, 9] {
            let (mut a, mut b) = (Vec::new(), Vec::new());
            in_place.read(fp_of(12), max, |e| a.push(e));
            memory.read(fp_of(12), max, |e| b.push(e));
            assert_eq!(a, b, "max {max}");
        }
        // Read ahead: the same answers, the lists read ahead from memory
        // (no block lookup), up to the most entries read ahead.
        let mut ahead: Vec<u32> = (0..40_100u32).step_by(11).chain([fp_of(12), 7]).collect();
        let read_ahead = in_place.file_part().read_ahead(&mut ahead, 5);
        assert!(ahead.len() > 3_000, "sorted and deduplicated, not emptied");
        assert!(!read_ahead.ids().is_empty());
        in_place.set_read_ahead(read_ahead);
        let lookups = || {
            let (hits, misses) = blocks.cache_counts();
            hits + misses
        };
        for max in [1, 3, 5] {
            let before = lookups();
            let read = |p: &Postings| {
                let mut read = Vec::new();
                for fp in (0..40_100u32).step_by(11) {
                    p.read(fp, max, |e| read.push(e));
                }
                read
            };
            assert_eq!(read(&in_place), read(&memory), "max {max}");
            assert_eq!(lookups(), before, "max {max}: read from memory");
        }
        assert_eq!(lists(&in_place, fps()), lists(&memory, fps()));
        // More postings, some merged into the runs in memory.
        for id in 300_000..320_000u32 {
            memory.push(fp_of(id), id);
            in_place.push(fp_of(id), id);
        }
        assert!(in_place.runs.len() > 0, "merged in memory");
        assert_eq!(lists(&in_place, fps()), lists(&memory, fps()));
        // Saved merged (over the file it reads: written apart first).
        let bytes = saved_bytes(&in_place);
        drop(in_place);
        let mut input = Decoder::new(bytes.as_slice(), bytes.len() as u64);
        let merged = Postings::restore(&mut input).unwrap();
        input.finish().unwrap();
        assert_eq!(merged.recent, 0, "every posting in the runs");
        assert_eq!(merged.runs.len(), 320_000);
        assert_eq!(lists(&merged, fps()), lists(&memory, fps()));
        assert!(blocks.error().is_none());
    }

    #[test]
    fn postings_merge_by_age_as_sorted_by_fingerprint_and_id() {
        // Sources of uneven sizes, few fingerprints (many ties), each
        // source's ids above the older ones'.
        for sizes in [
            &[0, 5, 0][..],
            &[1_000, 3],
            &[7, 400, 50, 1],
            &[300, 300, 300],
        ] {
            let mut next_id = 0u32;
            let lists: Vec<Vec<(u32, u32)>> = sizes
                .iter()
                .map(|&size| {
                    let mut list: Vec<(u32, u32)> = (0..size)
                        .map(|i: u32| {
                            next_id += 1;
                            (i.wrapping_mul(2_654_435_761) % 61, next_id)
                        })
                        .collect();
                    list.sort_unstable();
                    list
                })
                .collect();
            let sources: Vec<Source<'_, std::iter::Empty<(u32, u32)>>> = lists
                .iter()
                .map(|list| Source::Chained(list.iter()))
                .collect();
            let mut merged = Vec::new();
            merge_by_age(sources, |key, id| {
                merged.push((key, id));
                Ok(())
            })
            .unwrap();
            let mut want = lists.concat();
            want.sort_unstable();
            assert_eq!(merged, want, "sizes {sizes:?}");
        }
    }

    #[test]
    fn block_capacities_add_up() {
        // A chain's first block starts with two entries: the head's single
        // one and the next.
        let mut held = 1;
        for k in 0..100 {
            for fill in (if k == 0 { 2 } else { 1 })..=block_capacity(k) {
                held += 1;
                assert_eq!(newest_block(held), (k, fill), "{held} entries");
            }
        }
    }
}
