//! The streaming corpus pipeline (feature `parallel`): records in, cleaned
//! records and report records out, in input order, with the analysis on a
//! thread pool.
//!
//! [`Pipeline::run`] reads records from an iterator, analyzes them in
//! batches on the pool, decides them one at a time in input order against
//! an [`Index`], and hands each result to a callback in input order, with
//! its report record. With two threads or more these are four stages, each
//! on a thread of its own and joined by channels: reading (and parsing)
//! batches, analyzing one on the pool, deciding one on the calling thread,
//! and handing one to the callback (which writes it). A stage holds one
//! batch and waits with the next until the stage after it takes it, so the
//! bytes in flight are bounded: at most six batches of
//! [`Pipeline::batch_bytes`] of text each (a batch ends at the record that
//! reaches that size).
//!
//! Against an index read in place, what its file holds for a batch's
//! lookups is read ahead in file order before the batch is decided
//! (`FileView` in the index module): by the analyzing stage, while the
//! batch before is decided, when the file's cache holds half the file or
//! more; else by the deciding stage, just before the batch.
//!
//! Output and report are the same for every thread count: the analysis of
//! a record is a pure function of its text, and the decisions are taken in
//! input order on one thread. The analysis skips sketching a paragraph the
//! index already holds (an exact repeat, decided without a sketch): with
//! one thread it consults the index itself; with more, a set of the hashes
//! the index held after the last batch decided (about 16 bytes a distinct
//! paragraph), since the index is changing while the pool works. Either
//! says no more than the index will hold, so the decisions are the same.
//!
//! ```
//! use newsdedup::pipeline::{Doc, Emitted, Pipeline};
//! use newsdedup::{Cleaner, Index};
//!
//! let para = "The harbour authority said on Tuesday that the port would reopen next week.";
//! let docs = vec![
//!     Doc::new("a", format!("{para}\n\nShips waited offshore for three days.")),
//!     Doc::new("b", format!("Dockers went back to work.\n\n{para}")),
//! ];
//! let cleaner = Cleaner::new();
//! let pipeline = Pipeline::new(&cleaner, 2).unwrap();
//! let mut texts = Vec::new();
//! let summary = pipeline
//!     .run(&mut Index::new(), docs.into_iter().map(Ok), |emitted| {
//!         if let Emitted::Document { cleaned, .. } = emitted {
//!             texts.push(cleaned.text);
//!         }
//!         Ok::<(), String>(())
//!     })
//!     .unwrap();
//! assert_eq!(texts[1], "Dockers went back to work.");
//! assert_eq!(summary.records_in, 2);
//! ```

use std::collections::HashSet;
use std::fmt;
use std::hash::BuildHasherDefault;
use std::panic;
use std::sync::{PoisonError, RwLock, mpsc};

use rayon::prelude::*;

use crate::clean::site::{SiteBoilerplate, SiteCounter};
use crate::clean::{Analysis, Cleaned, Cleaner, FileView, Index, ReadAhead};
use crate::report::{DocumentRecord, ReportText, SkippedRecord, Summary};
use crate::shingle::PassThrough;

/// Records analyzed together, at most.
pub const BATCH_RECORDS: usize = 512;
/// Text bytes analyzed together, at most (the batch ends at the record that
/// reaches it).
pub const BATCH_BYTES: usize = 32 << 20;

/// One record to clean, with what the caller carries along (`extra`: for
/// the command line, the record's other JSON fields).
#[derive(Clone, Debug)]
pub struct Doc<T = ()> {
    /// Its name in the report and in `duplicate_of`.
    pub id: String,
    /// Where it came from, for the report (`file:line`), or empty.
    pub source: String,
    /// The text to clean.
    pub text: String,
    /// Its site, for site boilerplate ([`Pipeline::learn_sites`]).
    pub site: Option<String>,
    /// The caller's own data, handed back with the result.
    pub extra: T,
}

impl Doc {
    /// A record of `id` and `text`, with no source, site or extra data.
    pub fn new(id: impl Into<String>, text: impl Into<String>) -> Doc {
        Doc {
            id: id.into(),
            source: String::new(),
            text: text.into(),
            site: None,
            extra: (),
        }
    }
}

/// A record that could not be read: it is handed on in its place, so that
/// every input record is accounted for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unreadable {
    /// Where it was: `file:line`, or `file` for a whole-file problem.
    pub source: String,
    /// What was wrong.
    pub error: String,
}

impl fmt::Display for Unreadable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.source, self.error)
    }
}

impl std::error::Error for Unreadable {}

/// What [`Pipeline::run`] hands on for one input record, in input order.
#[derive(Debug)]
#[allow(
    clippy::large_enum_variant,
    reason = "moved through a batch's vector to the callback, never kept: boxing would add an allocation per record"
)]
pub enum Emitted<T> {
    /// A record, decided.
    Document {
        /// The record as read.
        doc: Doc<T>,
        /// What stays and what went ([`Cleaned::dropped`]: write nothing).
        cleaned: Cleaned,
        /// Its report record (the copies it names are resolved).
        report: DocumentRecord,
    },
    /// A record that could not be read. When the callback accepts it
    /// (returns `Ok`), it is counted as skipped; `report` is its report
    /// record.
    Unreadable {
        /// What was wrong, and where.
        record: Unreadable,
        /// Its report record.
        report: SkippedRecord,
    },
}

/// The error of [`Pipeline::new`]: the thread pool could not start.
#[derive(Debug)]
pub struct PoolError {
    threads: usize,
    source: rayon::ThreadPoolBuildError,
}

impl fmt::Display for PoolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot start {} threads: {}", self.threads, self.source)
    }
}

impl std::error::Error for PoolError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// A cleaner, a thread pool and the run's settings: see the [module
/// documentation](self).
pub struct Pipeline<'c> {
    cleaner: &'c Cleaner,
    pool: rayon::ThreadPool,
    threads: usize,
    sites: Option<SiteBoilerplate>,
    report_text: ReportText,
    batch_records: usize,
    batch_bytes: usize,
}

impl<'c> Pipeline<'c> {
    /// A pipeline cleaning with `cleaner` on `threads` threads (0: one per
    /// core).
    pub fn new(cleaner: &'c Cleaner, threads: usize) -> Result<Pipeline<'c>, PoolError> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .map_err(|source| PoolError { threads, source })?;
        Ok(Pipeline {
            cleaner,
            threads: pool.current_num_threads(),
            pool,
            sites: None,
            report_text: ReportText::default(),
            batch_records: BATCH_RECORDS,
            batch_bytes: BATCH_BYTES,
        })
    }

    /// Removes the site boilerplate `found` (by [`Pipeline::learn_sites`])
    /// from records that name their site.
    pub fn site_boilerplate(mut self, found: Option<SiteBoilerplate>) -> Self {
        self.sites = found;
        self
    }

    /// How much of each removed piece's text the report records carry.
    pub fn report_text(mut self, report_text: ReportText) -> Self {
        self.report_text = report_text;
        self
    }

    /// Batches of at most `records` records and about `bytes` bytes of
    /// text (defaults [`BATCH_RECORDS`], [`BATCH_BYTES`]); each at least 1.
    /// The results do not depend on them.
    pub fn batches(mut self, records: usize, bytes: usize) -> Self {
        self.batch_records = records.max(1);
        self.batch_bytes = bytes.max(1);
        self
    }

    /// The threads of the pool.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// The text bytes of a batch, at most (plus its last record).
    pub fn batch_bytes(&self) -> usize {
        self.batch_bytes
    }

    /// The site boilerplate this pipeline removes, if any.
    pub fn sites(&self) -> Option<&SiteBoilerplate> {
        self.sites.as_ref()
    }

    /// Cleans each of `docs` on its own, against an empty index (no
    /// cross-article stages), on the pool, and returns what `each` makes of
    /// each document and its result, in input order: for pages judged one
    /// by one, as [`crate::eval::evaluate`] does. Site boilerplate found
    /// by [`Pipeline::learn_sites`] is removed first, as in
    /// [`Pipeline::run`].
    ///
    /// ```
    /// use newsdedup::pipeline::{Doc, Pipeline};
    /// use newsdedup::Cleaner;
    ///
    /// let para = "The harbour authority said on Tuesday that the port would reopen.";
    /// let docs = vec![Doc::new("a", format!("{para}\n\n{para}")), Doc::new("b", para)];
    /// let cleaner = Cleaner::new();
    /// let pipeline = Pipeline::new(&cleaner, 2).unwrap();
    /// // Each page alone: b's paragraph is no copy of a's.
    /// let kept = pipeline.clean_each(&docs, |_, cleaned| cleaned.text);
    /// assert_eq!(kept, [para, para]);
    /// ```
    pub fn clean_each<T, R>(
        &self,
        docs: &[Doc<T>],
        each: impl Fn(&Doc<T>, Cleaned) -> R + Sync + Send,
    ) -> Vec<R>
    where
        T: Sync,
        R: Send,
    {
        self.map(docs, |doc| {
            let analysis = self.analyze_doc(doc, |_| false);
            let cleaned = self.cleaner.decide(&mut Index::new(), &doc.id, analysis);
            each(doc, cleaned)
        })
    }

    /// The cleaner this pipeline cleans with.
    pub fn cleaner(&self) -> &'c Cleaner {
        self.cleaner
    }

    /// `f` of each of `items`, computed on the pool, in input order.
    pub fn map<T: Sync, R: Send>(&self, items: &[T], f: impl Fn(&T) -> R + Sync + Send) -> Vec<R> {
        self.pool.install(|| items.par_iter().map(f).collect())
    }

    /// The first pass for site boilerplate: counts the paragraphs of every
    /// record with a site, normalized on the pool; `progress` is called
    /// after each batch.
    pub fn learn_sites<T: Sync>(
        &self,
        docs: impl IntoIterator<Item = Doc<T>>,
        progress: impl FnMut(),
    ) -> SiteBoilerplate {
        let mut counter = SiteCounter::new();
        self.count_sites(&mut counter, docs, progress);
        counter.finish()
    }

    /// [`Pipeline::learn_sites`] adding to the counts of `counter` (those
    /// of earlier runs, kept in an index directory: [`crate::store`]).
    pub fn count_sites<T: Sync>(
        &self,
        counter: &mut SiteCounter,
        docs: impl IntoIterator<Item = Doc<T>>,
        mut progress: impl FnMut(),
    ) {
        let mut docs = docs.into_iter().filter(|doc| doc.site.is_some());
        loop {
            let batch = self.next_batch(&mut docs, |doc| doc.text.len());
            if batch.is_empty() {
                break;
            }
            let normalizer = self.cleaner.normalizer();
            let normalized: Vec<_> = self.pool.install(|| {
                batch
                    .par_iter()
                    .map(|doc| normalizer.normalize_document(&doc.text))
                    .collect()
            });
            for (doc, normalized) in batch.iter().zip(normalized) {
                if let Some(site) = &doc.site {
                    counter.observe(site, &normalized.paragraphs);
                }
            }
            progress();
        }
    }

    /// Cleans `docs` in order against `index`, calling `emit` once for each
    /// input item, in input order, and returns the run's summary (with the
    /// index's size). An error from `emit` stops the run and is returned.
    ///
    /// With two threads or more, `docs` is read on a thread of its own and
    /// `emit` is called on another, so that reading (parsing) and writing
    /// overlap the decisions.
    pub fn run<T, E, I>(
        &self,
        index: &mut Index,
        docs: I,
        mut emit: impl FnMut(Emitted<T>) -> Result<(), E> + Send,
    ) -> Result<Summary, E>
    where
        T: Send + Sync,
        E: Send,
        I: IntoIterator<Item = Result<Doc<T>, Unreadable>>,
        I::IntoIter: Send,
    {
        let mut docs = docs.into_iter();
        let file = index.file_view();
        let mut decider = Decider {
            pipeline: self,
            index,
            summary: Summary::default(),
            file: None,
        };
        if self.threads == 1 {
            // Analysis and decision take turns on this thread, and the
            // analysis skips what the index already holds. Not on the
            // pool's one thread: what the analysis allocates is then freed
            // by the thread that allocated it, and read from its caches.
            decider.file = file;
            loop {
                let batch = self.next_batch(&mut docs, item_size);
                if batch.is_empty() {
                    break;
                }
                let index = &*decider.index;
                let analyses: Vec<_> = batch
                    .iter()
                    .map(|item| self.analyze(item, |hash| index.knows(hash)))
                    .collect();
                decider.batch(batch, analyses, None, &mut emit)?;
            }
        } else {
            // The file is read ahead for a batch while the batch before is
            // decided when the cache can keep what both read (see
            // `FileView::read_while_deciding`); else just before the
            // batch is decided.
            let ahead = match file {
                Some(file) if file.read_while_deciding() => Some(file),
                file => {
                    decider.file = file;
                    None
                }
            };
            self.run_stages(&mut decider, ahead, docs, emit)?;
        }
        let Decider {
            index, mut summary, ..
        } = decider;
        summary.set_index(index);
        Ok(summary)
    }

    /// [`Pipeline::run`] on two threads or more, in four stages joined by
    /// channels, each on a thread of its own: reading batches of `docs`,
    /// analyzing them on the pool, deciding them on this thread,
    /// and handing what they give to `emit`. A stage holds one batch and
    /// waits with the next until the stage after it takes it, so at most
    /// six batches are in flight.
    ///
    /// The analysis cannot consult the index, which the decisions are
    /// changing; it consults `known`, the hashes the index knew when the
    /// run started and after the last batch decided when the document is
    /// analyzed, and skips
    /// sketching those paragraphs (a paragraph repeated from a batch not yet
    /// decided is sketched for nothing, and decided the same).
    fn run_stages<T, E>(
        &self,
        decider: &mut Decider<'_, '_, '_>,
        file: Option<FileView>,
        mut docs: impl Iterator<Item = Item<T>> + Send,
        mut emit: impl FnMut(Emitted<T>) -> Result<(), E> + Send,
    ) -> Result<(), E>
    where
        T: Send + Sync,
        E: Send,
    {
        // What the index knows when the run starts (an index directory's
        // earlier runs), so that their repeats are not sketched either.
        let known = RwLock::new(decider.index.known_hashes().collect::<KnownHashes>());
        std::thread::scope(|scope| {
            let (read, batches) = mpsc::sync_channel::<Vec<Item<T>>>(0);
            let reader = scope.spawn(move || {
                loop {
                    let batch = self.next_batch(&mut docs, item_size);
                    if batch.is_empty() || read.send(batch).is_err() {
                        break;
                    }
                }
            });
            let (analyzed, to_decide) = mpsc::sync_channel::<Analyzed<T>>(0);
            let (known, file) = (&known, &file);
            let analyzer = scope.spawn(move || {
                let knows = |hash| {
                    let known = known.read().unwrap_or_else(PoisonError::into_inner);
                    known.contains(&hash)
                };
                for batch in batches {
                    let analyses: Vec<_> = self.pool.install(|| {
                        batch
                            .par_iter()
                            .map(|item| self.analyze(item, knows))
                            .collect()
                    });
                    // While the batch before is decided.
                    let ahead = file.as_ref().map(|file| file.read_ahead(&analyses));
                    if analyzed.send((batch, analyses, ahead)).is_err() {
                        break;
                    }
                }
            });
            let (decided, to_write) = mpsc::sync_channel::<Vec<Emitted<T>>>(0);
            let writer = scope.spawn(move || {
                for emitted in to_write {
                    for item in emitted {
                        emit(item)?;
                    }
                }
                Ok(())
            });
            for (batch, analyses, ahead) in to_decide {
                let hashes: Vec<u64> = analyses
                    .iter()
                    .flatten()
                    .flat_map(|analysis| analysis.hashes.iter().flatten().copied())
                    .collect();
                let mut out = Vec::with_capacity(batch.len());
                let Ok(()) = decider.batch(batch, analyses, ahead, &mut |item| {
                    out.push(item);
                    Ok::<(), std::convert::Infallible>(())
                });
                if decided.send(out).is_err() {
                    // The writer stopped at an error.
                    break;
                }
                // Looked up before the lock is taken: the analysis waits
                // for it only while the set grows.
                let now_known: Vec<u64> = hashes
                    .into_iter()
                    .filter(|&hash| decider.index.knows(hash))
                    .collect();
                known
                    .write()
                    .unwrap_or_else(PoisonError::into_inner)
                    .extend(now_known);
            }
            // Each stage ends once the one before it has ended or the one
            // after it has stopped taking; a panic in one goes on here.
            drop(decided);
            let written = writer
                .join()
                .unwrap_or_else(|panic| panic::resume_unwind(panic));
            analyzer
                .join()
                .unwrap_or_else(|panic| panic::resume_unwind(panic));
            reader
                .join()
                .unwrap_or_else(|panic| panic::resume_unwind(panic));
            written
        })
    }

    /// A record's analysis; a paragraph whose hash `known` holds is not
    /// sketched (the decisions are the same).
    fn analyze<T>(&self, item: &Item<T>, known: impl Fn(u64) -> bool) -> Option<Analysis> {
        Some(self.analyze_doc(item.as_ref().ok()?, known))
    }

    /// A document's analysis, its site boilerplate (if any is known)
    /// removed; a paragraph whose hash `known` holds is not sketched.
    fn analyze_doc<T>(&self, doc: &Doc<T>, known: impl Fn(u64) -> bool) -> Analysis {
        let mut analysis = self.cleaner.analyze_with(&doc.text, known);
        if let (Some(found), Some(site)) = (&self.sites, &doc.site) {
            analysis.remove_site_boilerplate(site, found);
        }
        analysis
    }

    /// The next batch of `items`: up to `batch_records` of them, ending at
    /// the one whose `size` brings the batch to `batch_bytes`.
    fn next_batch<I>(
        &self,
        items: &mut impl Iterator<Item = I>,
        size: impl Fn(&I) -> usize,
    ) -> Vec<I> {
        let mut batch = Vec::new();
        let mut bytes = 0;
        while batch.len() < self.batch_records && bytes < self.batch_bytes {
            let Some(item) = items.next() else { break };
            bytes += size(&item);
            batch.push(item);
        }
        batch
    }
}

/// One item read.
type Item<T> = Result<Doc<T>, Unreadable>;

/// An item's text bytes, for the batch size.
fn item_size<T>(item: &Item<T>) -> usize {
    item.as_ref().map_or(0, |doc| doc.text.len())
}

/// Paragraph hashes the index knows (xxh3 values: used as they are).
type KnownHashes = HashSet<u64, BuildHasherDefault<PassThrough>>;

/// A batch and its analyses (`None` for an unreadable record).
type Analyzed<T> = (Vec<Item<T>>, Vec<Option<Analysis>>, Option<ReadAhead>);

/// The ordered half of a run: decides analyzed records in input order.
struct Decider<'p, 'c, 'i> {
    pipeline: &'p Pipeline<'c>,
    index: &'i mut Index,
    summary: Summary,
    /// The index's file, when the decisions read ahead from it themselves.
    file: Option<FileView>,
}

impl Decider<'_, '_, '_> {
    fn batch<T, E>(
        &mut self,
        batch: Vec<Item<T>>,
        analyses: Vec<Option<Analysis>>,
        ahead: Option<ReadAhead>,
        emit: &mut impl FnMut(Emitted<T>) -> Result<(), E>,
    ) -> Result<(), E> {
        let ahead = ahead.or_else(|| Some(self.file.as_ref()?.read_ahead(&analyses)));
        if let Some(ahead) = ahead {
            self.index.set_read_ahead(ahead);
        }
        for (item, analysis) in batch.into_iter().zip(analyses) {
            match (item, analysis) {
                (Ok(doc), Some(analysis)) => {
                    let pipeline = self.pipeline;
                    let cleaned = pipeline.cleaner.decide(self.index, &doc.id, analysis);
                    let report = DocumentRecord::with_text(
                        &cleaned,
                        &doc.text,
                        &doc.source,
                        self.index,
                        pipeline.report_text,
                    );
                    self.summary.add_document(&report);
                    self.summary.records_written += u64::from(!cleaned.dropped);
                    emit(Emitted::Document {
                        doc,
                        cleaned,
                        report,
                    })?;
                }
                (Err(record), _) => {
                    let report = SkippedRecord::new(record.source.clone(), record.error.clone());
                    emit(Emitted::Unreadable { record, report })?;
                    self.summary.add_skipped();
                }
                (Ok(_), None) => unreachable!("every readable record is analyzed"),
            }
        }
        Ok(())
    }
}
