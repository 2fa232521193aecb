//! An index as JSON Lines, to move, inspect and rebuild it: see
//! [`crate::store`] for the format.
//!
//! The export lists what the index holds in the order it was built, so
//! that the import rebuilds it by the same steps: documents in order with
//! their paragraph lists, then the near-duplicate sources in order with
//! their tokens and fingerprints (which give the token dictionary and the
//! posting lists again), then the hash tables and the site counts. An
//! index exported and imported is the same index, byte for byte in its
//! file.

use std::borrow::Cow;
use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{CASE, Candidate, HAS_KEY, Index, NO_KEY, ShortLine, StoredNear};
use crate::clean::persist::sorted;
use crate::clean::site::{SiteCounter, SiteLines};
use crate::clean::token_store::{TokenStore, prefixed_str};
use crate::removal::{DocId, ParagraphRef};
use crate::shingle::tokens::{WINNOW_WINDOW, shingles_into, winnow_into};

/// The export format's name, in its header.
pub(crate) const EXPORT_FORMAT: &str = "newsdedup index export";
/// The export format's version.
pub(crate) const EXPORT_VERSION: u32 = 1;

/// A 64-bit hash, written as 16 hexadecimal digits (a JSON number would
/// lose bits in most JSON readers).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Hex(pub(crate) u64);

impl Serialize for Hex {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format!("{:016x}", self.0))
    }
}

impl<'de> Deserialize<'de> for Hex {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Hex, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        if text.len() != 16 {
            return Err(serde::de::Error::custom(format!(
                "a hash of 16 hexadecimal digits, not {text:?}"
            )));
        }
        u64::from_str_radix(&text, 16)
            .map(Hex)
            .map_err(|_| serde::de::Error::custom(format!("{text:?} is no hexadecimal hash")))
    }
}

/// One line of an export. The sections come in the order of the variants.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum Record {
    /// First: what the export is of.
    Header {
        format: String,
        version: u32,
        tool_version: String,
        settings: Value,
        runs: u64,
    },
    /// A short paragraph's hash: the documents holding it (for page
    /// furniture) and its matching key (for runs of near-duplicates), if
    /// one was kept.
    ShortLine {
        hash: Hex,
        documents: u32,
        key: Option<String>,
    },
    /// A document, in order: its id and the paragraphs of its duplicate
    /// stages as (hash, paragraph, kept with a short key); `lines` is empty
    /// for a document that kept nothing.
    Document {
        doc: u32,
        name: String,
        lines: Vec<(Hex, u32, bool)>,
    },
    /// A near-duplicate source, in order: where it is, its kept copy, its
    /// shingle width, tokens and winnowed fingerprints.
    Source {
        entry: u32,
        at: ParagraphRef,
        kept: ParagraphRef,
        width: u8,
        tokens: Vec<u32>,
        fingerprints: Vec<u32>,
    },
    /// A kept paragraph's hash and its first copy.
    Paragraph { hash: Hex, first: ParagraphRef },
    /// A near-duplicate's hash, its kept copy and measures.
    Alias {
        hash: Hex,
        of: ParagraphRef,
        similarity: f64,
        containment: Option<f64>,
        coverage: Option<f64>,
    },
    /// A document hash and its first document.
    DocumentHash { hash: Hex, doc: DocId },
    /// A hash of a document's kept paragraphs and its first document.
    KeptDocumentHash { hash: Hex, doc: DocId },
    /// A name token's spelling Bloom filter.
    NameSpelling { token: u32, bloom: Hex },
    /// A site's documents (site boilerplate).
    Site { site: Hex, documents: u32 },
    /// A line of a site: the documents holding it and the last counted.
    SiteLine {
        site: Hex,
        key: Hex,
        documents: u32,
        last: u32,
    },
    /// Last: the documents counted for site boilerplate, and the lines
    /// before this one.
    End { site_documents: u32, records: u64 },
}

impl Record {
    /// The section's place in the order, and its `type`.
    fn section(&self) -> (u8, &'static str) {
        match self {
            Record::Header { .. } => (0, "header"),
            Record::ShortLine { .. } => (1, "short_line"),
            Record::Document { .. } => (2, "document"),
            Record::Source { .. } => (3, "source"),
            Record::Paragraph { .. } => (4, "paragraph"),
            Record::Alias { .. } => (5, "alias"),
            Record::DocumentHash { .. } => (6, "document_hash"),
            Record::KeptDocumentHash { .. } => (7, "kept_document_hash"),
            Record::NameSpelling { .. } => (8, "name_spelling"),
            Record::Site { .. } => (9, "site"),
            Record::SiteLine { .. } => (10, "site_line"),
            Record::End { .. } => (11, "end"),
        }
    }
}

impl Index {
    /// Calls `emit` with every record of the export of this index and
    /// `sites` after `header`, in order, the `end` record last; stops at
    /// its first error.
    pub(crate) fn export<E>(
        &self,
        header: Record,
        sites: &SiteCounter,
        mut emit: impl FnMut(&Record) -> Result<(), E>,
    ) -> Result<u64, E> {
        let records = std::cell::Cell::new(0u64);
        let mut emit = |record: Record| {
            records.set(records.get() + 1);
            emit(&record)
        };
        emit(header)?;
        for (hash, line) in self.short_lines.sorted() {
            let key = (line.key != NO_KEY).then(|| prefixed_str(&self.short_keys, line.key));
            emit(Record::ShortLine {
                hash: Hex(hash),
                documents: line.documents,
                key: key.map(Cow::into_owned),
            })?;
        }
        for doc in 0..self.docs.end() as u32 {
            let entry = self.docs.get(doc);
            let lines = self.lines.slice(entry.lines.0, entry.lines.1 as usize);
            emit(Record::Document {
                doc,
                name: self.name(DocId(doc)).to_string(),
                lines: lines
                    .iter()
                    .map(|l| (Hex(l.hash()), l.paragraph(), l.paragraph & HAS_KEY != 0))
                    .collect(),
            })?;
        }
        let sources = &self.sources;
        let (mut shingles, mut fingerprints) = (Vec::new(), Vec::new());
        for entry in 0..sources.len() as u32 {
            let record = sources.entries.get(entry);
            let mut tokens = Vec::new();
            sources.tokens.load(record.tokens, &mut tokens);
            // The fingerprints it was indexed under, found again as the
            // sketch found them.
            shingles.clear();
            shingles_into(&tokens, usize::from(record.width), &mut shingles);
            winnow_into(&shingles, WINNOW_WINDOW, &mut fingerprints);
            emit(Record::Source {
                entry,
                at: ParagraphRef {
                    doc: sources.docs.get(entry),
                    paragraph: record.paragraph,
                },
                kept: record.kept,
                width: record.width,
                tokens,
                fingerprints: fingerprints.clone(),
            })?;
        }
        for (hash, first) in self.first.sorted() {
            emit(Record::Paragraph {
                hash: Hex(hash),
                first,
            })?;
        }
        for (hash, near) in self.aliases.sorted() {
            let near = near.load();
            emit(Record::Alias {
                hash: Hex(hash),
                of: near.of,
                similarity: near.similarity,
                containment: near.containment,
                coverage: near.coverage,
            })?;
        }
        for (hash, doc) in self.documents.sorted() {
            emit(Record::DocumentHash {
                hash: Hex(hash),
                doc,
            })?;
        }
        for (hash, doc) in self.kept_documents.sorted() {
            emit(Record::KeptDocumentHash {
                hash: Hex(hash),
                doc,
            })?;
        }
        for (token, bloom) in sorted(&sources.blooms) {
            emit(Record::NameSpelling {
                token,
                bloom: Hex(bloom),
            })?;
        }
        let (site_lines, site_documents, documents) = sites.parts();
        for (site, documents) in sorted(site_documents) {
            emit(Record::Site {
                site: Hex(site),
                documents,
            })?;
        }
        for ((site, key), (documents, last)) in sorted(site_lines) {
            emit(Record::SiteLine {
                site: Hex(site),
                key: Hex(key),
                documents,
                last,
            })?;
        }
        emit(Record::End {
            site_documents: documents,
            records: records.get(),
        })?;
        Ok(records.get())
    }
}

/// Rebuilds an index and its site counts from the records of an export,
/// given one at a time in order.
#[derive(Default)]
pub(crate) struct Importer {
    index: Index,
    section: u8,
    records: u64,
    /// The short lines' document counts and keys, by hash.
    short_lines: HashMap<u64, (u32, Option<String>)>,
    site_lines: SiteLines,
    sites: HashMap<u64, u32>,
    /// The `end` record's count of site documents, once read.
    end: Option<u32>,
}

impl Importer {
    /// Takes the next record (the header first); an error says what is
    /// wrong with it.
    pub(crate) fn take(&mut self, record: Record) -> Result<(), String> {
        if self.end.is_some() {
            return Err("a record after the end record".to_string());
        }
        let (section, name) = record.section();
        if section < self.section || (self.records == 0) != (section == 0) {
            return Err(format!(
                "a {name} record out of order (the header first, then the sections in \
                 the documented order)"
            ));
        }
        self.section = section;
        let records = self.records;
        self.records += 1;
        let index = &mut self.index;
        let documents = index.docs.end() as u32;
        let known = |doc: DocId| {
            if doc.0 < documents {
                Ok(())
            } else {
                Err(format!(
                    "document {} is not among the {documents} listed",
                    doc.0
                ))
            }
        };
        match record {
            Record::Header { .. } => {}
            Record::ShortLine {
                hash,
                documents,
                key,
            } => {
                self.short_lines.insert(hash.0, (documents, key));
            }
            Record::Document { doc, name, lines } => {
                if doc != documents {
                    return Err(format!(
                        "document {doc} where document {documents} comes next"
                    ));
                }
                let id = index.add_document(&name);
                if !lines.is_empty() {
                    let mut candidates = Vec::with_capacity(lines.len());
                    for &(hash, paragraph, has_key) in &lines {
                        if paragraph & HAS_KEY != 0 {
                            return Err(format!("paragraph {paragraph} is out of range"));
                        }
                        let short_key = match (has_key, self.short_lines.get(&hash.0)) {
                            (false, _) => None,
                            (true, Some((_, key))) => Some(key.as_deref().unwrap_or("")),
                            (true, None) => {
                                return Err(format!(
                                    "paragraph {paragraph} is kept with a short key that no \
                                     short_line record lists ({:016x})",
                                    hash.0
                                ));
                            }
                        };
                        candidates.push(Candidate {
                            paragraph,
                            hash: hash.0,
                            short: has_key,
                            short_key,
                        });
                    }
                    if !candidates.is_sorted_by_key(|c| c.paragraph) {
                        return Err("paragraphs out of order".to_string());
                    }
                    index.insert_lines(id, &candidates);
                }
            }
            Record::Source {
                entry,
                at,
                kept,
                width,
                tokens,
                fingerprints,
            } => {
                known(at.doc)?;
                known(kept.doc)?;
                let next = index.sources.len() as u32;
                if entry != next {
                    return Err(format!("source {entry} where source {next} comes next"));
                }
                if width == 0 {
                    return Err("a shingle width of 0".to_string());
                }
                index
                    .sources
                    .insert_parts(at, kept, &tokens, width, &fingerprints);
            }
            Record::Paragraph { hash, first } => {
                known(first.doc)?;
                index.first.insert_new(hash.0, || first);
            }
            Record::Alias {
                hash,
                of,
                similarity,
                containment,
                coverage,
            } => {
                known(of.doc)?;
                let near = super::NearMatch {
                    of,
                    similarity,
                    containment,
                    coverage,
                };
                index.aliases.insert_new(hash.0, || StoredNear::store(near));
            }
            Record::DocumentHash { hash, doc } => {
                known(doc)?;
                index.documents.insert_new(hash.0, || doc);
            }
            Record::KeptDocumentHash { hash, doc } => {
                known(doc)?;
                index.kept_documents.insert_new(hash.0, || doc);
            }
            Record::NameSpelling { token, bloom } => {
                index.sources.blooms.insert(token & !CASE, bloom.0);
            }
            Record::Site { site, documents } => {
                self.sites.insert(site.0, documents);
            }
            Record::SiteLine {
                site,
                key,
                documents,
                last,
            } => {
                self.site_lines.insert((site.0, key.0), (documents, last));
            }
            Record::End {
                site_documents,
                records: listed,
            } => {
                if listed != records {
                    return Err(format!(
                        "the end record counts {listed} records before it, and there are {records}"
                    ));
                }
                self.end = Some(site_documents);
            }
        }
        Ok(())
    }

    /// The index and site counts, once the end record was taken.
    pub(crate) fn finish(mut self) -> Result<(Index, SiteCounter), String> {
        let Some(site_documents) = self.end else {
            return Err("the export ends before its end record: it was cut short".to_string());
        };
        for (hash, (documents, _)) in self.short_lines {
            self.index
                .short_lines
                .update(hash, |line: &mut ShortLine| line.documents = documents);
        }
        let sites = SiteCounter::from_parts(self.site_lines, self.sites, site_documents);
        Ok((self.index, sites))
    }
}
