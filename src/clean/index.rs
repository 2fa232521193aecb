//! Cross-article state: every kept paragraph hash and every document seen.

mod export;

pub(crate) use export::{EXPORT_FORMAT, EXPORT_VERSION, Importer, Record as ExportRecord};

use std::borrow::Cow;
use std::io::{self, Write};

use super::chunked::{Chunked, FileChunks};
use super::disk::BlockFile;
use super::persist::{Decoder, Encoder, Fixed, Input, Segmented, invalid};
use super::postings::{ListsAhead, Postings, RunParts};
use super::table::{Table, TableParts};
use super::token_store::{CodedTokens, Handle, TokenStore, prefixed_str, store_prefixed};
use super::{Analysis, MAX_POSTINGS, Sketch};
use crate::removal::{DocId, ParagraphRef};
pub(crate) use crate::shingle::HashTable;
use crate::shingle::HashTable32;
use crate::shingle::document_hash_of;
use crate::shingle::tokens::{CASE, LOWER};

/// What the cleaner remembers across documents. Pass the same index to every
/// [`Cleaner::clean`](crate::Cleaner::clean) call of one corpus, in input
/// order; the first copy of anything in that order is the one kept.
///
/// Memory grows with the number of distinct paragraphs and documents, not
/// with the corpus size; [`Index::memory_bytes`] estimates it.
#[derive(Clone, Debug, Default)]
pub struct Index {
    /// Earliest kept copy of each paragraph hash.
    first: Table<ParagraphRef>,
    /// Paragraphs removed as near-duplicates, by hash: a later exact copy
    /// of one is a near-duplicate of the same kept paragraph.
    aliases: Table<StoredNear>,
    /// First document with each document hash.
    documents: Table<DocId>,
    /// First document with each hash of its kept paragraphs.
    kept_documents: Table<DocId>,
    /// Every document added, by [`DocId`].
    docs: Chunked<DocEntry>,
    /// The documents' names, each after its length ([`store_prefixed`]).
    names: Chunked<u8>,
    /// The duplicate stages' paragraphs of every decided document, in
    /// order, each document's in one run.
    lines: Chunked<Line>,
    /// The matching keys of short paragraphs, each stored once (see
    /// [`ShortLine::key`]).
    short_keys: Chunked<u8>,
    /// The paragraphs of the coverage stage (kept, or removed as repeats:
    /// both are sources), by entry id, in input order.
    sources: Sources,
    /// Each short paragraph of a decided document, by hash.
    short_lines: Table<ShortLine>,
    /// The index file read in place, when it was
    /// ([`Index::extend_in_place`]).
    file: Option<BlockFile>,
}

/// The block cache of an index read in place
/// ([`Storage::InPlace`](crate::store::Storage::InPlace)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileCache {
    /// Its capacity.
    pub capacity_bytes: u64,
    /// Block lookups it answered.
    pub hits: u64,
    /// Block lookups that read the file.
    pub misses: u64,
}

/// The parts of an index file read in place that the lookups of a batch
/// are read ahead from ([`Index::file_view`]).
///
/// The file does not change during a run, while what the run adds changes
/// with every decision: the file's part of the lookups is the one that the
/// decision order allows to take out of it and sort. Before a batch is
/// decided, [`FileView::read_ahead`] reads the file's answers to the
/// lookups its decisions will make, each table's keys in key order and the
/// posting lists in the order they lie in the file, so that each block
/// they need is read once for the batch however small the cache, and the
/// decisions find them in memory ([`Index::set_read_ahead`]). The
/// pipeline does this on the thread that analyzes the next batch, while
/// the decisions of the one before go on.
///
/// Read ahead: the paragraph hashes (first copies, aliases, short lines),
/// the document hashes, the posting lists of the sketches of paragraphs
/// the file does not know, and the documents of the entries those lists
/// hold. Not read ahead: what depends on the decisions (kept-document
/// hashes, neighbours in runs), and the entries and tokens of the sources
/// ranked highest (read ahead as the decision would rank them, with the
/// file's hits alone, they made the run no faster).
#[derive(Clone, Debug)]
pub(crate) struct FileView {
    first: TableParts,
    aliases: TableParts,
    short_lines: TableParts,
    documents: TableParts,
    postings: RunParts,
    docs: Option<FileChunks<DocId>>,
    /// See [`FileView::read_while_deciding`].
    concurrent: bool,
}

/// What [`FileView::read_ahead`] read for a batch.
#[derive(Debug, Default)]
pub(crate) struct ReadAhead {
    first: HashTable<Option<ParagraphRef>>,
    aliases: HashTable<Option<StoredNear>>,
    short_lines: HashTable<Option<ShortLine>>,
    documents: HashTable<Option<DocId>>,
    postings: ListsAhead,
    /// The documents of the entries of `postings` left in the file.
    docs: HashTable32<DocId>,
}

impl FileView {
    /// Whether to read ahead for a batch while the batch before is
    /// decided, on another thread: when the cache holds half the file or
    /// more. Both threads then read through one cache, and the blocks read
    /// ahead evict blocks the decisions read (the entries and tokens of
    /// sources). With the cache at a tenth of the file that cost more
    /// than the overlap saved (medium corpus, part ten: 1.90 s read ahead
    /// first against 2.04 s read meanwhile, and within 100 MiB of memory
    /// 7.3-7.9 s against 9.2-9.5 s); with two thirds of it, the overlap
    /// saved 13% (large corpus, part ten: 12.6-13.2 s against
    /// 11.0-11.2 s).
    pub(crate) fn read_while_deciding(&self) -> bool {
        self.concurrent
    }

    /// Reads what the file holds for the decisions of `analyses` (a batch),
    /// see the type's docs.
    pub(crate) fn read_ahead(&self, analyses: &[Option<Analysis>]) -> ReadAhead {
        let analyses = || analyses.iter().flatten();
        let mut hashes: Vec<u64> = analyses()
            .flat_map(|analysis| analysis.hashes.iter().flatten().copied())
            .collect();
        hashes.sort_unstable();
        hashes.dedup();
        let mut documents: Vec<u64> = analyses()
            .filter(|analysis| analysis.hashes.iter().any(Option::is_some))
            .map(|analysis| document_hash_of(analysis.hashes.iter().flatten().copied()))
            .collect();
        documents.sort_unstable();
        documents.dedup();
        let first = self.first.read_ahead(&hashes);
        let aliases = self.aliases.read_ahead(&hashes);
        // A paragraph the file knows is decided without its sketch.
        let known = |hash: u64| {
            matches!(first.get(&hash), Some(Some(_))) || matches!(aliases.get(&hash), Some(Some(_)))
        };
        let mut fingerprints: Vec<u32> = analyses()
            .flat_map(|analysis| analysis.hashes.iter().zip(&analysis.sketches))
            .filter(|(hash, _)| !hash.is_some_and(known))
            .filter_map(|(_, sketch)| sketch.as_ref())
            .flat_map(|sketch| sketch.fingerprints().iter().copied())
            .collect();
        let postings = match self.postings.segments() {
            0 => ListsAhead::default(),
            _ => self.postings.read_ahead(&mut fingerprints, MAX_POSTINGS),
        };
        let mut ids = postings.ids().to_vec();
        ids.sort_unstable();
        ids.dedup();
        let docs = match &self.docs {
            Some(docs) => ids
                .into_iter()
                .filter_map(|id| Some((id, docs.get(id)?)))
                .collect(),
            None => HashTable32::default(),
        };
        ReadAhead {
            short_lines: self.short_lines.read_ahead(&hashes),
            documents: self.documents.read_ahead(&documents),
            first,
            aliases,
            postings,
            docs,
        }
    }
}

/// The coverage stage's paragraphs: their tokens and a posting list per
/// winnowed fingerprint. The index's keep their tokens coded
/// ([`CodedTokens`]); a document's own, which live for one document,
/// whole.
#[derive(Clone, Debug, Default)]
pub(crate) struct Sources<T = CodedTokens> {
    /// Each entry's paragraph, kept copy, tokens and shingle width, in one
    /// 20-byte record: a hit reads one cache line, not one per field.
    entries: Chunked<EntryRecord>,
    /// Each entry's document, apart: ranking a paragraph's candidate
    /// sources reads the document of every entry hit, and 4 bytes an entry
    /// stay in cache where the records do not.
    docs: Chunked<DocId>,
    tokens: T,
    /// The entries holding each fingerprint.
    postings: Postings,
    /// Spelling Bloom filter of every token seen as a name.
    blooms: HashTable32<u64>,
    /// The documents of the entries the postings read ahead hold, where
    /// `docs` leaves them in an index file ([`Index::set_read_ahead`]).
    ahead_docs: HashTable32<DocId>,
}

/// What [`Sources`] holds of one entry besides its tokens.
#[derive(Clone, Copy, Debug)]
struct EntryRecord {
    /// Its paragraph number (its document is in [`Sources::docs`]).
    paragraph: u32,
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
    /// Where the entry's paragraph is.
    pub(crate) fn at(&self) -> ParagraphRef {
        self.at
    }

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
        self.ahead_docs.clear();
    }

    /// The document of entry `id`.
    #[inline]
    pub(crate) fn doc_of(&self, id: u32) -> DocId {
        if !self.ahead_docs.is_empty()
            && !self.docs.in_memory(id)
            && let Some(&doc) = self.ahead_docs.get(&id)
        {
            return doc;
        }
        self.docs.get(id)
    }

    /// Reads the record of entry `id`, to have it in cache: see
    /// [`Sources::postings`]. Returns a value only to keep the read.
    pub(crate) fn touch_entry(&self, id: u32) -> u32 {
        // In an index file read in place, a read ahead would be a lookup
        // of the file's cache as dear as the read it prepares.
        if !self.entries.in_memory(id) {
            return 0;
        }
        self.entries.get(id).tokens
    }

    /// Reads the tokens of entry `id`, to have them in cache: see
    /// [`TokenStore::touch`].
    pub(crate) fn touch_tokens(&self, id: u32) -> u32 {
        if !self.entries.in_memory(id) {
            return 0;
        }
        self.tokens.touch(self.entries.get(id).tokens)
    }

    /// Entry `id`, its tokens appended to `buffer`.
    pub(crate) fn load(&self, id: u32, buffer: &mut Vec<u32>) -> LoadedEntry {
        let record = self.entries.get(id);
        let start = buffer.len();
        self.tokens.load(record.tokens, buffer);
        LoadedEntry {
            at: ParagraphRef {
                doc: self.docs.get(id),
                paragraph: record.paragraph,
            },
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
        std::hint::black_box(self.postings.touch(fingerprints));
        for (f, &fp) in fingerprints.iter().enumerate() {
            self.postings.read(fp, max, |entry| hit(entry, f as u32));
        }
    }

    pub(crate) fn bloom(&self, token: u32) -> Option<u64> {
        self.blooms.get(&(token & !CASE)).copied()
    }

    pub(crate) fn insert(&mut self, at: ParagraphRef, kept: ParagraphRef, sketch: &Sketch) {
        let width = u8::try_from(sketch.width()).unwrap_or(u8::MAX);
        self.insert_parts(at, kept, sketch.tokens(), width, sketch.fingerprints());
        for &(token, bloom) in sketch.blooms() {
            self.blooms.entry(token & !CASE).or_insert(bloom);
        }
    }

    /// Adds the entry of paragraph `at` (kept copy `kept`) with its tokens,
    /// shingle width and fingerprints; returns its id.
    fn insert_parts(
        &mut self,
        at: ParagraphRef,
        kept: ParagraphRef,
        tokens: &[u32],
        width: u8,
        fingerprints: &[u32],
    ) -> u32 {
        // Entry ids leave the top bit free for posting hits' sort keys.
        let id = self.entries.push(EntryRecord {
            paragraph: at.paragraph,
            kept,
            tokens: self.tokens.store(tokens),
            width,
        });
        self.docs.push(at.doc);
        assert!(id & (1 << 31) == 0, "fewer than 2^31 indexed paragraphs");
        for &fp in fingerprints {
            self.postings.push(fp, id);
        }
        id
    }

    fn memory_parts(&self, parts: &mut Vec<(&'static str, usize)>) {
        parts.push((
            "source paragraphs",
            self.entries.memory_bytes()
                + self.docs.memory_bytes()
                + table_bytes(self.ahead_docs.capacity(), 8),
        ));
        let (tokens, dictionary) = self.tokens.memory_bytes();
        parts.push(("source tokens", tokens));
        parts.push(("token dictionary", dictionary));
        let (heads, postings) = self.postings.memory_bytes();
        parts.push(("fingerprint heads", heads));
        parts.push(("postings", postings));
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

/// Bytes of a `std` hash table that can hold `capacity` entries of
/// `entry` bytes: its buckets (a power of two, at most seven eighths
/// full), a control byte each, and a group of control bytes more.
pub(crate) fn table_bytes(capacity: usize, entry: usize) -> usize {
    let buckets = match capacity {
        0 => return 0,
        1..8 => capacity + 1,
        _ => capacity / 7 * 8,
    };
    buckets * (entry + 1) + 16
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

/// A [`NearMatch`] as the index keeps it, in 32 bytes instead of 48: a
/// measure it lacks is NaN, not `None` (measures are never NaN).
#[derive(Clone, Copy, Debug)]
struct StoredNear {
    of: ParagraphRef,
    similarity: f64,
    containment: f64,
    coverage: f64,
}

impl StoredNear {
    fn store(near: NearMatch) -> StoredNear {
        StoredNear {
            of: near.of,
            similarity: near.similarity,
            containment: near.containment.unwrap_or(f64::NAN),
            coverage: near.coverage.unwrap_or(f64::NAN),
        }
    }

    fn load(&self) -> NearMatch {
        let measure = |m: f64| (!m.is_nan()).then_some(m);
        NearMatch {
            of: self.of,
            similarity: self.similarity,
            containment: measure(self.containment),
            coverage: measure(self.coverage),
        }
    }
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
/// index keeps it for runs: [`Index::neighbour`]. 12 bytes: its hash is
/// two words so that it aligns as a `u32`.
#[derive(Clone, Copy, Debug)]
struct Line {
    hash: [u32; 2],
    /// Its paragraph number, with [`HAS_KEY`] set when it was kept with a
    /// short key.
    paragraph: u32,
}

/// The mark of a [`Line`] kept with a short key.
const HAS_KEY: u32 = 1 << 31;

impl Line {
    fn hash(&self) -> u64 {
        u64::from(self.hash[0]) << 32 | u64::from(self.hash[1])
    }

    fn paragraph(&self) -> u32 {
        self.paragraph & !HAS_KEY
    }
}

/// What the index holds of a short paragraph (by hash).
#[derive(Clone, Copy, Debug)]
struct ShortLine {
    /// Decided documents holding it.
    documents: u32,
    /// Where its matching key starts in [`Index::short_keys`] (after its
    /// length), once a line of it was kept with one, else [`NO_KEY`]: the
    /// furniture lines that repeat in thousands of articles are stored
    /// once, not once per article.
    key: u32,
}

/// [`ShortLine::key`] of a line with no key stored.
const NO_KEY: u32 = u32::MAX;

impl Default for ShortLine {
    fn default() -> ShortLine {
        ShortLine {
            documents: 0,
            key: NO_KEY,
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct DocEntry {
    /// Where its name starts in [`Index::names`].
    name: u32,
    /// Its lines: where they start in [`Index::lines`], and how many.
    lines: (u32, u32),
}

impl Index {
    /// An empty index.
    pub fn new() -> Index {
        Index::default()
    }

    /// Number of documents added.
    pub fn documents(&self) -> usize {
        self.docs.end()
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
    pub fn name(&self, doc: DocId) -> Cow<'_, str> {
        prefixed_str(&self.names, self.docs.get(doc.0).name)
    }

    /// Estimated heap bytes held: the sum of [`Index::memory_parts`].
    pub fn memory_bytes(&self) -> usize {
        self.memory_parts().iter().map(|(_, bytes)| bytes).sum()
    }

    /// Estimated heap bytes held, by part (hash tables by their buckets
    /// and control bytes, arrays by their capacity), in a fixed order.
    pub fn memory_parts(&self) -> Vec<(&'static str, usize)> {
        let mut parts = vec![
            ("paragraph hashes", self.first.memory_bytes()),
            ("near aliases", self.aliases.memory_bytes()),
            (
                "documents",
                self.documents.memory_bytes()
                    + self.kept_documents.memory_bytes()
                    + self.docs.memory_bytes()
                    + self.names.memory_bytes(),
            ),
            ("paragraph lists", self.lines.memory_bytes()),
            (
                "short lines",
                self.short_lines.memory_bytes() + self.short_keys.memory_bytes(),
            ),
        ];
        self.sources.memory_parts(&mut parts);
        if let Some(file) = &self.file {
            parts.push(("file block cache", file.cache_capacity() as usize));
        }
        parts
    }

    /// The parts of an index file read in place that a batch's lookups
    /// can be read ahead from, on any thread ([`FileView::read_ahead`]);
    /// none for an index in memory.
    pub(crate) fn file_view(&self) -> Option<FileView> {
        let file = self.file.as_ref()?;
        Some(FileView {
            first: self.first.file_part(),
            aliases: self.aliases.file_part(),
            short_lines: self.short_lines.file_part(),
            documents: self.documents.file_part(),
            postings: self.sources.postings.file_part(),
            docs: self.sources.docs.file_part(),
            concurrent: file.cache_capacity().saturating_mul(2) >= file.len(),
        })
    }

    /// Answers the lookups of the file from `ahead` where it can (read
    /// from this index's [`Index::file_view`]), until the next call. The
    /// file does not change during a run, so this changes no answer.
    pub(crate) fn set_read_ahead(&mut self, ahead: ReadAhead) {
        self.first.set_read_ahead(ahead.first);
        self.aliases.set_read_ahead(ahead.aliases);
        self.short_lines.set_read_ahead(ahead.short_lines);
        self.documents.set_read_ahead(ahead.documents);
        self.sources.postings.set_read_ahead(ahead.postings);
        self.sources.ahead_docs = ahead.docs;
    }

    pub(crate) fn add_document(&mut self, name: &str) -> DocId {
        let id = self.docs.push(DocEntry {
            name: store_prefixed(&mut self.names, name.as_bytes()),
            lines: (0, 0),
        });
        DocId(id)
    }

    /// Keeps the candidates of `doc`, the document added last, for runs;
    /// the short keys of those not seen with one before.
    pub(crate) fn insert_lines(&mut self, doc: DocId, candidates: &[Candidate<'_>]) {
        debug_assert_eq!(doc.0 as usize + 1, self.docs.end(), "the last document");
        for c in candidates {
            let Some(key) = c.short_key else { continue };
            let keyless = self.short_lines.get(c.hash).is_none_or(|l| l.key == NO_KEY);
            if keyless && !key.is_empty() {
                let short_keys = &mut self.short_keys;
                self.short_lines.update(c.hash, |line| {
                    line.key = store_prefixed(short_keys, key.as_bytes());
                });
            }
        }
        let lines = candidates.iter().map(|c| Line {
            hash: [(c.hash >> 32) as u32, c.hash as u32],
            paragraph: c.paragraph | if c.short_key.is_some() { HAS_KEY } else { 0 },
        });
        let start = self.lines.extend_iter(candidates.len(), lines);
        self.docs.slice_mut(doc.0, 1)[0].lines = (start, candidates.len() as u32);
    }

    pub(crate) fn alias(&self, hash: u64) -> Option<NearMatch> {
        self.aliases.get(hash).map(|near| near.load())
    }

    pub(crate) fn insert_alias(&mut self, hash: u64, near: NearMatch) {
        self.aliases.insert_new(hash, || StoredNear::store(near));
    }

    pub(crate) fn sources(&self) -> &Sources {
        &self.sources
    }

    pub(crate) fn insert_source(&mut self, at: ParagraphRef, kept: ParagraphRef, sketch: &Sketch) {
        self.sources.insert(at, kept, sketch);
    }

    /// Counts one more document holding each short paragraph of `hashes`.
    pub(crate) fn count_short_lines(&mut self, mut hashes: Vec<u64>) {
        hashes.sort_unstable();
        hashes.dedup();
        for hash in hashes {
            self.short_lines.update(hash, |line| {
                line.documents = line.documents.saturating_add(1)
            });
        }
    }

    /// Whether the short paragraph with hash `hash` is page furniture: in
    /// at least [`FURNITURE_MIN_DOCS`](super::FURNITURE_MIN_DOCS) earlier
    /// documents and [`FURNITURE_MIN_SHARE`](super::FURNITURE_MIN_SHARE)
    /// of them.
    pub(crate) fn is_furniture(&self, hash: u64) -> bool {
        let count = self.short_lines.get(hash).map_or(0, |line| line.documents);
        count >= super::FURNITURE_MIN_DOCS
            && f64::from(count) >= super::FURNITURE_MIN_SHARE * self.docs.end() as f64
    }

    /// Whether `token`'s word was seen in lowercase in running text
    /// ([`LOWER`]) in a source: a common word, whatever its case here. The
    /// sources' token dictionary holds every token they hold, so this is
    /// one lookup there.
    pub(crate) fn is_common(&self, token: u32) -> bool {
        self.sources.tokens.contains((token & !CASE) | LOWER)
    }

    /// Whether a paragraph of `hash` is decided without a sketch: it has
    /// a kept first copy, or it is the copy of a near-duplicate removed
    /// earlier. Once true, true for good (the index only grows).
    pub(crate) fn knows(&self, hash: u64) -> bool {
        self.first_copy(hash).is_some() || self.alias(hash).is_some()
    }

    /// Every paragraph hash [`Index::knows`] that is held in memory, in no
    /// particular order: all of them, unless the index was read in place
    /// (then those added since).
    #[cfg(feature = "parallel")]
    pub(crate) fn known_hashes(&self) -> impl Iterator<Item = u64> + '_ {
        self.first.recent_keys().chain(self.aliases.recent_keys())
    }

    pub(crate) fn first_copy(&self, hash: u64) -> Option<ParagraphRef> {
        self.first.get(hash)
    }

    pub(crate) fn insert_paragraph(&mut self, hash: u64, at: ParagraphRef) {
        self.first.insert_new(hash, || at);
    }

    /// The earlier document with document hash `hash`.
    pub(crate) fn document(&self, hash: u64) -> Option<DocId> {
        self.documents.get(hash)
    }

    pub(crate) fn insert_document(&mut self, hash: u64, doc: DocId) {
        self.documents.insert_new(hash, || doc);
    }

    /// The earlier document whose kept paragraphs hash to `hash`.
    pub(crate) fn kept_document(&self, hash: u64) -> Option<DocId> {
        self.kept_documents.get(hash)
    }

    pub(crate) fn insert_kept_document(&mut self, hash: u64, doc: DocId) {
        self.kept_documents.insert_new(hash, || doc);
    }

    /// The paragraph `step` places after (or before, for a negative
    /// `step`) paragraph `at` among the duplicate stages' paragraphs of its
    /// (decided) document: its reference, hash and short key.
    pub(crate) fn neighbour(
        &self,
        at: ParagraphRef,
        step: isize,
    ) -> Option<(ParagraphRef, u64, Option<Cow<'_, str>>)> {
        let document = ((at.doc.0 as usize) < self.docs.end()).then(|| self.docs.get(at.doc.0))?;
        let lines = self
            .lines
            .slice(document.lines.0, document.lines.1 as usize);
        let (_, line) = step_from(&lines, at.paragraph, Line::paragraph, step)?;
        let key = (line.paragraph & HAS_KEY != 0)
            .then(|| self.short_lines.get(line.hash()))
            .flatten()
            .filter(|short| short.key != NO_KEY)
            .map(|short| prefixed_str(&self.short_keys, short.key));
        let at = ParagraphRef {
            doc: at.doc,
            paragraph: line.paragraph(),
        };
        Some((at, line.hash(), key))
    }
}

impl Fixed for EntryRecord {
    const SIZE: usize = 17;
    fn put(self, out: &mut Vec<u8>) {
        (self.paragraph, self.kept).put(out);
        (self.tokens, self.width).put(out);
    }
    fn take(bytes: &[u8]) -> Self {
        let (paragraph, kept) = <(u32, ParagraphRef)>::take(&bytes[..12]);
        let (tokens, width) = <(Handle, u8)>::take(&bytes[12..]);
        EntryRecord {
            paragraph,
            kept,
            tokens,
            width,
        }
    }
}

impl Fixed for StoredNear {
    const SIZE: usize = 32;
    fn put(self, out: &mut Vec<u8>) {
        (self.of, self.similarity).put(out);
        (self.containment, self.coverage).put(out);
    }
    fn take(bytes: &[u8]) -> Self {
        let (of, similarity) = <(ParagraphRef, f64)>::take(&bytes[..16]);
        let (containment, coverage) = <(f64, f64)>::take(&bytes[16..]);
        StoredNear {
            of,
            similarity,
            containment,
            coverage,
        }
    }
}

impl Fixed for DocEntry {
    const SIZE: usize = 12;
    fn put(self, out: &mut Vec<u8>) {
        (self.name, self.lines).put(out);
    }
    fn take(bytes: &[u8]) -> Self {
        let (name, lines) = <(u32, (u32, u32))>::take(bytes);
        DocEntry { name, lines }
    }
}

impl Fixed for Line {
    const SIZE: usize = 12;
    fn put(self, out: &mut Vec<u8>) {
        ((self.hash[0], self.hash[1]), self.paragraph).put(out);
    }
    fn take(bytes: &[u8]) -> Self {
        let ((high, low), paragraph) = <((u32, u32), u32)>::take(bytes);
        Line {
            hash: [high, low],
            paragraph,
        }
    }
}

impl Fixed for ShortLine {
    const SIZE: usize = 8;
    fn put(self, out: &mut Vec<u8>) {
        (self.documents, self.key).put(out);
    }
    fn take(bytes: &[u8]) -> Self {
        let (documents, key) = <(u32, u32)>::take(bytes);
        ShortLine { documents, key }
    }
}

impl Sources {
    /// See [`Index::extend_in_place`].
    fn extend_in_place<R: Input>(
        &mut self,
        input: &mut Decoder<R>,
        file: &BlockFile,
    ) -> io::Result<()> {
        self.entries.extend_in_place(input, file)?;
        self.docs.extend_in_place(input, file)?;
        self.tokens.extend_in_place(input, file)?;
        self.postings.extend_in_place(input, file)?;
        self.blooms = input.take_table()?;
        self.check()
    }

    fn check(&self) -> io::Result<()> {
        if self.entries.end() != self.docs.end() {
            return Err(invalid(
                "source paragraphs and their documents differ in number",
            ));
        }
        Ok(())
    }
}

impl Segmented for Sources {
    /// See [`Index::save_from`].
    fn save_from<W: Write>(&self, first: usize, out: &mut Encoder<W>) -> io::Result<()> {
        self.entries.save_from(first, out)?;
        self.docs.save_from(first, out)?;
        self.tokens.save_from(first, out)?;
        self.postings.save_from(first, out)?;
        out.put_table(&self.blooms)
    }

    /// See [`Index::extend_in_memory`].
    fn extend_in_memory<R: Input>(&mut self, input: &mut Decoder<R>) -> io::Result<()> {
        self.entries.extend_in_memory(input)?;
        self.docs.extend_in_memory(input)?;
        self.tokens.extend_in_memory(input)?;
        self.postings.extend_in_memory(input)?;
        self.blooms = input.take_table()?;
        self.check()
    }
}

impl Segmented for Index {
    /// Writes what segments `first..` of the index file it was read from
    /// hold and what was added since, as one segment (each table's and
    /// array's part, see [`Table::save_from`] and [`Chunked::save_from`]):
    /// read after the segments before `first`, it gives this index. From
    /// the first segment (and for an index in memory), the whole index,
    /// which [`Persist::restore`](super::persist::Persist::restore) reads.
    fn save_from<W: Write>(&self, first: usize, out: &mut Encoder<W>) -> io::Result<()> {
        self.first.save_from(first, out)?;
        self.aliases.save_from(first, out)?;
        self.documents.save_from(first, out)?;
        self.kept_documents.save_from(first, out)?;
        self.docs.save_from(first, out)?;
        self.names.save_from(first, out)?;
        self.lines.save_from(first, out)?;
        self.short_keys.save_from(first, out)?;
        self.sources.save_from(first, out)?;
        self.short_lines.save_from(first, out)
    }

    /// Reads a segment that [`Index::save_from`] wrote into memory, onto
    /// the index in memory read from the segments before it (an empty one
    /// for the first). Held in memory, it keeps no trace of the segments:
    /// written again, it is written whole.
    fn extend_in_memory<R: Input>(&mut self, input: &mut Decoder<R>) -> io::Result<()> {
        self.first.extend_in_memory(input)?;
        self.aliases.extend_in_memory(input)?;
        self.documents.extend_in_memory(input)?;
        self.kept_documents.extend_in_memory(input)?;
        self.docs.extend_in_memory(input)?;
        self.names.extend_in_memory(input)?;
        self.lines.extend_in_memory(input)?;
        self.short_keys.extend_in_memory(input)?;
        self.sources.extend_in_memory(input)?;
        self.short_lines.extend_in_memory(input)
    }
}

impl Index {
    /// Reads a segment that [`Index::save_from`] wrote onto this index,
    /// in place: its bulk stays in `file`, where `input` reads it from (at
    /// `file`'s offsets; the segment is read through to its end, and its
    /// checksum checked by the caller), and is read through `file`'s cache
    /// (see [`disk`](super::disk)). The segments are read oldest first,
    /// onto an empty index, and `file` holds them all.
    pub(crate) fn extend_in_place<R: Input>(
        &mut self,
        input: &mut Decoder<R>,
        file: &BlockFile,
    ) -> io::Result<()> {
        self.first.extend_in_place(input, file)?;
        self.aliases.extend_in_place(input, file)?;
        self.documents.extend_in_place(input, file)?;
        self.kept_documents.extend_in_place(input, file)?;
        self.docs.extend_in_place(input, file)?;
        self.names.extend_in_place(input, file)?;
        self.lines.extend_in_place(input, file)?;
        self.short_keys.extend_in_place(input, file)?;
        self.sources.extend_in_place(input, file)?;
        self.short_lines.extend_in_place(input, file)?;
        self.file = Some(file.clone());
        Ok(())
    }

    /// Segments of the index file it was read from (0 in memory).
    pub(crate) fn segments(&self) -> usize {
        self.first.file_part().len()
    }

    /// What the cache of the index file read in place did so far, `None`
    /// for an index in memory.
    pub fn file_cache(&self) -> Option<FileCache> {
        let file = self.file.as_ref()?;
        let (hits, misses) = file.cache_counts();
        Some(FileCache {
            capacity_bytes: file.cache_capacity(),
            hits,
            misses,
        })
    }

    /// The first error reading the index file in place, if any: what
    /// was decided after it rests on zeros read instead, so the caller
    /// must fail the run and keep nothing of it.
    pub fn read_error(&self) -> Option<io::Error> {
        self.file.as_ref().and_then(BlockFile::error)
    }
}
