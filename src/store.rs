//! A persisted index: each run deduplicated against everything earlier
//! runs kept, as if their records had come first in one run.
//!
//! An [`IndexDir`] is a directory holding a manifest, `manifest`, the
//! segment files it names, `segment-NNNNNN.ndx`, and a lock file, `lock`.
//! A run opens it (taking the lock, checking the settings),
//! [`IndexDir::load`]s the index and the site counts, cleans its records
//! against them, and [`IndexDir::commit`]s what they hold after.
//!
//! # Guarantees
//!
//! * **Two runs decide as one.** For inputs A then B, cleaning A against
//!   an empty directory and then B against it gives B's records the output
//!   and report entries a single run over A and B gives them, byte for
//!   byte: the index holds the whole state the decisions read (every
//!   table the cleaner keeps across documents, and the site counts). The
//!   exception is site boilerplate: a line that becomes boilerplate of its
//!   site only with B's pages is removed from A's records in the single
//!   run, but A's run kept it and put it in the index, where B's decisions
//!   may meet it (as a kept copy, or a neighbour in a run). A run over
//!   records with no site (no `url` field, no `--one-site`) has no such
//!   exception.
//! * **A crash leaves the index before or after.** [`IndexDir::commit`]
//!   writes a new segment file beside the others and syncs it, then
//!   writes a new manifest naming it (and the segments it does not
//!   replace) beside the old one, syncs it, renames it over the old one
//!   (an atomic replacement) and syncs the directory; only then are the
//!   segments it replaced removed. A run killed at any moment leaves the
//!   old manifest or the new one, each naming whole segments; the files
//!   no manifest names (a half-written segment, a temporary manifest, a
//!   replaced segment not yet removed) are removed by the next run.
//! * **One run at a time.** The lock is an advisory file lock held while
//!   the [`IndexDir`] lives; the operating system releases it when the
//!   process ends, however it ends. A second run fails with an error that
//!   says so.
//! * **Settings are checked.** The manifest records the settings the
//!   index was built with ([`settings`] of the cleaner, and what the
//!   caller adds, such as how sites are found); a run with any other value
//!   is refused with an error that names the setting, since its decisions
//!   against the index would not be those of one run.
//!
//! # Segments
//!
//! Each segment holds what some consecutive runs added: the entries their
//! documents added to (or changed in) each hash table, as a sorted run;
//! the chunks of each array from the one that was the last before them;
//! their posting runs; the tokens they numbered; and the whole of what is
//! held in memory anyway (the name spellings, the site counts). The
//! segments, read oldest first, give the index; a lookup asks the newest
//! first. A commit of an index read in place writes the run's additions,
//! merged with the newest segments while the one before them holds fewer
//! than twice their documents: the segments' sizes at
//! least double from the newest to the oldest, so there are fewer than
//! log2(documents) of them, a commit writes what the run added and, now
//! and then, the segments it merges, and a document is rewritten that
//! many times at most (as the levels of a log-structured merge tree are).
//!
//! # File formats (version [`FORMAT_VERSION`])
//!
//! Little-endian throughout. The manifest:
//!
//! 1. the 16 bytes `newsdedup index\n`;
//! 2. the format version, a `u32`;
//! 3. the header, [`IndexHeader`] as JSON (with the [`Segment`]s), after
//!    its length (a `u64`);
//! 4. the xxh3-64 of every byte before it, a `u64`.
//!
//! A segment:
//!
//! 1. the 16 bytes `newsdedupsegment`;
//! 2. the format version, a `u32`;
//! 3. the documents before it and after it, two `u64`s (checked against
//!    the manifest and the segments before it);
//! 4. its tables, then the site counts, each a sequence of fixed-width
//!    values (hash tables sorted by key, so that one state is one file);
//! 5. the xxh3-64 of every byte before it, a `u64`.
//!
//! # Held in memory or read in place
//!
//! [`IndexDir::load`] takes a [`Storage`]. [`Storage::Memory`] reads the
//! whole index into memory. [`Storage::InPlace`] leaves its bulk in the
//! segment files, read a block at a time through one bounded cache: the
//! hash tables are the segments' sorted runs (with a fence of their keys
//! in memory), the arrays the segments' chunks, the posting lists their
//! runs, and what the run adds is kept in memory beside them. Both decide
//! the same. Either way every segment is read through once for its
//! checksum. Committed, an index read in place writes a segment as above;
//! one held in memory keeps no trace of the segments it was read from and
//! writes itself whole, as one segment replacing them all.
//!
//! # Export
//!
//! [`export`] writes the index as JSON Lines of their own version
//! (`newsdedup index export`, version 1): a header, then records in the
//! order the index was built (short lines, documents with their
//! paragraphs, near-duplicate sources with their tokens and fingerprints,
//! the hash tables, the site counts) and an `end` record counting them.
//! [`import`] rebuilds an index from them by the same steps: exported
//! again, it gives the same lines. The README lists the records.

use std::fmt;
use std::fs::{self, File, TryLockError};
use std::io::{self, BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::thread::JoinHandle;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::clean::disk::{BlockFile, BlockReader, BlockSums, SummedWriter};
use crate::clean::persist::{Decoder, Encoder, Input, Persist, Segmented, invalid};
use crate::clean::site::SiteCounter;
use crate::clean::{EXPORT_FORMAT, EXPORT_VERSION, ExportRecord, Importer};
use crate::report::RunRecord;
use crate::{Cleaner, Index};

/// The version of the file format; a file of another version is refused.
pub const FORMAT_VERSION: u32 = 2;

/// The first bytes of a manifest.
const MAGIC: &[u8; 16] = b"newsdedup index\n";
/// The first bytes of a segment file.
const SEGMENT_MAGIC: &[u8; 16] = b"newsdedupsegment";

/// The manifest's name in its directory: the file that says which
/// segments the index is.
pub const MANIFEST_FILE: &str = "manifest";
/// The file a commit writes before renaming it to [`MANIFEST_FILE`].
const TEMPORARY_FILE: &str = "manifest.tmp";
/// The one file of an index of format 1.
const FORMAT_1_FILE: &str = "index.ndx";
/// The lock file's name.
pub const LOCK_FILE: &str = "lock";

/// How a segment file's name starts and ends, its serial number between.
const SEGMENT_NAME: (&str, &str) = ("segment-", ".ndx");

/// Largest header read, in bytes: a header is a few kilobytes of settings.
const MAX_HEADER_BYTES: u64 = 16 << 20;

/// The newest segments are merged while the one before them holds fewer
/// than `MERGE_RATIO` times their documents (see [`IndexDir::load`]).
const MERGE_RATIO: u64 = 2;

/// What an index file says of itself before its tables.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct IndexHeader {
    /// The newsdedup version that wrote it.
    pub tool_version: String,
    /// The settings it was built with (see [`IndexDir::open`]).
    pub settings: Value,
    /// Runs committed into it.
    pub runs: u64,
    /// Documents decided, in every run (they are numbered on from one run
    /// to the next).
    pub documents: u64,
    /// Distinct paragraphs kept.
    pub distinct_paragraphs: u64,
    /// Paragraphs indexed for near-duplicate search.
    pub near_paragraphs: u64,
    /// The index's estimated size in memory once loaded.
    pub memory_bytes: u64,
    /// Documents counted for site boilerplate.
    pub site_documents: u64,
    /// The segment files, oldest first.
    pub segments: Vec<Segment>,
}

/// One segment file of an index: what some consecutive runs added.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Segment {
    /// Its file's name in the directory.
    pub file: String,
    /// Runs it holds what they added of.
    pub runs: u64,
    /// Documents indexed before its runs.
    pub first_document: u64,
    /// Documents its runs added.
    pub documents: u64,
    /// Its size in bytes.
    pub bytes: u64,
}

impl Segment {
    /// The serial number in its file's name.
    fn serial(&self) -> Option<u64> {
        segment_serial(&self.file)
    }
}

/// The serial number of a segment file named `name`, `None` for another
/// file.
fn segment_serial(name: &str) -> Option<u64> {
    let (start, end) = SEGMENT_NAME;
    name.strip_prefix(start)?.strip_suffix(end)?.parse().ok()
}

/// The error of an [`IndexDir`] operation: what went wrong, and with
/// which file.
#[derive(Debug)]
pub struct StoreError {
    path: PathBuf,
    kind: StoreErrorKind,
}

/// What went wrong with an index directory.
#[derive(Debug)]
#[non_exhaustive]
pub enum StoreErrorKind {
    /// Reading or writing failed.
    Io(io::Error),
    /// Another process holds the lock.
    Locked,
    /// The file is not an index file of this format (or is damaged).
    Format(String),
    /// The file is not an index export of this version (or is damaged).
    Export(String),
    /// An import into a directory that holds an index already.
    NotEmpty,
    /// The index was built with another value of a setting.
    Settings {
        /// The setting, as a path in the settings (`near.shingle_words`).
        setting: String,
        /// Its value in the index.
        index: String,
        /// Its value in this run.
        run: String,
    },
}

impl StoreError {
    fn new(path: impl Into<PathBuf>, kind: StoreErrorKind) -> StoreError {
        StoreError {
            path: path.into(),
            kind,
        }
    }

    fn io(path: &Path) -> impl FnOnce(io::Error) -> StoreError + '_ {
        move |error| {
            let kind = match error.kind() {
                io::ErrorKind::InvalidData | io::ErrorKind::UnexpectedEof => {
                    StoreErrorKind::Format(error.to_string())
                }
                _ => StoreErrorKind::Io(error),
            };
            StoreError::new(path, kind)
        }
    }

    /// The file or directory concerned.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What went wrong.
    pub fn kind(&self) -> &StoreErrorKind {
        &self.kind
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path.display();
        match &self.kind {
            StoreErrorKind::Io(error) => write!(f, "{path}: {error}"),
            StoreErrorKind::Locked => write!(
                f,
                "{path}: another newsdedup run is using this index (it holds the lock); \
                 wait for it to end"
            ),
            StoreErrorKind::Format(what) => {
                write!(
                    f,
                    "{path}: not a newsdedup index of format {FORMAT_VERSION}: {what}"
                )
            }
            StoreErrorKind::Export(what) => write!(
                f,
                "{path}: not a newsdedup index export of version {EXPORT_VERSION}: {what}"
            ),
            StoreErrorKind::NotEmpty => write!(
                f,
                "{path}: holds an index already; import into a new directory"
            ),
            StoreErrorKind::Settings {
                setting,
                index,
                run,
            } => write!(
                f,
                "{path}: the index was built with {setting} = {index}, and this run has \
                 {setting} = {run}; its decisions against the index would not be those of one \
                 run: clean with the index's settings, or use another index directory"
            ),
        }
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            StoreErrorKind::Io(error) => Some(error),
            _ => None,
        }
    }
}

/// The settings of `cleaner` that its decisions depend on, as an index
/// records them: the report's [`RunRecord`] without what does not change
/// a decision (the version, what the report carries, the site boilerplate
/// found by one run).
pub fn settings(cleaner: &Cleaner) -> Value {
    let mut settings =
        serde_json::to_value(RunRecord::new(cleaner)).expect("run records serialize");
    if let Some(fields) = settings.as_object_mut() {
        for field in ["version", "report_text", "site_boilerplate"] {
            fields.remove(field);
        }
    }
    settings
}

/// The first place where `run` differs from `index`: its path, and the two
/// values (`absent` where one has none).
fn first_difference(index: &Value, run: &Value, path: &str) -> Option<(String, String, String)> {
    let join = |key: &str| match path {
        "" => key.to_string(),
        _ => format!("{path}.{key}"),
    };
    match (index, run) {
        (Value::Object(a), Value::Object(b)) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            keys.into_iter().find_map(|key| {
                let absent = Value::String("absent".to_string());
                let (x, y) = (a.get(key).unwrap_or(&absent), b.get(key).unwrap_or(&absent));
                first_difference(x, y, &join(key))
            })
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => a
            .iter()
            .zip(b)
            .enumerate()
            .find_map(|(i, (x, y))| first_difference(x, y, &format!("{path}[{i}]"))),
        _ if index == run => None,
        _ => Some((path.to_string(), shown(index), shown(run))),
    }
}

/// A setting's value for an error message: whole, unless it is a long
/// object or list (a whole stage's settings against `null`: the stage is
/// on in one and off in the other).
fn shown(value: &Value) -> String {
    let text = value.to_string();
    match value {
        Value::Object(_) if text.len() > 60 => "{…}".to_string(),
        Value::Array(_) if text.len() > 60 => "[…]".to_string(),
        _ => text,
    }
}

/// An index directory, open and locked: see the [module docs](self).
#[derive(Debug)]
pub struct IndexDir {
    path: PathBuf,
    settings: Value,
    header: Option<IndexHeader>,
    /// The merge started by [`IndexDir::load`], if any.
    merge: Mutex<Option<Merge>>,
    /// Held for the lock.
    _lock: File,
}

/// A merge of the newest segments into one, written on a thread of its
/// own while the run goes on (see [`IndexDir::load`]).
#[derive(Debug)]
struct Merge {
    /// The first segment it replaces; it replaces those after it too.
    first: usize,
    /// The segment it writes, but for its size.
    segment: Segment,
    /// Writes the segment; gives its size.
    thread: JoinHandle<io::Result<u64>>,
}

impl Merge {
    /// The merged segment, once written: see [`IndexDir::load`].
    fn finish(self, dir: &Path) -> Result<(usize, Segment), StoreError> {
        let path = dir.join(&self.segment.file);
        let bytes = self
            .thread
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the merging thread panicked")))
            .map_err(StoreError::io(&path))?;
        Ok((
            self.first,
            Segment {
                bytes,
                ..self.segment
            },
        ))
    }
}

impl Drop for IndexDir {
    /// Waits for a merge that no commit took, and removes its file.
    fn drop(&mut self) {
        let merge = self.merge.get_mut().unwrap_or_else(PoisonError::into_inner);
        if let Some(merge) = merge.take() {
            let path = self.path.join(&merge.segment.file);
            let _ = merge.thread.join();
            let _ = fs::remove_file(path);
        }
    }
}

/// The first of the newest segments of `segments` to merge into one, if
/// any: while the segment before them holds fewer than [`MERGE_RATIO`]
/// times their documents (so that the segments' sizes at least double
/// from the newest to the oldest).
fn merge_from(segments: &[Segment]) -> Option<usize> {
    let newest = segments.len().checked_sub(1)?;
    let mut first = newest;
    let mut documents = segments[newest].documents.max(1);
    while first > 0 && segments[first - 1].documents < MERGE_RATIO * documents {
        first -= 1;
        documents += segments[first].documents;
    }
    (first < newest).then_some(first)
}

/// Writes a segment file at `path` holding `index`'s segments `first..`
/// and what was added since (see [`Index::save_from`]), the documents
/// from `first_document` on, and `sites`; syncs it; returns its size.
fn write_segment(
    path: &Path,
    index: &Index,
    sites: &SiteCounter,
    first: usize,
    first_document: u64,
) -> io::Result<u64> {
    let mut out = Encoder::new(SummedWriter::new(File::create(path)?));
    out.put_raw(SEGMENT_MAGIC)?;
    out.put(FORMAT_VERSION)?;
    out.put(first_document)?;
    out.put(index.documents() as u64)?;
    index.save_from(first, &mut out)?;
    sites.save(&mut out)?;
    let file = out.finish()?.finish()?;
    file.sync_all()?;
    file.metadata().map(|m| m.len())
}

/// The serial number after those of `segments`.
fn next_serial<'a>(segments: impl IntoIterator<Item = &'a Segment>) -> u64 {
    segments
        .into_iter()
        .filter_map(Segment::serial)
        .max()
        .unwrap_or(0)
        + 1
}

/// The file name of the segment of serial number `serial`.
fn segment_name(serial: u64) -> String {
    let (start, end) = SEGMENT_NAME;
    format!("{start}{serial:06}{end}")
}

impl IndexDir {
    /// Opens (creating it if need be) the index directory at `path` for a
    /// run with `settings` (the cleaner's [`settings`], with anything else
    /// the caller's decisions depend on added): takes its lock, removes
    /// what a killed run left (a temporary manifest, segment files the
    /// manifest does not name), and reads the manifest, if there is one,
    /// refusing one of another format or built with other settings.
    pub fn open(path: impl AsRef<Path>, settings: Value) -> Result<IndexDir, StoreError> {
        let path = path.as_ref().to_path_buf();
        fs::create_dir_all(&path).map_err(StoreError::io(&path))?;
        let lock_path = path.join(LOCK_FILE);
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(StoreError::io(&lock_path))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(StoreError::new(&path, StoreErrorKind::Locked));
            }
            Err(TryLockError::Error(error)) => return Err(StoreError::io(&lock_path)(error)),
        }
        remove_if_there(&path.join(TEMPORARY_FILE))?;
        let header = read_header(&path)?.map(|(header, _)| header);
        let named: Vec<&str> = header
            .iter()
            .flat_map(|h| &h.segments)
            .map(|segment| segment.file.as_str())
            .collect();
        for entry in fs::read_dir(&path).map_err(StoreError::io(&path))? {
            let entry = entry.map_err(StoreError::io(&path))?;
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if segment_serial(&name).is_some() && !named.contains(&&*name) {
                remove_if_there(&entry.path())?;
            }
        }
        if let Some(header) = &header
            && let Some((setting, index, run)) = first_difference(&header.settings, &settings, "")
        {
            return Err(StoreError::new(
                path.join(MANIFEST_FILE),
                StoreErrorKind::Settings {
                    setting,
                    index,
                    run,
                },
            ));
        }
        Ok(IndexDir {
            path,
            settings,
            header,
            merge: Mutex::new(None),
            _lock: lock,
        })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The manifest's header as it was opened, `None` when the directory
    /// held no index.
    pub fn header(&self) -> Option<&IndexHeader> {
        self.header.as_ref()
    }

    /// The index and site counts the directory holds (empty ones when it
    /// holds none), the index held as `storage` says. Every segment file
    /// is read through either way, for its checksum.
    ///
    /// After a run on an index read [`Storage::InPlace`], check
    /// [`Index::read_error`] before keeping anything it decided.
    ///
    /// Read in place, when the newest segments are due to be merged (the
    /// segment before them holds fewer than twice their documents), the
    /// load starts writing them merged into one new segment, on a thread
    /// of its own, while the run goes on: the segments do not change
    /// during the run. [`IndexDir::commit`] waits for it and puts it in
    /// their place; without a commit, dropping the directory waits for it
    /// and removes its file.
    pub fn load(&self, storage: Storage) -> Result<(Index, SiteCounter), StoreError> {
        let Some(header) = &self.header else {
            return Ok((Index::new(), SiteCounter::new()));
        };
        let (index, sites) = read_index(&self.path, header, storage)?;
        if let Storage::InPlace { .. } = storage {
            self.start_merge(header, &index, &sites);
        }
        Ok((index, sites))
    }

    /// Starts merging the segments [`merge_from`] names, read in place in
    /// `index`, unless a merge was started before.
    fn start_merge(&self, header: &IndexHeader, index: &Index, sites: &SiteCounter) {
        let mut merge = self.merge.lock().unwrap_or_else(PoisonError::into_inner);
        let segments = &header.segments;
        let Some(first) = merge_from(segments).filter(|_| merge.is_none()) else {
            return;
        };
        let serial = next_serial(segments);
        let merged = &segments[first..];
        let segment = Segment {
            file: segment_name(serial),
            runs: merged.iter().map(|s| s.runs).sum(),
            first_document: merged[0].first_document,
            documents: merged.iter().map(|s| s.documents).sum(),
            bytes: 0,
        };
        // The index as read (a run changes what it holds in memory) and
        // the site counts as the newest segment holds them.
        let (index, sites) = (index.clone(), sites.clone());
        let path = self.path.join(&segment.file);
        let first_document = segment.first_document;
        let thread =
            std::thread::spawn(move || write_segment(&path, &index, &sites, first, first_document));
        *merge = Some(Merge {
            first,
            segment,
            thread,
        });
    }

    /// Adds what the run added to `index` and `sites` (loaded from this
    /// directory) to the directory, atomically (see the [module
    /// docs](self)); the header counts one run more. An index read in
    /// place whose reads failed ([`Index::read_error`]) is refused.
    ///
    /// An index read in place writes one segment file, what the run
    /// added, after the merged segment of [`IndexDir::load`] if there is
    /// one. An index held in memory keeps no trace of the segments it was
    /// read from: it writes itself whole, as one segment replacing them
    /// all.
    pub fn commit(&mut self, index: &Index, sites: &SiteCounter) -> Result<(), StoreError> {
        let runs = self.header.as_ref().map_or(0, |h| h.runs) + 1;
        self.commit_as(index, sites, runs)
    }

    /// [`IndexDir::commit`], the header counting `runs` runs.
    fn commit_as(
        &mut self,
        index: &Index,
        sites: &SiteCounter,
        runs: u64,
    ) -> Result<(), StoreError> {
        let merge = self
            .merge
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let merged = merge.map(|merge| merge.finish(&self.path)).transpose()?;
        if let Some(error) = index.read_error() {
            // Decided on zeros read instead of the file: keep none of it.
            if let Some((_, merged)) = &merged {
                let _ = fs::remove_file(self.path.join(&merged.file));
            }
            return Err(StoreError::new(&self.path, StoreErrorKind::Io(error)));
        }
        let segments = self.header.as_ref().map_or(&[][..], |h| &h.segments[..]);
        let before = self.header.as_ref().map_or(0, |h| h.documents);
        let previous_runs = self.header.as_ref().map_or(0, |h| h.runs);
        let in_place = !segments.is_empty() && index.segments() == segments.len();
        // What the new manifest names: the segments kept, the merged one,
        // and the run's.
        let mut kept = Vec::new();
        let mut replaced = Vec::new();
        match (&merged, in_place) {
            (Some((first, merged)), true) => {
                kept.extend_from_slice(&segments[..*first]);
                kept.push(merged.clone());
                replaced.extend_from_slice(&segments[*first..]);
            }
            (_, true) => kept.extend_from_slice(segments),
            (_, false) => {
                replaced.extend_from_slice(segments);
                replaced.extend(merged.iter().map(|(_, merged)| merged.clone()));
            }
        }
        let serial = next_serial(
            segments
                .iter()
                .chain(merged.iter().map(|(_, merged)| merged)),
        );
        let (first, first_document) = if in_place {
            (segments.len(), before)
        } else {
            (0, 0)
        };
        let segment = Segment {
            file: segment_name(serial),
            runs: runs - previous_runs,
            first_document,
            documents: index.documents() as u64 - first_document,
            bytes: 0,
        };
        let path = self.path.join(&segment.file);
        let bytes = write_segment(&path, index, sites, first, first_document)
            .map_err(StoreError::io(&path))?;
        kept.push(Segment { bytes, ..segment });
        let header = IndexHeader {
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            settings: self.settings.clone(),
            runs,
            documents: index.documents() as u64,
            distinct_paragraphs: index.distinct_paragraphs() as u64,
            near_paragraphs: index.near_paragraphs() as u64,
            memory_bytes: index.memory_bytes() as u64,
            site_documents: u64::from(sites.documents()),
            segments: kept,
        };
        let temporary = self.path.join(TEMPORARY_FILE);
        let write_manifest = || {
            let mut out = Encoder::new(File::create(&temporary)?);
            out.put_raw(MAGIC)?;
            out.put(FORMAT_VERSION)?;
            let json = serde_json::to_vec(&header).map_err(io::Error::other)?;
            out.put_slice(&json)?;
            out.finish()?.sync_all()
        };
        write_manifest().map_err(StoreError::io(&temporary))?;
        let manifest = self.path.join(MANIFEST_FILE);
        fs::rename(&temporary, &manifest).map_err(StoreError::io(&manifest))?;
        // The rename is durable once the directory is synced.
        File::open(&self.path)
            .and_then(|dir| dir.sync_all())
            .map_err(StoreError::io(&self.path))?;
        // The segments replaced are no longer named: a failure to remove
        // one leaves it for the next open to remove.
        for segment in replaced {
            let _ = fs::remove_file(self.path.join(&segment.file));
        }
        self.header = Some(header);
        Ok(())
    }
}

/// Removes the file at `path`, if there is one.
fn remove_if_there(path: &Path) -> Result<(), StoreError> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(StoreError::io(path)(error)),
    }
}

/// How an [`Index`] loaded from an [`IndexDir`] is held. Either way it
/// decides the same; [`Index::new`] is an index in memory from the start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Storage {
    /// Read whole into memory: the fastest lookups, and memory that grows
    /// with the index (some 300 bytes a paragraph on news).
    Memory,
    /// Read in place: the bulk of the index stays in its file and is read
    /// a block at a time through a cache of `cache_bytes` (at least 64
    /// KiB), so that memory holds the cache, the lookups' starting points
    /// (a few bytes per thousand paragraphs, and the token dictionary) and
    /// what the run adds, however large the index. Lookups are slower, the
    /// more so the smaller the cache; a commit merges what the run added
    /// into a new file in one streaming pass.
    InPlace {
        /// The cache's capacity.
        cache_bytes: u64,
    },
}

/// The index's hash tables as they are read in place, for
/// `benches/store_choice`, which measures them beside an LSM store. Not
/// part of the API.
#[doc(hidden)]
pub mod sorted_run {
    use std::fs::File;
    use std::io;
    use std::path::Path;

    use crate::clean::disk::BlockFile;
    use crate::clean::persist::{Decoder, Encoder, Persist};
    use crate::clean::table::Table;

    /// A table of `u64` values read in place.
    pub struct SortedRun(Table<u64>);

    impl SortedRun {
        /// Writes `entries` as an index file writes a table (sorted by
        /// key) to `path`.
        pub fn write(path: &Path, entries: impl IntoIterator<Item = (u64, u64)>) -> io::Result<()> {
            let mut table = Table::default();
            for (key, value) in entries {
                table.insert_new(key, || value);
            }
            let mut out = Encoder::new(io::BufWriter::new(File::create(path)?));
            table.save(&mut out)?;
            out.finish()?;
            Ok(())
        }

        /// Opens what [`SortedRun::write`] wrote, in place, with a cache
        /// of `cache_bytes`.
        pub fn open(path: &Path, cache_bytes: u64) -> io::Result<SortedRun> {
            let file = File::open(path)?;
            let len = file.metadata()?.len();
            let blocks = BlockFile::new(file.try_clone()?, path, cache_bytes)?;
            let mut input = Decoder::new(file, len);
            let mut table = Table::default();
            table.extend_in_place(&mut input, &blocks)?;
            input.finish()?;
            Ok(SortedRun(table))
        }

        /// The value of `key`.
        pub fn get(&self, key: u64) -> Option<u64> {
            self.0.get(key)
        }
    }
}

/// The index and site counts of the segments `header` names in `dir`, the
/// index held as `storage` says.
fn read_index(
    dir: &Path,
    header: &IndexHeader,
    storage: Storage,
) -> Result<(Index, SiteCounter), StoreError> {
    let mut files = Vec::with_capacity(header.segments.len());
    for segment in &header.segments {
        let path = dir.join(&segment.file);
        let open = || {
            let file = File::open(&path)?;
            let sums = BlockSums::read(&file, file.metadata()?.len())?;
            Ok((file, sums))
        };
        let (file, sums) = open().map_err(StoreError::io(&path))?;
        files.push((file, path, sums));
    }
    let paths: Vec<PathBuf> = files.iter().map(|(_, path, _)| path.clone()).collect();
    let ends: Vec<u64> = files.iter().map(|(_, _, sums)| sums.end()).collect();
    let cache_bytes = match storage {
        Storage::Memory => 0,
        Storage::InPlace { cache_bytes } => cache_bytes,
    };
    let blocks = BlockFile::of_parts(
        files
            .into_iter()
            .map(|(file, path, sums)| (file, path, Some(sums)))
            .collect(),
        cache_bytes,
    )
    .map_err(StoreError::io(dir))?;
    let mut index = Index::new();
    let mut sites = SiteCounter::new();
    for (part, segment) in header.segments.iter().enumerate() {
        // Each block checked by its checksum as it is read; read in place,
        // what stays in the file is jumped over.
        let mut read = || {
            let mut input = Decoder::new(BlockReader::new(&blocks, part), ends[part])
                .starting_at(blocks.part_start(part));
            read_segment_start(&mut input, segment, index.documents() as u64)?;
            match storage {
                Storage::Memory => index.extend_in_memory(&mut input)?,
                Storage::InPlace { .. } => index.extend_in_place(&mut input, &blocks)?,
            }
            sites = SiteCounter::restore(&mut input)?;
            input.finish()?;
            check_documents(&index, segment)
        };
        read().map_err(StoreError::io(&paths[part]))?;
    }
    Ok((index, sites))
}

/// Whether `index`, read up to `segment`, holds the documents the
/// manifest says it does.
fn check_documents(index: &Index, segment: &Segment) -> io::Result<()> {
    if index.documents() as u64 != segment.first_document + segment.documents {
        return Err(invalid("a segment whose documents are not its manifest's"));
    }
    Ok(())
}

/// Writes the index in directory `dir` to `out` as an export (JSON Lines,
/// see the [module docs](self)); returns the records written. The lock is
/// not taken: a commit replaces the file whole.
pub fn export(dir: impl AsRef<Path>, mut out: impl Write) -> Result<u64, StoreError> {
    let dir = dir.as_ref();
    let Some((header, _)) = read_header(dir)? else {
        return Err(StoreError::new(
            dir.join(MANIFEST_FILE),
            StoreErrorKind::Format("there is no index here".to_string()),
        ));
    };
    let (index, sites) = read_index(dir, &header, Storage::Memory)?;
    let first = ExportRecord::Header {
        format: EXPORT_FORMAT.to_string(),
        version: EXPORT_VERSION,
        tool_version: header.tool_version,
        settings: header.settings,
        runs: header.runs,
    };
    index
        .export(first, &sites, |record| {
            serde_json::to_writer(&mut out, record)?;
            out.write_all(b"\n")
        })
        .and_then(|records| out.flush().map(|()| records))
        .map_err(|e| StoreError::new(dir, StoreErrorKind::Io(e)))
}

/// Rebuilds an index in directory `dir`, which must hold none, from the
/// export `input` gives (`source` names it in errors, with the line);
/// returns the header written.
pub fn import(
    input: impl BufRead,
    source: &Path,
    dir: impl AsRef<Path>,
) -> Result<IndexHeader, StoreError> {
    let bad = |line: usize, what: String| {
        StoreError::new(
            source,
            StoreErrorKind::Export(format!("line {line}: {what}")),
        )
    };
    let mut lines = input.lines();
    let mut read = |line: usize| -> Result<Option<ExportRecord>, StoreError> {
        match lines.next() {
            None => Ok(None),
            Some(Err(e)) => Err(StoreError::new(source, StoreErrorKind::Io(e))),
            Some(Ok(text)) => serde_json::from_str(&text)
                .map(Some)
                .map_err(|e| bad(line, e.to_string())),
        }
    };
    let header = read(1)?.ok_or_else(|| bad(1, "the file is empty".to_string()))?;
    let ExportRecord::Header {
        format,
        version,
        settings,
        runs,
        ..
    } = &header
    else {
        return Err(bad(1, "the first record is no header".to_string()));
    };
    if format != EXPORT_FORMAT || *version != EXPORT_VERSION {
        return Err(bad(1, format!("{format:?} version {version}")));
    }
    let runs = *runs;
    let mut store = IndexDir::open(dir, settings.clone())?;
    if store.header.is_some() {
        return Err(StoreError::new(
            store.path.clone(),
            StoreErrorKind::NotEmpty,
        ));
    }
    let mut importer = Importer::default();
    importer.take(header).map_err(|e| bad(1, e))?;
    let mut line = 1;
    loop {
        line += 1;
        let Some(record) = read(line)? else { break };
        importer.take(record).map_err(|e| bad(line, e))?;
    }
    let (index, sites) = importer.finish().map_err(|e| bad(line - 1, e))?;
    store.commit_as(&index, &sites, runs)?;
    Ok(store.header.clone().expect("just committed"))
}

/// Reads `magic` and the format version.
fn read_magic<R: Input>(input: &mut Decoder<R>, magic: &[u8; 16]) -> io::Result<()> {
    let mut read = [0u8; 16];
    for byte in &mut read {
        *byte = input.take()?;
    }
    if &read != magic {
        return Err(invalid("it does not start as an index file does"));
    }
    let version: u32 = input.take()?;
    if version != FORMAT_VERSION {
        return Err(invalid(format!(
            "it is of format {version}; export it with the newsdedup that wrote it and import it"
        )));
    }
    Ok(())
}

/// Reads a segment file's start: its magic bytes and format version, and
/// the documents before and after it, which must be those of `segment` in
/// the manifest and follow the `documents` read before it.
fn read_segment_start<R: Input>(
    input: &mut Decoder<R>,
    segment: &Segment,
    documents: u64,
) -> io::Result<()> {
    read_magic(input, SEGMENT_MAGIC)?;
    let (first, after) = (input.take::<u64>()?, input.take::<u64>()?);
    if first != segment.first_document
        || first != documents
        || after != segment.first_document + segment.documents
    {
        return Err(invalid(format!(
            "it holds documents {first}..{after}, and the manifest has it hold {}..{} after \
             {documents} documents",
            segment.first_document,
            segment.first_document + segment.documents
        )));
    }
    Ok(())
}

/// The header of the index in directory `dir` (its manifest's) and the
/// bytes of its files (manifest and segments), without taking the lock (a
/// commit replaces the manifest whole, and removes a segment only once the
/// manifest no longer names it); `None` when there is no index. The
/// segments are not read.
pub fn read_header(dir: impl AsRef<Path>) -> Result<Option<(IndexHeader, u64)>, StoreError> {
    let dir = dir.as_ref();
    let path = dir.join(MANIFEST_FILE);
    let file = match File::open(&path) {
        Ok(file) => file,
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            let old = dir.join(FORMAT_1_FILE);
            if old.exists() {
                return Err(StoreError::new(
                    old,
                    StoreErrorKind::Format(
                        "it is of format 1; export it with the newsdedup that wrote it and \
                         import it"
                            .to_string(),
                    ),
                ));
            }
            return Ok(None);
        }
        Err(error) => return Err(StoreError::io(&path)(error)),
    };
    let read = || {
        let len = file.metadata()?.len();
        let mut input = Decoder::new(&file, len);
        read_magic(&mut input, MAGIC)?;
        let json_len = input.take_len(1)?;
        if json_len as u64 > MAX_HEADER_BYTES {
            return Err(invalid(format!("a header of {json_len} bytes")));
        }
        let json: Vec<u8> = input.take_items(json_len, Vec::with_capacity(json_len))?;
        input.finish()?;
        let header: IndexHeader =
            serde_json::from_slice(&json).map_err(|e| invalid(format!("its header: {e}")))?;
        Ok((header, len))
    };
    let (header, mut bytes) = read().map_err(StoreError::io(&path))?;
    for segment in &header.segments {
        let path = dir.join(&segment.file);
        bytes += fs::metadata(&path).map_err(StoreError::io(&path))?.len();
    }
    Ok(Some((header, bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// An index of a few documents with exact and near repeats.
    fn some_index(docs: usize) -> Index {
        let cleaner = Cleaner::new();
        let mut index = Index::new();
        for i in 0..docs {
            let text = format!(
                "Paragraph {} of the story told by the harbour authority on Tuesday morning.\n\n\
                 The port will reopen next week, officials said in statement number {}.\n\nReuter",
                i % 7,
                i % 11
            );
            cleaner.clean(&mut index, &format!("doc-{i}"), &text);
        }
        index
    }

    #[test]
    fn an_index_reads_back_and_writes_the_same_bytes() {
        let tmp = tempfile::tempdir().unwrap();
        let settings = settings(&Cleaner::new());
        let index = some_index(300);
        let mut sites = SiteCounter::new();
        sites.observe(
            "a.example",
            &crate::Normalizer::new()
                .normalize_document("A line\n\nB")
                .paragraphs,
        );
        let mut dir = IndexDir::open(tmp.path(), settings.clone()).unwrap();
        dir.commit(&index, &sites).unwrap();
        let first = fs::read(tmp.path().join("segment-000001.ndx")).unwrap();
        drop(dir);
        let mut dir = IndexDir::open(tmp.path(), settings).unwrap();
        let (read, read_sites) = dir.load(Storage::Memory).unwrap();
        assert_eq!(read.documents(), 300);
        assert_eq!(read.distinct_paragraphs(), index.distinct_paragraphs());
        assert_eq!(read.near_paragraphs(), index.near_paragraphs());
        assert_eq!(read_sites.documents(), 1);
        dir.commit(&read, &read_sites).unwrap();
        // Held in memory, it is written whole, replacing the segment.
        assert!(!tmp.path().join("segment-000001.ndx").exists());
        let second = fs::read(tmp.path().join("segment-000002.ndx")).unwrap();
        assert_eq!(first, second);
        assert_eq!(dir.header().unwrap().runs, 2);
    }

    /// The bytes of `index` written whole.
    fn whole(index: &Index) -> Vec<u8> {
        let mut out = Encoder::new(Vec::new());
        index.save_from(0, &mut out).unwrap();
        out.finish().unwrap()
    }

    #[test]
    fn runs_in_place_add_segments_merged_by_size_into_the_same_index() {
        let tmp = tempfile::tempdir().unwrap();
        let cleaner = Cleaner::new();
        let settings = settings(&cleaner);
        let doc = |i: usize| {
            format!(
                "Paragraph {} of the story told by the harbour authority on Tuesday morning.\n\n\
                 The port will reopen next week, officials said in statement number {}.\n\n\
                 Item {} of the wire, with words of its own: {} and {}.",
                i % 7,
                i % 11,
                i % 50,
                i * 31 % 97,
                i * 17 % 89
            )
        };
        let mut one_run = Index::new();
        // Runs of these documents, each read in place (but the first) and
        // committed; the documents of each segment after it.
        // The newest segments are merged while the run goes on, once the
        // one before them holds fewer than twice their documents.
        let runs: [(usize, &[u64]); 5] = [
            (100, &[100]),
            (30, &[100, 30]),
            (20, &[100, 30, 20]),
            (100, &[100, 50, 100]),
            (0, &[250, 0]),
        ];
        let mut done = 0;
        for (run, (docs, segments)) in runs.into_iter().enumerate() {
            let mut dir = IndexDir::open(tmp.path(), settings.clone()).unwrap();
            let storage = match run {
                0 => Storage::Memory,
                _ => Storage::InPlace { cache_bytes: 0 },
            };
            let (mut index, sites) = dir.load(storage).unwrap();
            assert_eq!(
                index.segments(),
                run.min(1) * dir.header().map_or(0, |h| h.segments.len())
            );
            for i in done..done + docs {
                let a = cleaner.clean(&mut index, &format!("doc-{i}"), &doc(i));
                let b = cleaner.clean(&mut one_run, &format!("doc-{i}"), &doc(i));
                assert_eq!(a.text, b.text, "document {i}");
            }
            done += docs;
            dir.commit(&index, &sites).unwrap();
            let header = dir.header().unwrap().clone();
            let held: Vec<u64> = header.segments.iter().map(|s| s.documents).collect();
            assert_eq!(held, segments, "run {run}");
            assert_eq!(header.runs, run as u64 + 1);
            assert_eq!(
                header.segments.iter().map(|s| s.runs).sum::<u64>(),
                run as u64 + 1
            );
            drop(dir);
            // Only the files the manifest names are left.
            let mut files: Vec<String> = fs::read_dir(tmp.path())
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            files.sort();
            let mut named: Vec<String> = header.segments.iter().map(|s| s.file.clone()).collect();
            named.extend([LOCK_FILE.to_string(), MANIFEST_FILE.to_string()]);
            named.sort();
            assert_eq!(files, named, "run {run}");
            // Read back whole, the index of one run over the documents.
            let dir = IndexDir::open(tmp.path(), settings.clone()).unwrap();
            let (read, _) = dir.load(Storage::Memory).unwrap();
            assert_eq!(whole(&read), whole(&one_run), "run {run}");
            let (in_place, _) = dir.load(Storage::InPlace { cache_bytes: 0 }).unwrap();
            assert_eq!(whole(&in_place), whole(&one_run), "run {run}");
            assert_eq!(
                in_place.distinct_paragraphs(),
                one_run.distinct_paragraphs()
            );
        }
    }

    #[test]
    fn merges_keep_few_segments_and_rewrite_each_document_a_few_times() {
        // A year of daily runs of 1,000 documents, each loaded in place
        // (merging what is due) and committed.
        let mut segments: Vec<Segment> = Vec::new();
        let (mut rewritten, mut most) = (0, 0);
        for day in 0..365u64 {
            if let Some(first) = merge_from(&segments) {
                let merged: Vec<Segment> = segments.drain(first..).collect();
                let documents = merged.iter().map(|s| s.documents).sum();
                rewritten += documents;
                segments.push(Segment {
                    file: String::new(),
                    runs: 0,
                    first_document: merged[0].first_document,
                    documents,
                    bytes: 0,
                });
            }
            segments.push(Segment {
                file: String::new(),
                runs: 1,
                first_document: day * 1_000,
                documents: 1_000,
                bytes: 0,
            });
            most = most.max(segments.len());
            // Each segment holds at least twice what the newer ones hold,
            // but for the newest two.
            for i in 0..segments.len().saturating_sub(2) {
                let newer: u64 = segments[i + 1..].iter().map(|s| s.documents).sum();
                assert!(segments[i].documents * 2 >= newer, "day {day}");
            }
        }
        // log2(365) is 8.5.
        assert!(most <= 10, "{most} segments");
        let total = 365 * 1_000;
        assert!(rewritten <= total * 9, "{rewritten} documents rewritten");
    }

    #[test]
    fn a_changed_byte_is_found_by_its_block_checksum_when_read() {
        let tmp = tempfile::tempdir().unwrap();
        let settings = settings(&Cleaner::new());
        let mut dir = IndexDir::open(tmp.path(), settings.clone()).unwrap();
        dir.commit(&some_index(2_000), &SiteCounter::new()).unwrap();
        drop(dir);
        let path = tmp.path().join("segment-000001.ndx");
        let mut bytes = fs::read(&path).unwrap();
        let at = bytes.len() / 2;
        bytes[at] ^= 0x04;
        fs::write(&path, &bytes).unwrap();
        let dir = IndexDir::open(tmp.path(), settings).unwrap();
        // Read whole, the checksum of the whole does not match.
        let error = dir.load(Storage::Memory).unwrap_err().to_string();
        assert!(error.contains("checksum"), "{error}");
        // Read in place, the block is found bad when it is read: at the
        // open if it is read then, else by the read that needs it.
        let storage = Storage::InPlace { cache_bytes: 0 };
        let error = match dir.load(storage) {
            Err(error) => error.to_string(),
            Ok((index, _)) => {
                let mut out = Encoder::new(io::sink());
                index.save_from(0, &mut out).unwrap_err().to_string()
            }
        };
        let block = at / crate::clean::disk::BLOCK;
        assert!(
            error.contains(&format!("block {block} does not match its checksum")),
            "{error}"
        );
        assert!(error.contains("segment-000001.ndx"), "{error}");
    }

    #[test]
    fn an_index_read_in_place_whose_file_is_cut_keeps_the_error() {
        let tmp = tempfile::tempdir().unwrap();
        let cleaner = Cleaner::new();
        let settings = settings(&cleaner);
        let mut dir = IndexDir::open(tmp.path(), settings.clone()).unwrap();
        dir.commit(&some_index(300), &SiteCounter::new()).unwrap();
        drop(dir);
        let mut dir = IndexDir::open(tmp.path(), settings).unwrap();
        let storage = Storage::InPlace { cache_bytes: 0 };
        let (mut index, sites) = dir.load(storage).unwrap();
        // Cut under the open index (another process, a full disk's repair).
        let path = tmp.path().join(&dir.header().unwrap().segments[0].file);
        File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(64)
            .unwrap();
        // Decided on zeros where the file is gone, without a panic.
        cleaner.clean(
            &mut index,
            "late",
            "Paragraph 3 of the story told by the harbour authority on Tuesday morning.\n\n\
             The port will reopen next week, officials said in statement number 4.",
        );
        let error = index.read_error().expect("the reads past the end");
        assert_eq!(error.kind(), io::ErrorKind::UnexpectedEof, "{error}");
        assert!(error.to_string().starts_with(&path.display().to_string()));
        // Nothing of it is kept: its commit fails too.
        let error = dir.commit(&index, &sites).unwrap_err().to_string();
        assert!(error.contains("segment-000001.ndx"), "{error}");
    }

    #[test]
    fn the_first_difference_is_named_by_its_path() {
        let index = json!({"a": 1, "near": {"shingle_words": 5, "x": [1, 2]}});
        assert_eq!(first_difference(&index, &index.clone(), ""), None);
        let run = json!({"a": 1, "near": {"shingle_words": 4, "x": [1, 2]}});
        assert_eq!(
            first_difference(&index, &run, ""),
            Some(("near.shingle_words".into(), "5".into(), "4".into()))
        );
        let run = json!({"a": 1, "near": null});
        assert_eq!(
            first_difference(&index, &run, "").map(|d| d.0),
            Some("near".to_string())
        );
        let run = json!({"a": 1, "b": true, "near": {"shingle_words": 5, "x": [1, 3]}});
        assert_eq!(
            first_difference(&index, &run, ""),
            Some(("b".into(), "\"absent\"".into(), "true".into()))
        );
    }
}
