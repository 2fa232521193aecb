//! A persisted index: each run deduplicated against everything earlier
//! runs kept, as if their records had come first in one run.
//!
//! An [`IndexDir`] is a directory holding one index file, `index.ndx`, and
//! a lock file, `lock`. A run opens it (taking the lock, checking the
//! settings), [`IndexDir::load`]s the index and the site counts, cleans its
//! records against them, and [`IndexDir::commit`]s what they hold after.
//!
//! # Guarantees
//!
//! * **Two runs decide as one.** For inputs A then B, cleaning A against
//!   an empty directory and then B against it gives B's records the output
//!   and report entries a single run over A and B gives them, byte for
//!   byte: the index file holds the whole state the decisions read (every
//!   table the cleaner keeps across documents, and the site counts). The
//!   exception is site boilerplate: a line that becomes boilerplate of its
//!   site only with B's pages is removed from A's records in the single
//!   run, but A's run kept it and put it in the index, where B's decisions
//!   may meet it (as a kept copy, or a neighbour in a run). A run over
//!   records with no site (no `url` field, no `--one-site`) has no such
//!   exception.
//! * **A crash leaves the index before or after.** [`IndexDir::commit`]
//!   writes a new file beside the old one, syncs it, renames it over the
//!   old one (an atomic replacement) and syncs the directory. A run killed
//!   at any moment leaves the old file or the new one, never a mix; a
//!   half-written temporary file is removed by the next run.
//! * **One run at a time.** The lock is an advisory file lock held while
//!   the [`IndexDir`] lives; the operating system releases it when the
//!   process ends, however it ends. A second run fails with an error that
//!   says so.
//! * **Settings are checked.** The file records the settings it was built
//!   with ([`settings`] of the cleaner, and what the caller adds, such as
//!   how sites are found); a run with any other value is refused with an
//!   error that names the setting, since its decisions against the index
//!   would not be those of one run.
//!
//! # File format (version [`FORMAT_VERSION`])
//!
//! Little-endian throughout:
//!
//! 1. the 16 bytes `newsdedup index\n`;
//! 2. the format version, a `u32`;
//! 3. the header, [`IndexHeader`] as JSON, after its length (a `u64`);
//! 4. the index's tables, then the site counts, each a sequence of
//!    fixed-width values (hash tables sorted by key, so that one state is
//!    one file);
//! 5. the xxh3-64 of every byte before it, a `u64`.
//!
//! # Held in memory or read in place
//!
//! [`IndexDir::load`] takes a [`Storage`]. [`Storage::Memory`] reads the
//! whole index into memory. [`Storage::InPlace`] leaves its bulk in the
//! file, to be read a block at a time through a bounded cache: the hash
//! tables are the file's sorted runs (with a fence of their keys in
//! memory), the arrays the file's chunks, the posting lists the file's
//! runs, and what the run adds is kept in memory beside them. Both
//! decide the same. Either way the file is read through once for its
//! checksum, and [`IndexDir::commit`] writes it whole (read in place, by
//! merging what the run added into what the file holds, in one streaming
//! pass): memory is bounded, but a run's I/O grows with the archive.
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
use std::io::{self, BufRead, Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::clean::disk::BlockFile;
use crate::clean::persist::{Decoder, Encoder, Persist, invalid};
use crate::clean::site::SiteCounter;
use crate::clean::{EXPORT_FORMAT, EXPORT_VERSION, ExportRecord, Importer};
use crate::report::RunRecord;
use crate::{Cleaner, Index};

/// The version of the file format; a file of another version is refused.
pub const FORMAT_VERSION: u32 = 1;

/// The first bytes of an index file.
const MAGIC: &[u8; 16] = b"newsdedup index\n";

/// The index file's name in its directory.
pub const INDEX_FILE: &str = "index.ndx";
/// The file a commit writes before renaming it to [`INDEX_FILE`].
const TEMPORARY_FILE: &str = "index.ndx.tmp";
/// The lock file's name.
pub const LOCK_FILE: &str = "lock";

/// Largest header read, in bytes: a header is a few kilobytes of settings.
const MAX_HEADER_BYTES: u64 = 16 << 20;

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
    /// Held for the lock.
    _lock: File,
}

impl IndexDir {
    /// Opens (creating it if need be) the index directory at `path` for a
    /// run with `settings` (the cleaner's [`settings`], with anything else
    /// the caller's decisions depend on added): takes its lock, removes a
    /// temporary file a killed run left, and reads the header of its index
    /// file, if it has one, refusing one of another format or built with
    /// other settings.
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
        let temporary = path.join(TEMPORARY_FILE);
        match fs::remove_file(&temporary) {
            Ok(()) => {}
            Err(error) if error.kind() == io::ErrorKind::NotFound => {}
            Err(error) => return Err(StoreError::io(&temporary)(error)),
        }
        let header = read_header(&path)?.map(|(header, _)| header);
        if let Some(header) = &header
            && let Some((setting, index, run)) = first_difference(&header.settings, &settings, "")
        {
            return Err(StoreError::new(
                path.join(INDEX_FILE),
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
            _lock: lock,
        })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The header of the index file as it was opened, `None` when the
    /// directory held none.
    pub fn header(&self) -> Option<&IndexHeader> {
        self.header.as_ref()
    }

    /// The index and site counts the directory holds (empty ones when it
    /// holds none), the index held as `storage` says. The file is read
    /// through whole either way, for its checksum.
    ///
    /// After a run on an index read [`Storage::InPlace`], check
    /// [`Index::read_error`] before keeping anything it decided.
    pub fn load(&self, storage: Storage) -> Result<(Index, SiteCounter), StoreError> {
        if self.header.is_none() {
            return Ok((Index::new(), SiteCounter::new()));
        }
        let (_, index, sites) = read_index(&self.path, storage)?;
        Ok((index, sites))
    }

    /// Replaces the directory's index with `index` and `sites`, atomically
    /// (see the [module docs](self)); the header counts one run more.
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
        let header = IndexHeader {
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            settings: self.settings.clone(),
            runs,
            documents: index.documents() as u64,
            distinct_paragraphs: index.distinct_paragraphs() as u64,
            near_paragraphs: index.near_paragraphs() as u64,
            memory_bytes: index.memory_bytes() as u64,
            site_documents: u64::from(sites.documents()),
        };
        let temporary = self.path.join(TEMPORARY_FILE);
        let write = || {
            let file = File::create(&temporary)?;
            let mut out = Encoder::new(file);
            for &byte in MAGIC {
                out.put(byte)?;
            }
            out.put(FORMAT_VERSION)?;
            let json = serde_json::to_vec(&header).map_err(io::Error::other)?;
            out.put_slice(&json)?;
            index.save(&mut out)?;
            sites.save(&mut out)?;
            out.finish()?.sync_all()
        };
        write().map_err(StoreError::io(&temporary))?;
        let file_path = self.path.join(INDEX_FILE);
        fs::rename(&temporary, &file_path).map_err(StoreError::io(&file_path))?;
        // The rename is durable once the directory is synced.
        File::open(&self.path)
            .and_then(|dir| dir.sync_all())
            .map_err(StoreError::io(&self.path))?;
        self.header = Some(header);
        Ok(())
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
            let table = Table::restore_in_place(&mut input, &blocks)?;
            input.finish()?;
            Ok(SortedRun(table))
        }

        /// The value of `key`.
        pub fn get(&self, key: u64) -> Option<u64> {
            self.0.get(key)
        }
    }
}

/// The header, index and site counts of the index file in `dir`, the
/// index held as `storage` says.
fn read_index(
    dir: &Path,
    storage: Storage,
) -> Result<(IndexHeader, Index, SiteCounter), StoreError> {
    let file_path = dir.join(INDEX_FILE);
    let read = || {
        let file = File::open(&file_path)?;
        let len = file.metadata()?.len();
        let blocks = match storage {
            Storage::Memory => None,
            Storage::InPlace { cache_bytes } => {
                Some(BlockFile::new(file.try_clone()?, &file_path, cache_bytes)?)
            }
        };
        let mut input = Decoder::new(file, len);
        let header = read_start(&mut input)?;
        let index = match &blocks {
            None => Index::restore(&mut input)?,
            Some(blocks) => Index::restore_in_place(&mut input, blocks)?,
        };
        let sites = SiteCounter::restore(&mut input)?;
        input.finish()?;
        Ok((header, index, sites))
    };
    read().map_err(StoreError::io(&file_path))
}

/// Writes the index in directory `dir` to `out` as an export (JSON Lines,
/// see the [module docs](self)); returns the records written. The lock is
/// not taken: a commit replaces the file whole.
pub fn export(dir: impl AsRef<Path>, mut out: impl Write) -> Result<u64, StoreError> {
    let dir = dir.as_ref();
    let (header, index, sites) = read_index(dir, Storage::Memory)?;
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

/// Reads the magic bytes, format version and header.
fn read_start<R: Read>(input: &mut Decoder<R>) -> io::Result<IndexHeader> {
    let mut magic = [0u8; 16];
    for byte in &mut magic {
        *byte = input.take()?;
    }
    if &magic != MAGIC {
        return Err(invalid("it does not start as an index file does"));
    }
    let version: u32 = input.take()?;
    if version != FORMAT_VERSION {
        return Err(invalid(format!(
            "it is of format {version}; export it with the newsdedup that wrote it and import it"
        )));
    }
    let len = input.take_len(1)?;
    if len as u64 > MAX_HEADER_BYTES {
        return Err(invalid(format!("a header of {len} bytes")));
    }
    let json: Vec<u8> = input.take_items(len, Vec::with_capacity(len))?;
    serde_json::from_slice(&json).map_err(|e| invalid(format!("its header: {e}")))
}

/// The header of the index file in directory `dir` and the file's size in
/// bytes, without taking the lock (a commit replaces the file whole, so a
/// reader sees the old one or the new one); `None` when there is no index
/// file. The tables are not read, nor the checksum checked.
pub fn read_header(dir: impl AsRef<Path>) -> Result<Option<(IndexHeader, u64)>, StoreError> {
    let path = dir.as_ref().join(INDEX_FILE);
    let file = match File::open(&path) {
        Ok(file) => file,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(StoreError::io(&path)(error)),
    };
    let read = || {
        let len = file.metadata()?.len();
        let mut input = Decoder::new(&file, len);
        Ok((read_start(&mut input)?, len))
    };
    read().map(Some).map_err(StoreError::io(&path))
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
        let first = fs::read(tmp.path().join(INDEX_FILE)).unwrap();
        drop(dir);
        let mut dir = IndexDir::open(tmp.path(), settings).unwrap();
        let (read, read_sites) = dir.load(Storage::Memory).unwrap();
        assert_eq!(read.documents(), 300);
        assert_eq!(read.distinct_paragraphs(), index.distinct_paragraphs());
        assert_eq!(read.near_paragraphs(), index.near_paragraphs());
        assert_eq!(read_sites.documents(), 1);
        dir.commit(&read, &read_sites).unwrap();
        let second = fs::read(tmp.path().join(INDEX_FILE)).unwrap();
        // The header counts a run more; all else is the same.
        let header = |bytes: &[u8]| {
            let len = u64::from_le_bytes(bytes[20..28].try_into().unwrap()) as usize;
            28 + len
        };
        assert_eq!(
            first[header(&first)..first.len() - 8],
            second[header(&second)..second.len() - 8]
        );
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
        let path = tmp.path().join(INDEX_FILE);
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
        assert!(
            error.contains(INDEX_FILE) || error.contains("tmp"),
            "{error}"
        );
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
