//! Cross-article state: every kept paragraph hash and every document seen.

use super::Sketch;
use super::chunked::Chunked;
use super::heads::Heads;
use super::token_store::{CodedTokens, Handle, TokenStore};
use crate::removal::{DocId, ParagraphRef};
pub(crate) use crate::shingle::HashTable;
use crate::shingle::tokens::{CASE, LOWER};
use crate::shingle::{HashTable32, has_bit, set_bit};

/// What the cleaner remembers across documents. Pass the same index to every
/// [`Cleaner::clean`](crate::Cleaner::clean) call of one corpus, in input
/// order; the first copy of anything in that order is the one kept.
///
/// Memory grows with the number of distinct paragraphs and documents, not
/// with the corpus size; [`Index::memory_bytes`] estimates it.
#[derive(Clone, Debug, Default)]
pub struct Index {
    /// Earliest kept copy of each paragraph hash.
    first: HashTable<ParagraphRef>,
    /// Paragraphs removed as near-duplicates, by hash: a later exact copy
    /// of one is a near-duplicate of the same kept paragraph.
    aliases: HashTable<NearMatch>,
    /// First document with each document hash.
    documents: HashTable<DocId>,
    /// First document with each hash of its kept paragraphs.
    kept_documents: HashTable<DocId>,
    docs: Vec<DocEntry>,
    /// The duplicate stages' paragraphs of every decided document, in
    /// order, each document's in one run.
    lines: Chunked<Line>,
    /// The short keys of `lines`, each document's concatenated in one run.
    short_keys: Chunked<u8>,
    /// The paragraphs of the coverage stage (kept, or removed as repeats:
    /// both are sources), by entry id, in input order.
    sources: Sources,
    /// A one-hash Bloom filter of the words seen in lowercase in running
    /// text ([`LOWER`]), [`LOWER_BITS`] bits once a source is indexed.
    lower: Vec<u64>,
    /// Earlier documents holding each short paragraph (by hash).
    short_lines: HashTable<u32>,
}

/// Bits of [`Index::lower`]: about 1.5% false positives at 500,000
/// distinct words, in 4 MiB whatever the corpus size.
const LOWER_BITS: usize = 1 << 25;

/// The bit of `token` in [`Index::lower`].
fn lower_bit(token: u32) -> usize {
    (token >> 3) as usize % LOWER_BITS
}

/// The coverage stage's paragraphs: their tokens and a posting list per
/// winnowed fingerprint. The index's keep their tokens coded
/// ([`CodedTokens`]); a document's own, which live for one document,
/// whole.
#[derive(Clone, Debug, Default)]
pub(crate) struct Sources<T = CodedTokens> {
    /// Each entry's paragraph, kept copy, tokens and shingle width, in one
    /// record: a hit reads one cache line, not one per field.
    entries: Chunked<EntryRecord>,
    /// Each entry's document, apart: ranking a paragraph's candidate
    /// sources reads the document of every entry hit, and 4 bytes an entry
    /// stay in cache where the 28-byte records do not.
    docs: Chunked<DocId>,
    tokens: T,
    /// The entries holding each fingerprint.
    postings: Postings,
    /// Spelling Bloom filter of every token seen as a name.
    blooms: HashTable32<u64>,
}

/// What [`Sources`] holds of one entry besides its tokens.
#[derive(Clone, Copy, Debug)]
struct EntryRecord {
    at: ParagraphRef,
    /// Its kept copy (itself when kept).
    kept: ParagraphRef,
    /// Where its tokens are in [`Sources::tokens`].
    tokens: Handle,
    width: u8,
}

/// One coverage-stage paragraph, as [`Sources::load`] gives it, with its
/// tokens in a buffer of the caller's.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SourceEntry<'a> {
    pub(crate) at: ParagraphRef,
    pub(crate) kept: ParagraphRef,
    pub(crate) width: usize,
    pub(crate) tokens: &'a [u32],
}

/// A [`SourceEntry`] whose tokens were loaded into a buffer: their range
/// there.
#[derive(Clone, Debug)]
pub(crate) struct LoadedEntry {
    at: ParagraphRef,
    kept: ParagraphRef,
    width: usize,
    tokens: std::ops::Range<usize>,
}

impl LoadedEntry {
    /// The entry, with its tokens in `buffer`, the buffer
    /// [`Sources::load`] loaded them into.
    pub(crate) fn in_buffer<'a>(&self, buffer: &'a [u32]) -> SourceEntry<'a> {
        SourceEntry {
            at: self.at,
            kept: self.kept,
            width: self.width,
            tokens: &buffer[self.tokens.clone()],
        }
    }
}

impl<T: TokenStore> Sources<T> {
    pub(crate) fn len(&self) -> usize {
        self.entries.end()
    }

    /// Empties it, keeping its allocations (a document's own sources are
    /// rebuilt for every document).
    pub(crate) fn clear(&mut self) {
        self.entries.clear();
        self.docs.clear();
        self.tokens.clear();
        self.postings.clear();
        self.blooms.clear();
    }

    /// The document of entry `id`.
    pub(crate) fn doc_of(&self, id: u32) -> DocId {
        self.docs.get(id)
    }

    /// Reads the record of entry `id`, to have it in cache: see
    /// [`Sources::postings`]. Returns a value only to keep the read.
    pub(crate) fn touch_entry(&self, id: u32) -> u32 {
        self.entries.get(id).tokens.0
    }

    /// Reads the tokens of entry `id`, to have them in cache: see
    /// [`TokenStore::touch`].
    pub(crate) fn touch_tokens(&self, id: u32) -> u32 {
        self.tokens.touch(self.entries.get(id).tokens)
    }

    /// Entry `id`, its tokens appended to `buffer`.
    pub(crate) fn load(&self, id: u32, buffer: &mut Vec<u32>) -> LoadedEntry {
        let record = self.entries.get(id);
        let start = buffer.len();
        self.tokens.load(record.tokens, buffer);
        LoadedEntry {
            at: record.at,
            kept: record.kept,
            width: usize::from(record.width),
            tokens: start..buffer.len(),
        }
    }

    /// Calls `hit(entry, fingerprint index)` for every entry that holds one
    /// of `fingerprints`. At most `max` postings, the newest, are read per
    /// fingerprint.
    pub(crate) fn postings(&self, fingerprints: &[u32], max: usize, mut hit: impl FnMut(u32, u32)) {
        // Their cache misses overlap here, not one after another below.
        std::hint::black_box(self.postings.heads.touch(fingerprints));
        for (f, &fp) in fingerprints.iter().enumerate() {
            self.postings.read(fp, max, |entry| hit(entry, f as u32));
        }
    }

    pub(crate) fn bloom(&self, token: u32) -> Option<u64> {
        self.blooms.get(&(token & !CASE)).copied()
    }

    pub(crate) fn insert(&mut self, at: ParagraphRef, kept: ParagraphRef, sketch: &Sketch) {
        // Entry ids leave the top bit free for posting hits' sort keys.
        let id = self.entries.push(EntryRecord {
            at,
            kept,
            tokens: self.tokens.store(sketch.tokens()),
            width: u8::try_from(sketch.width()).unwrap_or(u8::MAX),
        });
        self.docs.push(at.doc);
        assert!(id & (1 << 31) == 0, "fewer than 2^31 indexed paragraphs");
        for &fp in sketch.fingerprints() {
            self.postings.push(fp, id);
        }
        for &(token, bloom) in sketch.blooms() {
            self.blooms.entry(token & !CASE).or_insert(bloom);
        }
    }

    fn memory_parts(&self, parts: &mut Vec<(&'static str, usize)>) {
        parts.push((
            "source paragraphs",
            self.entries.memory_bytes() + self.docs.memory_bytes(),
        ));
        let (tokens, dictionary) = self.tokens.memory_bytes();
        parts.push(("source tokens", tokens));
        parts.push(("token dictionary", dictionary));
        parts.push((
            "fingerprint heads",
            self.postings.heads.capacity() * std::mem::size_of::<(u32, u32)>(),
        ));
        parts.push(("postings", self.postings.blocks.memory_bytes()));
        parts.push((
            "name spellings",
            table_bytes(self.blooms.capacity(), std::mem::size_of::<(u32, u64)>()),
        ));
    }
}

/// Of `items` sorted by paragraph, the one `step` places after (or before,
/// for a negative `step`) the item of paragraph `paragraph`, with its
/// position.
pub(crate) fn step_from<T>(
    items: &[T],
    paragraph: u32,
    paragraph_of: impl Fn(&T) -> u32,
    step: isize,
) -> Option<(usize, &T)> {
    let pos = items
        .binary_search_by_key(&paragraph, paragraph_of)
        .ok()?
        .checked_add_signed(step)?;
    Some((pos, items.get(pos)?))
}

/// Bytes of a hash table of `capacity` entries of `entry` bytes (one
/// control byte each).
fn table_bytes(capacity: usize, entry: usize) -> usize {
    capacity * (entry + 1)
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
pub(crate) struct Postings {
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

impl Postings {
    /// Empties it, keeping its allocations.
    fn clear(&mut self) {
        self.heads.clear();
        self.blocks.clear();
    }

    /// Appends entry `id` (below 2^31) to the chain of `fp`.
    ///
    /// # Panics
    ///
    /// When `id` is 2^31 or more, or past 2^31 slots in the arena (some
    /// 10^9 postings).
    pub(crate) fn push(&mut self, fp: u32, id: u32) {
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
    pub(crate) fn read(&self, fp: u32, max: usize, mut hit: impl FnMut(u32)) {
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

/// A near-duplicate's kept copy and measures.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct NearMatch {
    pub(crate) of: ParagraphRef,
    pub(crate) similarity: f64,
    pub(crate) containment: Option<f64>,
    /// Word coverage, for a paragraph removed by the coverage rule.
    pub(crate) coverage: Option<f64>,
}

/// A paragraph of the document being decided that reached the duplicate
/// stages.
#[derive(Clone, Debug)]
pub(crate) struct Candidate<'a> {
    pub(crate) paragraph: u32,
    pub(crate) hash: u64,
    /// Fewer words than the short-paragraph bound.
    pub(crate) short: bool,
    /// The matching key of a short paragraph, for runs of near-duplicates
    /// (only when the near stage is on).
    pub(crate) short_key: Option<&'a str>,
}

/// A paragraph of the duplicate stages of a decided document, as the
/// index keeps it for runs: [`Index::neighbour`].
#[derive(Clone, Copy, Debug)]
struct Line {
    hash: u64,
    paragraph: u32,
    /// Where its short key starts in [`Index::short_keys`]; it ends where
    /// the next line's starts, or the last line's at its document's
    /// `keys_end` (empty when it has none).
    key_start: u32,
}

#[derive(Clone, Debug)]
struct DocEntry {
    name: Box<str>,
    /// Its lines: where they start in [`Index::lines`], and how many.
    lines: (u32, u32),
    /// Where its lines' short keys end in [`Index::short_keys`].
    keys_end: u32,
}

impl Index {
    /// An empty index.
    pub fn new() -> Index {
        Index::default()
    }

    /// Number of documents added.
    pub fn documents(&self) -> usize {
        self.docs.len()
    }

    /// Number of distinct paragraphs kept.
    pub fn distinct_paragraphs(&self) -> usize {
        self.first.len()
    }

    /// Number of paragraphs indexed for near-duplicate (coverage) search:
    /// kept ones and those removed as near-duplicates, which stay sources.
    pub fn near_paragraphs(&self) -> usize {
        self.sources.len()
    }

    /// The id a document was cleaned under.
    ///
    /// # Panics
    ///
    /// When `doc` does not come from this index.
    pub fn name(&self, doc: DocId) -> &str {
        &self.docs[doc.0 as usize].name
    }

    /// Estimated heap bytes held: the sum of [`Index::memory_parts`].
    pub fn memory_bytes(&self) -> usize {
        self.memory_parts().iter().map(|(_, bytes)| bytes).sum()
    }

    /// Estimated heap bytes held, by part (hash tables at capacity, one
    /// control byte per slot), in a fixed order.
    pub fn memory_parts(&self) -> Vec<(&'static str, usize)> {
        let names: usize = self.docs.iter().map(|d| d.name.len()).sum();
        let mut parts = vec![
            (
                "paragraph hashes",
                table_bytes(
                    self.first.capacity(),
                    std::mem::size_of::<(u64, ParagraphRef)>(),
                ),
            ),
            (
                "near aliases",
                table_bytes(
                    self.aliases.capacity(),
                    std::mem::size_of::<(u64, NearMatch)>(),
                ),
            ),
            (
                "documents",
                table_bytes(
                    self.documents.capacity() + self.kept_documents.capacity(),
                    std::mem::size_of::<(u64, DocId)>(),
                ) + self.docs.capacity() * std::mem::size_of::<DocEntry>()
                    + names,
            ),
            (
                "paragraph lists",
                self.lines.memory_bytes() + self.short_keys.memory_bytes(),
            ),
            ("lowercase words", self.lower.capacity() * 8),
            (
                "short lines",
                table_bytes(
                    self.short_lines.capacity(),
                    std::mem::size_of::<(u64, u32)>(),
                ),
            ),
        ];
        self.sources.memory_parts(&mut parts);
        parts
    }

    pub(crate) fn add_document(&mut self, name: &str) -> DocId {
        let id = u32::try_from(self.docs.len()).expect("fewer than 2^32 documents per index");
        self.docs.push(DocEntry {
            name: name.into(),
            lines: (0, 0),
            keys_end: 0,
        });
        DocId(id)
    }

    /// Keeps the candidates of `doc`, the document added last, for runs.
    pub(crate) fn insert_lines(&mut self, doc: DocId, candidates: &[Candidate<'_>]) {
        debug_assert_eq!(doc.0 as usize + 1, self.docs.len(), "the last document");
        fn key<'a>(c: &Candidate<'a>) -> &'a [u8] {
            c.short_key.unwrap_or("").as_bytes()
        }
        let key_bytes = candidates.iter().map(|c| key(c).len()).sum();
        let mut key_start = self.short_keys.extend_iter(
            key_bytes,
            candidates.iter().flat_map(|c| key(c).iter().copied()),
        );
        let lines = candidates.iter().map(|c| {
            let line = Line {
                hash: c.hash,
                paragraph: c.paragraph,
                key_start,
            };
            key_start += key(c).len() as u32;
            line
        });
        let start = self.lines.extend_iter(candidates.len(), lines);
        let entry = &mut self.docs[doc.0 as usize];
        entry.lines = (start, candidates.len() as u32);
        entry.keys_end = key_start;
    }

    pub(crate) fn alias(&self, hash: u64) -> Option<NearMatch> {
        self.aliases.get(&hash).copied()
    }

    pub(crate) fn insert_alias(&mut self, hash: u64, near: NearMatch) {
        self.aliases.entry(hash).or_insert(near);
    }

    pub(crate) fn sources(&self) -> &Sources {
        &self.sources
    }

    pub(crate) fn insert_source(&mut self, at: ParagraphRef, kept: ParagraphRef, sketch: &Sketch) {
        self.sources.insert(at, kept, sketch);
        if self.lower.is_empty() {
            self.lower = vec![0; LOWER_BITS / 64];
        }
        for &token in sketch.tokens().iter().filter(|&&t| t & LOWER != 0) {
            set_bit(&mut self.lower, lower_bit(token));
        }
    }

    /// Counts one more document holding each short paragraph of `hashes`.
    pub(crate) fn count_short_lines(&mut self, mut hashes: Vec<u64>) {
        hashes.sort_unstable();
        hashes.dedup();
        for hash in hashes {
            let count = self.short_lines.entry(hash).or_insert(0);
            *count = count.saturating_add(1);
        }
    }

    /// Whether the short paragraph with hash `hash` is page furniture: in
    /// at least [`FURNITURE_MIN_DOCS`](super::FURNITURE_MIN_DOCS) earlier
    /// documents and [`FURNITURE_MIN_SHARE`](super::FURNITURE_MIN_SHARE)
    /// of them.
    pub(crate) fn is_furniture(&self, hash: u64) -> bool {
        let count = self.short_lines.get(&hash).copied().unwrap_or(0);
        count >= super::FURNITURE_MIN_DOCS
            && f64::from(count) >= super::FURNITURE_MIN_SHARE * self.docs.len() as f64
    }

    /// Whether `token`'s word was (probably) seen in lowercase in running
    /// text: a common word, whatever its case here.
    pub(crate) fn is_common(&self, token: u32) -> bool {
        has_bit(&self.lower, lower_bit(token))
    }

    /// Whether a paragraph of `hash` is decided without a sketch: it has
    /// a kept first copy, or it is the copy of a near-duplicate removed
    /// earlier. Once true, true for good (the index only grows).
    pub(crate) fn knows(&self, hash: u64) -> bool {
        self.first_copy(hash).is_some() || self.alias(hash).is_some()
    }

    pub(crate) fn first_copy(&self, hash: u64) -> Option<ParagraphRef> {
        self.first.get(&hash).copied()
    }

    pub(crate) fn insert_paragraph(&mut self, hash: u64, at: ParagraphRef) {
        self.first.entry(hash).or_insert(at);
    }

    /// The earlier document with document hash `hash`.
    pub(crate) fn document(&self, hash: u64) -> Option<DocId> {
        self.documents.get(&hash).copied()
    }

    pub(crate) fn insert_document(&mut self, hash: u64, doc: DocId) {
        self.documents.entry(hash).or_insert(doc);
    }

    /// The earlier document whose kept paragraphs hash to `hash`.
    pub(crate) fn kept_document(&self, hash: u64) -> Option<DocId> {
        self.kept_documents.get(&hash).copied()
    }

    pub(crate) fn insert_kept_document(&mut self, hash: u64, doc: DocId) {
        self.kept_documents.entry(hash).or_insert(doc);
    }

    /// The paragraph `step` places after (or before, for a negative
    /// `step`) paragraph `at` among the duplicate stages' paragraphs of its
    /// (decided) document: its reference, hash and short key.
    pub(crate) fn neighbour(
        &self,
        at: ParagraphRef,
        step: isize,
    ) -> Option<(ParagraphRef, u64, Option<&str>)> {
        let document = self.docs.get(at.doc.0 as usize)?;
        let lines = self
            .lines
            .slice(document.lines.0, document.lines.1 as usize);
        let (pos, line) = step_from(lines, at.paragraph, |l| l.paragraph, step)?;
        let key_end = lines
            .get(pos + 1)
            .map_or(document.keys_end, |next| next.key_start);
        let key = self
            .short_keys
            .slice(line.key_start, (key_end - line.key_start) as usize);
        // Keys are whole matching keys, so valid UTF-8.
        let key = std::str::from_utf8(key).ok().filter(|key| !key.is_empty());
        let at = ParagraphRef {
            doc: at.doc,
            paragraph: line.paragraph,
        };
        Some((at, line.hash, key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_posting_chain_reads_its_newest_entries_first() {
        let mut postings = Postings::default();
        // Chains of every length up to past several full blocks, two
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
                assert_eq!(read, want, "after {id}, max {max}");
            }
        }
        let mut read = Vec::new();
        postings.read(9, usize::MAX, |e| read.push(e));
        assert_eq!(
            read,
            (0..400).rev().filter(|id| id % 3 == 0).collect::<Vec<_>>()
        );
        postings.read(8, usize::MAX, |_| panic!("no chain"));
    }

    #[test]
    fn posting_chains_match_plain_lists() {
        // Many fingerprints of skewed frequency, pushed interleaved.
        let mut postings = Postings::default();
        let mut lists: Vec<Vec<u32>> = vec![Vec::new(); 50];
        let mut x = 1u64;
        for id in 0..50_000u32 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            // Chains from a few entries to over 64 full blocks.
            let fp = ((x >> 33) % 50 * ((x >> 20) % 50) / 50) as usize;
            postings.push(fp as u32, id);
            lists[fp].push(id);
        }
        for (fp, list) in lists.iter().enumerate() {
            for max in [1, 3, 128, usize::MAX] {
                let mut read = Vec::new();
                postings.read(fp as u32, max, |e| read.push(e));
                let want: Vec<u32> = list.iter().rev().take(max).copied().collect();
                assert_eq!(read, want, "fingerprint {fp}, max {max}");
            }
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
