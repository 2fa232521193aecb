//! Cross-article state: every kept paragraph hash and every document seen.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::removal::{DocId, ParagraphRef};

/// A hasher for keys that are already xxh3 hashes: it passes the `u64`
/// through, since its bits are as well mixed as any hash table needs.
#[derive(Clone, Copy, Debug, Default)]
struct PassThrough(u64);

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
}

type HashTable<V> = HashMap<u64, V, BuildHasherDefault<PassThrough>>;

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
    /// First document with each document hash.
    documents: HashTable<DocId>,
    docs: Vec<DocEntry>,
}

#[derive(Clone, Debug)]
struct DocEntry {
    name: Box<str>,
    /// (paragraph index, hash) of each paragraph that reached the duplicate
    /// stage, in order.
    candidates: Vec<(u32, u64)>,
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
                    + d.candidates.capacity() * std::mem::size_of::<(u32, u64)>()
            })
            .sum();
        table(
            self.first.capacity(),
            std::mem::size_of::<(u64, ParagraphRef)>(),
        ) + table(
            self.documents.capacity(),
            std::mem::size_of::<(u64, DocId)>(),
        ) + docs
    }

    pub(crate) fn add_document(&mut self, name: &str) -> DocId {
        let id = u32::try_from(self.docs.len()).expect("fewer than 2^32 documents per index");
        self.docs.push(DocEntry {
            name: name.into(),
            candidates: Vec::new(),
        });
        DocId(id)
    }

    pub(crate) fn set_candidates(&mut self, doc: DocId, candidates: Vec<(u32, u64)>) {
        self.docs[doc.0 as usize].candidates = candidates;
    }

    pub(crate) fn candidates(&self, doc: DocId) -> &[(u32, u64)] {
        &self.docs[doc.0 as usize].candidates
    }

    pub(crate) fn first_copy(&self, hash: u64) -> Option<ParagraphRef> {
        self.first.get(&hash).copied()
    }

    pub(crate) fn insert_paragraph(&mut self, hash: u64, at: ParagraphRef) {
        self.first.entry(hash).or_insert(at);
    }

    /// Records `doc`'s hash; returns the earlier document with the same hash.
    pub(crate) fn insert_document(&mut self, hash: u64, doc: DocId) -> Option<DocId> {
        match self.documents.get(&hash) {
            Some(&earlier) => Some(earlier),
            None => {
                self.documents.insert(hash, doc);
                None
            }
        }
    }

    /// The hash of the candidate `step` places after (or before, for a
    /// negative `step`) paragraph `at` in its document.
    pub(crate) fn neighbour_hash(&self, at: ParagraphRef, step: isize) -> Option<u64> {
        let candidates = &self.docs.get(at.doc.0 as usize)?.candidates;
        let pos = candidates
            .binary_search_by_key(&at.paragraph, |c| c.0)
            .ok()?;
        let neighbour = pos.checked_add_signed(step)?;
        candidates.get(neighbour).map(|c| c.1)
    }
}
