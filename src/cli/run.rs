//! The `clean` command: read, analyze in parallel, decide in input order,
//! write output, report and diffs.

use std::collections::{HashMap, HashSet};
use std::io::{self, BufWriter, IsTerminal, Write};
use std::sync::atomic::Ordering;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use newsdedup::clean::site::{SiteBoilerplate, SiteCounter};
use newsdedup::html::HtmlReport;
use newsdedup::jsonl::Fields;
use newsdedup::normalize::{RulesConfig, clean_text};
use newsdedup::pipeline::{Emitted, Pipeline};
use newsdedup::report::{
    DocumentRecord, Record as ReportRecord, RemovedEntry, RunRecord, SiteParams, Summary,
};
use newsdedup::store::{self, IndexDir, Storage};
use newsdedup::{
    Cleaned, Cleaner, CleanerBuilder, Index, Normalizer, ParagraphRef, RemovalKind, Span,
};

use super::input::{self, ReadOptions, Record, Records};
use super::kept::KeptTexts;
use super::output::{AtomicDir, AtomicFile, write_jsonl_record};
use super::{Args, CleanArgs, CleanOptions, Command, IndexCommand, ModeArg, OnError};

pub fn run(args: Args) -> Result<(), String> {
    match args.command {
        Command::Clean(args) => clean(&args),
        Command::Eval(args) => super::eval::eval(&args),
        Command::Index(IndexCommand::Stats { dir }) => index_stats(&dir),
        Command::Index(IndexCommand::Export { dir, output }) => {
            index_export(&dir, output.as_deref())
        }
        Command::Index(IndexCommand::Import { input, dir }) => index_import(&input, &dir),
    }
}

/// `index export DIR [-o FILE]`.
fn index_export(dir: &std::path::Path, output: Option<&std::path::Path>) -> Result<(), String> {
    match output {
        None => {
            let out = BufWriter::with_capacity(1 << 16, io::stdout().lock());
            store::export(dir, out).map_err(|e| e.to_string())?;
        }
        Some(path) => {
            let mut file = AtomicFile::create(path)?;
            store::export(dir, file.writer()).map_err(|e| e.to_string())?;
            file.commit()?;
        }
    }
    Ok(())
}

/// `index import FILE DIR`.
fn index_import(input: &std::path::Path, dir: &std::path::Path) -> Result<(), String> {
    let reader = input::open_compressed(input)?;
    let header = store::import(reader, input, dir).map_err(|e| e.to_string())?;
    eprintln!(
        "newsdedup: {} imported: {} documents, {} distinct paragraphs, {} near-duplicate sources",
        dir.display(),
        header.documents,
        header.distinct_paragraphs,
        header.near_paragraphs
    );
    Ok(())
}

/// `index stats DIR`: the index file's header, its format and size, as
/// JSON on standard output.
fn index_stats(dir: &std::path::Path) -> Result<(), String> {
    let Some((header, bytes)) = store::read_header(dir).map_err(|e| e.to_string())? else {
        return Err(format!(
            "{}: holds no index (no {})",
            dir.display(),
            store::MANIFEST_FILE
        ));
    };
    let mut stats = serde_json::json!({
        "dir": dir.display().to_string(),
        "format_version": store::FORMAT_VERSION,
        "bytes_on_disk": bytes,
    });
    if let (Some(stats), serde_json::Value::Object(header)) = (
        stats.as_object_mut(),
        serde_json::to_value(header).map_err(|e| e.to_string())?,
    ) {
        stats.extend(header);
    }
    let mut out = io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, &stats)
        .map_err(io::Error::from)
        .and_then(|()| writeln!(out))
        .map_err(|e| format!("writing: {e}"))
}

/// The cleaner settings of the shared options, in `mode`; a rules file is
/// read and parsed here.
pub(super) fn cleaner_builder(
    args: &CleanOptions,
    mode: ModeArg,
) -> Result<CleanerBuilder, String> {
    let mut normalizer = Normalizer::builder()
        .remove_links(!args.keep_links)
        .mode(mode.into())
        .keep_headline(args.keep_headline);
    if let Some(path) = &args.rules {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let config: RulesConfig =
            toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        normalizer = normalizer.config(config);
    }
    Ok(Cleaner::builder()
        .normalizer(normalizer)
        .short_paragraph_words(args.short_words)
        .near_duplicates(!args.no_near)
        .coverage(args.coverage)
        .candidate_coverage(args.candidate_coverage)
        .shingle_words(args.shingle_words))
}

fn build_cleaner(args: &CleanArgs) -> Result<Cleaner, String> {
    cleaner_builder(&args.options, args.mode)?
        .drop_duplicate_docs(args.drop_duplicate_docs)
        .build()
        .map_err(|e| match &args.options.rules {
            Some(path) => format!("{}: {e}", path.display()),
            None => e.to_string(),
        })
}

/// Where cleaned records go.
enum Sink {
    Stdout(BufWriter<io::Stdout>),
    File(AtomicFile),
    Dir(AtomicDir, HashSet<String>),
    Nowhere,
}

impl Sink {
    fn write(&mut self, record: &Record, text: &str, text_field: &str) -> Result<(), String> {
        let io_err = |e: io::Error| format!("writing output: {e}");
        match self {
            Sink::Stdout(out) => {
                write_jsonl_record(out, record.extra.as_ref(), text_field, &record.id, text)
                    .map_err(io_err)
            }
            Sink::File(file) => file.write_record(|line| {
                write_jsonl_record(line, record.extra.as_ref(), text_field, &record.id, text)
            }),
            Sink::Dir(dir, names) => {
                if !names.insert(record.id.clone()) {
                    return Err(format!(
                        "{}: two inputs would write the same output file",
                        record.id
                    ));
                }
                let mut contents = text.to_string();
                if !contents.is_empty() {
                    contents.push('\n');
                }
                dir.write(&record.id, contents.as_bytes())
            }
            Sink::Nowhere => Ok(()),
        }
    }

    fn commit(self) -> Result<(), String> {
        match self {
            Sink::Stdout(mut out) => out.flush().map_err(|e| format!("writing output: {e}")),
            Sink::File(file) => file.commit(),
            Sink::Dir(dir, _) => dir.commit(),
            Sink::Nowhere => Ok(()),
        }
    }
}

struct Reporter {
    file: Option<AtomicFile>,
}

impl Reporter {
    fn write(&mut self, record: &ReportRecord) -> Result<(), String> {
        match &mut self.file {
            Some(file) => file.write_record(|line| {
                serde_json::to_writer(&mut *line, record)?;
                line.push(b'\n');
                Ok(())
            }),
            None => Ok(()),
        }
    }
}

fn progress_bar(quiet: bool) -> ProgressBar {
    if quiet || !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner();
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// Readies `bar` for a pass over `total` bytes of input (as stored), when
/// known: then it shows a percentage and the time left, else only bytes
/// and rate.
fn start_pass(bar: &ProgressBar, total: Option<u64>, what: &'static str) {
    let template = match total {
        Some(_) => {
            "{spinner} {msg} {percent:>3}% {bytes}/{total_bytes} {binary_bytes_per_sec} \
             [{elapsed} < {eta}]"
        }
        None => "{spinner} {msg} {bytes} {binary_bytes_per_sec} [{elapsed}]",
    };
    bar.set_style(ProgressStyle::with_template(template).expect("the template is valid"));
    bar.set_length(total.unwrap_or(0));
    bar.set_position(0);
    bar.reset_eta();
    bar.set_message(what);
}

/// The first pass for site boilerplate: counts every readable record's
/// kept paragraphs per site into `counter` (which may hold an index
/// directory's counts of earlier runs). Unreadable records are left to the
/// second pass, which reports them.
fn learn_sites(
    pipeline: &Pipeline,
    sources: &[input::Source],
    options: &ReadOptions,
    bar: &ProgressBar,
    counter: &mut SiteCounter,
) -> SiteBoilerplate {
    start_pass(
        bar,
        input::total_bytes(sources),
        "learning site boilerplate:",
    );
    let records = Records::sited(sources.to_vec(), options.clone());
    let read = records.bytes_read();
    pipeline.count_sites(counter, records.filter_map(Result::ok), || {
        bar.set_position(read.load(Ordering::Relaxed));
    });
    counter.boilerplate()
}

fn clean(args: &CleanArgs) -> Result<(), String> {
    let cleaner = build_cleaner(args)?;
    let bar = progress_bar(args.quiet);
    let warn = |message: String| bar.suspend(|| eprintln!("newsdedup: warning: {message}"));
    let sources = input::expand(&args.inputs, warn)?;
    let stdin = sources.iter().any(input::Source::is_stdin);
    let learn = !args.no_site_boilerplate && !stdin;
    if !args.no_site_boilerplate && stdin {
        warn("site boilerplate takes two passes over the input and standard input can be read once: it is off".to_string());
    }
    // Opened first: a locked or mismatched index fails the run before
    // anything is read or written.
    let mut store = match &args.index {
        Some(dir) => {
            let mut settings = store::settings(&cleaner);
            settings["sites"] = serde_json::json!({
                "learn": learn,
                "field": args.site_field,
                "one_site": args.one_site,
            });
            Some(IndexDir::open(dir, settings).map_err(|e| e.to_string())?)
        }
        None => None,
    };
    let (mut index, mut site_counts) = match &store {
        Some(store) => {
            let storage = match args.index_in_memory {
                true => Storage::Memory,
                false => Storage::InPlace {
                    cache_bytes: args.index_cache.saturating_mul(1 << 20),
                },
            };
            store.load(storage).map_err(|e| e.to_string())?
        }
        None => (Index::new(), SiteCounter::new()),
    };
    let only_txt = !sources.is_empty() && sources.iter().all(input::Source::is_txt);
    let sink = match &args.output {
        None if args.diff => Sink::Nowhere,
        None => Sink::Stdout(BufWriter::with_capacity(1 << 16, io::stdout())),
        Some(path) if only_txt => Sink::Dir(AtomicDir::create(path)?, HashSet::new()),
        Some(path) => Sink::File(AtomicFile::create(path)?),
    };
    let mut reporter = Reporter {
        file: args.report.as_deref().map(AtomicFile::create).transpose()?,
    };
    let mut html = match &args.html {
        Some(path) => Some((
            AtomicFile::create(path)?,
            HtmlReport::new(args.html_max_mb as usize * 1_000_000),
        )),
        None => None,
    };
    let threads = args.threads.map_or_else(
        || std::thread::available_parallelism().map_or(1, |n| n.get()),
        usize::from,
    );
    let pipeline = Pipeline::new(&cleaner, threads)
        .map_err(|e| e.to_string())?
        .report_text(args.report_text.into());
    let options = ReadOptions {
        text_field: args.options.text_field.clone(),
        id_field: args.options.id_field.clone(),
        max_record_bytes: args.options.max_record_bytes,
        site_field: args.site_field.clone(),
        file_is_site: args.one_site,
    };
    let site_boilerplate =
        learn.then(|| learn_sites(&pipeline, &sources, &options, &bar, &mut site_counts));
    let pipeline = pipeline.site_boilerplate(site_boilerplate);
    let mut run = RunRecord::new(&cleaner);
    run.site_boilerplate = pipeline.sites().map(SiteParams::new);
    run.report_text = args.report_text.into();
    if let Some((_, page)) = &mut html {
        page.run(&run);
    }
    reporter.write(&ReportRecord::Run(Box::new(run)))?;
    start_pass(&bar, input::total_bytes(&sources), "cleaning:");
    let records = Records::new(sources, options);
    let read = records.bytes_read();
    let mut writer = Writer {
        args,
        sink,
        reporter,
        html,
        // With --diff, the kept paragraphs' text, to show how
        // near-duplicates differ from their copies.
        kept_texts: match args.diff {
            true => Some(KeptTexts::new().map_err(|e| format!("--diff: temporary file: {e}"))?),
            false => None,
        },
        stdout: io::stdout(),
        bar: &bar,
    };
    let mut records_in = 0u64;
    let summary = pipeline.run(&mut index, records, |emitted| {
        writer.emitted(emitted, &warn)?;
        records_in += 1;
        if records_in.is_multiple_of(PROGRESS_EVERY) {
            bar.set_position(read.load(Ordering::Relaxed));
            bar.set_message(format!("cleaning: {records_in} records,"));
        }
        Ok::<(), String>(())
    })?;
    bar.finish_and_clear();
    if let Some(error) = index.read_error() {
        // Decided on zeros read instead: nothing of the run is kept (but
        // standard output, written as it went).
        return Err(format!("reading the index: {error}"));
    }
    let Writer {
        sink,
        mut reporter,
        mut html,
        mut stdout,
        ..
    } = writer;
    reporter.write(&ReportRecord::Summary(summary.clone()))?;
    if let Some((file, page)) = &mut html {
        page.write(&summary, &mut file.writer())
            .map_err(|e| format!("writing the HTML report: {e}"))?;
    }
    stdout.flush().map_err(|e| format!("writing diff: {e}"))?;

    // Never leave a new output beside an old report: the old report goes
    // first, then the output is renamed into place, then the new report.
    if let Some(path) = &args.report {
        match std::fs::remove_file(path) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(format!(
                    "{}: cannot replace the old report: {e}",
                    path.display()
                ));
            }
        }
    }
    sink.commit()?;
    if let Some(file) = reporter.file {
        file.commit()?;
    }
    if let Some((file, _)) = html {
        file.commit()?;
    }
    // Last: a run killed before this leaves the index as it was, and run
    // again writes what it would have.
    if let Some(store) = &mut store {
        store
            .commit(&index, &site_counts)
            .map_err(|e| e.to_string())?;
    }
    if !args.quiet {
        eprintln!("{}", summary_line(&summary));
        if let Some(cache) = index.file_cache() {
            let lookups = cache.hits + cache.misses;
            eprintln!(
                "newsdedup: index read in place: {lookups} block lookups, {:.1}% from the {} MiB cache",
                100.0 * cache.hits as f64 / lookups.max(1) as f64,
                cache.capacity_bytes >> 20,
            );
        }
    }
    Ok(())
}

/// Records between two updates of the progress bar.
const PROGRESS_EVERY: u64 = 256;

/// The writing half of a run: writes what the pipeline hands on for each
/// record, in input order (output, report, HTML, diff).
struct Writer<'a> {
    args: &'a CleanArgs,
    sink: Sink,
    reporter: Reporter,
    html: Option<(AtomicFile, HtmlReport)>,
    kept_texts: Option<KeptTexts>,
    stdout: io::Stdout,
    bar: &'a ProgressBar,
}

impl Writer<'_> {
    fn emitted(
        &mut self,
        emitted: Emitted<Option<Fields>>,
        warn: &impl Fn(String),
    ) -> Result<(), String> {
        match emitted {
            Emitted::Document {
                doc: record,
                cleaned,
                report,
                ..
            } => self.record(&record, &cleaned, report),
            Emitted::Unreadable { record, report } => match self.args.on_error {
                OnError::Fail => Err(format!(
                    "{record} (use --on-error skip to leave such records out)"
                )),
                OnError::Skip => {
                    warn(format!("{record}; record skipped"));
                    self.reporter.write(&ReportRecord::Skipped(report))
                }
            },
        }
    }

    fn record(
        &mut self,
        record: &Record,
        cleaned: &Cleaned,
        doc: DocumentRecord,
    ) -> Result<(), String> {
        let args = self.args;
        if !cleaned.dropped {
            self.sink
                .write(record, &cleaned.text, &args.options.text_field)?;
        }
        if let Some(store) = &mut self.kept_texts {
            let diff_err = |e: io::Error| format!("writing diff: {e}");
            store.remember(cleaned).map_err(diff_err)?;
            if !doc.removed.is_empty() {
                let copies = cleaned
                    .removed
                    .iter()
                    .filter(|r| r.kind == RemovalKind::NearDuplicate)
                    .filter_map(|r| r.duplicate_of);
                let texts = store.texts(copies).map_err(diff_err)?;
                let diff = render_diff(record, cleaned, &doc, &texts);
                let stdout = &mut self.stdout;
                self.bar
                    .suspend(|| stdout.write_all(diff.as_bytes()))
                    .map_err(diff_err)?;
            }
        }
        if let Some((_, page)) = &mut self.html {
            page.document(&doc, &record.text);
        }
        self.reporter.write(&ReportRecord::Document(doc))
    }
}

/// A diff with one line per paragraph, drawn from the report's offsets:
/// each removed span is a `-` line in its real place, followed by its kind
/// and rule (and the kept copy it repeats); a paragraph cut in part is then
/// shown as it now reads, as a `+` line; kept paragraphs next to a change
/// are context. After that, for each near-duplicate, the words where it
/// differs from its kept copy.
fn render_diff(
    record: &Record,
    cleaned: &Cleaned,
    doc: &DocumentRecord,
    kept_texts: &HashMap<ParagraphRef, String>,
) -> String {
    let header = if cleaned.dropped {
        format!(
            "{} (dropped: {:.0}% repeats earlier documents)",
            record.id,
            cleaned.duplicate_fraction * 100.0
        )
    } else {
        format!("{} (cleaned)", record.id)
    };
    let mut out = format!("--- {}\n+++ {header}\n", record.id);
    // The cleaned text of each kept paragraph, in order.
    let mut kept_lines = cleaned
        .text
        .split(cleaned.layout.separator())
        .filter(|line| !line.is_empty());
    let paragraphs: Vec<(Span, Option<&str>)> = cleaned
        .paragraphs
        .iter()
        .map(|p| (p.span, if p.kept { kept_lines.next() } else { None }))
        .collect();
    // The removals in (or, for an empty paragraph, at) a paragraph.
    let in_paragraph = |span: Span| {
        move |r: &&RemovedEntry| r.start < span.end.max(span.start + 1) && r.end > span.start
    };
    let changed: Vec<bool> = paragraphs
        .iter()
        .map(|&(span, _)| doc.removed.iter().any(|r| in_paragraph(span)(&r)))
        .collect();
    let near_change = |i: usize| {
        changed[i.saturating_sub(1)..(i + 2).min(changed.len())]
            .iter()
            .any(|&c| c)
    };
    let mut shown_last = false;
    for (i, (span, kept)) in paragraphs.iter().enumerate() {
        if !near_change(i) {
            shown_last = false;
            continue;
        }
        if !shown_last {
            out.push_str(&format!("@@ paragraph {i} @@\n"));
        }
        shown_last = true;
        if !changed[i] {
            out.push_str(&format!(" {}\n", kept.unwrap_or_default()));
            continue;
        }
        for r in doc.removed.iter().filter(in_paragraph(*span)) {
            let rule = r.rule.as_deref().unwrap_or(r.kind.as_str());
            let mut why = format!("{}: {rule}", r.kind.as_str());
            if let Some(of) = &r.duplicate_of {
                why.push_str(&format!(", of {} paragraph {}", of.id, of.paragraph));
            }
            out.push_str(&format!(
                "-{}    [{why}]\n",
                clean_text(r.text_in(&record.text))
            ));
        }
        if let Some(kept) = kept {
            out.push_str(&format!("+{kept}\n"));
        }
    }
    for (removal, entry) in cleaned.removed.iter().zip(&doc.removed) {
        if removal.kind != RemovalKind::NearDuplicate {
            continue;
        }
        let (Some(kept), Some(copy)) = (
            removal.duplicate_of.and_then(|at| kept_texts.get(&at)),
            &entry.duplicate_of,
        ) else {
            continue;
        };
        let removed_text = clean_text(entry.text_in(&record.text));
        let words = similar::TextDiff::from_words(kept.as_str(), removed_text.as_ref());
        // Consecutive changes of one kind are shown as one: [-kept words-]
        // and {+this paragraph's words+}.
        let mut line = String::new();
        let mut run: Option<(similar::ChangeTag, String)> = None;
        let flush = |line: &mut String, run: Option<(similar::ChangeTag, String)>| match run {
            Some((similar::ChangeTag::Delete, text)) => line.push_str(&format!("[-{text}-]")),
            Some((similar::ChangeTag::Insert, text)) => line.push_str(&format!("{{+{text}+}}")),
            Some((similar::ChangeTag::Equal, text)) => line.push_str(&text),
            None => {}
        };
        for change in words.iter_all_changes() {
            match &mut run {
                Some((tag, text)) if *tag == change.tag() => text.push_str(change.value()),
                _ => {
                    flush(&mut line, run.take());
                    run = Some((change.tag(), change.value().to_string()));
                }
            }
        }
        flush(&mut line, run);
        let measures = match entry.coverage {
            Some(coverage) => format!(
                "coverage {coverage:.3}, similarity {:.3}",
                entry.similarity.unwrap_or(0.0)
            ),
            None => format!("similarity {:.3}", entry.similarity.unwrap_or(0.0)),
        };
        out.push_str(&format!(
            "~ near-duplicate at {}..{} of {} paragraph {} ({measures}): {line}\n",
            entry.start, entry.end, copy.id, copy.paragraph,
        ));
    }
    out
}

fn summary_line(s: &Summary) -> String {
    let removed: Vec<String> = s
        .removed
        .iter()
        .map(|(kind, tally)| format!("{} {kind}", tally.count))
        .collect();
    let removed = if removed.is_empty() {
        "nothing".to_string()
    } else {
        removed.join(", ")
    };
    format!(
        "newsdedup: {} records in, {} written, {} skipped, {} dropped, {} repeated documents; \
         paragraphs {} -> {}; removed {removed}; bytes {} -> {}; index {} paragraphs, {:.1} MB ({} bytes a paragraph)",
        s.records_in,
        s.records_written,
        s.records_skipped,
        s.records_dropped,
        s.duplicate_documents,
        s.paragraphs_in,
        s.paragraphs_kept,
        s.bytes_in,
        s.bytes_out,
        s.index_paragraphs,
        s.index_memory_bytes as f64 / 1e6,
        s.index_bytes_per_paragraph,
    )
}
