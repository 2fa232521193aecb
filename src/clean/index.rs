//! Cross-article state: every kept paragraph hash and every document seen.

use crate::removal::{DocId, ParagraphRef};
pub(crate) use crate::shingle::HashTable;

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
    /// Kept paragraphs in the near-duplicate stage, by near id.
    near_refs: Vec<ParagraphRef>,
    /// Their shingle sets, for exact verification.
    near_shingles: Vec<Box<[u64]>>,
    /// Per LSH band: band key to the latest near id in that bucket.
    buckets: Vec<HashTable<u32>>,
    /// For near id `i` and band `b`, at `i * bands + b`: the previous near id
    /// in the same bucket, or [`NO_ID`].
    chains: Vec<u32>,
}

/// End of a bucket chain.
const NO_ID: u32 = u32::MAX;

/// A near-duplicate's kept copy and measures.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct NearMatch {
    pub(crate) of: ParagraphRef,
    pub(crate) similarity: f64,
    pub(crate) containment: Option<f64>,
}

/// A paragraph that reached the duplicate stages.
#[derive(Clone, Debug)]
pub(crate) struct Candidate {
    pub(crate) paragraph: u32,
    pub(crate) hash: u64,
    /// Fewer words than the short-paragraph bound.
    pub(crate) short: bool,
    /// The matching key of a short paragraph, for runs of near-duplicates
    /// (kept only when the near stage is on).
    pub(crate) short_key: Option<Box<str>>,
}

#[derive(Clone, Debug)]
struct DocEntry {
    name: Box<str>,
    /// The document's candidates, in order.
    candidates: Vec<Candidate>,
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

    /// Number of kept paragraphs indexed for near-duplicate search.
    pub fn near_paragraphs(&self) -> usize {
        self.near_refs.len()
    }

    /// The id a document was cleaned under.
    ///
    /// # Panics
    ///
    /// When `doc` does not come from this index.
    pub fn name(&self, doc: DocId) -> &str {
        &self.docs[doc.0 as usize].name
    }

    /// Estimated heap bytes held (hash tables at capacity, names, per-document
    /// paragraph lists).
    pub fn memory_bytes(&self) -> usize {
        let table = |cap: usize, entry: usize| cap * (entry + 1);
        let docs: usize = self
            .docs
            .iter()
            .map(|d| {
                std::mem::size_of::<DocEntry>()
                    + d.name.len()
                    + d.candidates.capacity() * std::mem::size_of::<Candidate>()
                    + d.candidates
                        .iter()
                        .filter_map(|c| c.short_key.as_ref().map(|k| k.len()))
                        .sum::<usize>()
            })
            .sum();
        let near_shingles: usize = self
            .near_shingles
            .iter()
            .map(|s| std::mem::size_of::<Box<[u64]>>() + s.len() * 8)
            .sum();
        let buckets: usize = self
            .buckets
            .iter()
            .map(|b| table(b.capacity(), std::mem::size_of::<(u64, u32)>()))
            .sum::<usize>()
            + self.chains.capacity() * 4;
        table(
            self.first.capacity(),
            std::mem::size_of::<(u64, ParagraphRef)>(),
        ) + table(
            self.aliases.capacity(),
            std::mem::size_of::<(u64, NearMatch)>(),
        ) + table(
            self.documents.capacity(),
            std::mem::size_of::<(u64, DocId)>(),
        ) + docs
            + self.near_refs.capacity() * std::mem::size_of::<ParagraphRef>()
            + near_shingles
            + buckets
    }

    pub(crate) fn add_document(&mut self, name: &str) -> DocId {
        let id = u32::try_from(self.docs.len()).expect("fewer than 2^32 documents per index");
        self.docs.push(DocEntry {
            name: name.into(),
            candidates: Vec::new(),
        });
        DocId(id)
    }

    pub(crate) fn set_candidates(&mut self, doc: DocId, candidates: Vec<Candidate>) {
        self.docs[doc.0 as usize].candidates = candidates;
    }

    pub(crate) fn candidates(&self, doc: DocId) -> &[Candidate] {
        &self.docs[doc.0 as usize].candidates
    }

    pub(crate) fn take_candidates(&mut self, doc: DocId) -> Vec<Candidate> {
        std::mem::take(&mut self.docs[doc.0 as usize].candidates)
    }

    pub(crate) fn alias(&self, hash: u64) -> Option<NearMatch> {
        self.aliases.get(&hash).copied()
    }

    pub(crate) fn insert_alias(&mut self, hash: u64, near: NearMatch) {
        self.aliases.entry(hash).or_insert(near);
    }

    /// Near ids of the kept paragraphs that share a band with `band_keys`,
    /// sorted and deduplicated (input order).
    pub(crate) fn near_candidates(&self, band_keys: &[u64], out: &mut Vec<u32>) {
        out.clear();
        let bands = self.buckets.len();
        for (b, (band, key)) in self.buckets.iter().zip(band_keys).enumerate() {
            let mut id = band.get(key).copied().unwrap_or(NO_ID);
            while id != NO_ID {
                out.push(id);
                id = self.chains[id as usize * bands + b];
            }
        }
        out.sort_unstable();
        out.dedup();
    }

    pub(crate) fn near_entry(&self, id: u32) -> (ParagraphRef, &[u64]) {
        (
            self.near_refs[id as usize],
            &self.near_shingles[id as usize],
        )
    }

    pub(crate) fn insert_near(&mut self, at: ParagraphRef, shingles: &[u64], band_keys: &[u64]) {
        let id = u32::try_from(self.near_refs.len()).expect("fewer than 2^32 indexed paragraphs");
        self.near_refs.push(at);
        self.near_shingles.push(shingles.into());
        if self.buckets.is_empty() {
            self.buckets
                .resize_with(band_keys.len(), HashTable::default);
        }
        assert_eq!(
            self.buckets.len(),
            band_keys.len(),
            "one index serves one banding"
        );
        for (band, &key) in self.buckets.iter_mut().zip(band_keys) {
            let previous = band.insert(key, id).unwrap_or(NO_ID);
            self.chains.push(previous);
        }
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

    /// The candidate `step` places after (or before, for a negative `step`)
    /// paragraph `at` in its document, with its paragraph reference.
    pub(crate) fn neighbour(
        &self,
        at: ParagraphRef,
        step: isize,
    ) -> Option<(ParagraphRef, &Candidate)> {
        let candidates = &self.docs.get(at.doc.0 as usize)?.candidates;
        let pos = candidates
            .binary_search_by_key(&at.paragraph, |c| c.paragraph)
            .ok()?;
        let neighbour = candidates.get(pos.checked_add_signed(step)?)?;
        let at = ParagraphRef {
            doc: at.doc,
            paragraph: neighbour.paragraph,
        };
        Some((at, neighbour))
    }
}
