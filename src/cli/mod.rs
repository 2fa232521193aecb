//! Argument parsing and the `clean` command.

mod eval;
mod input;
mod kept;
mod output;
mod run;

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

pub use run::run;

/// Clean and deduplicate scraped news text.
///
/// Exit status: 0 on success (records skipped under `--on-error skip` are
/// counted in the summary and the report), 1 on an error (bad input under
/// `--on-error fail`, unreadable files, unwritable output), 2 on a usage
/// error.
#[derive(Debug, Parser)]
#[command(name = "newsdedup", version, about, long_about = None)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Remove repeated paragraphs, boilerplate and links; write the cleaned
    /// text and a report of every removal.
    Clean(CleanArgs),
    /// Score article and page mode against gold article text (precision,
    /// recall and F1 of 4-gram shingles, as the article-extraction
    /// benchmark computes them), and how much of the gold each mode keeps.
    Eval(EvalArgs),
    /// Inspect a persisted index (`clean --index DIR`).
    #[command(subcommand)]
    Index(IndexCommand),
}

#[derive(Debug, Subcommand)]
pub enum IndexCommand {
    /// Print what an index directory holds, as JSON: its documents and
    /// paragraphs, runs, bytes on disk and the settings it was built with.
    Stats {
        /// The index directory.
        #[arg(value_name = "DIR")]
        dir: PathBuf,
    },
    /// Write an index directory's index as JSON Lines, a documented and
    /// versioned format: to move, inspect or rebuild it.
    Export {
        /// The index directory.
        #[arg(value_name = "DIR")]
        dir: PathBuf,
        /// Where to write it (default: standard output); compressed when
        /// named `*.gz` or `*.zst`.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Rebuild an index directory from an export (`*.gz` and `*.zst` read
    /// as such).
    Import {
        /// The export.
        #[arg(value_name = "FILE")]
        input: PathBuf,
        /// The index directory to make; it must hold no index.
        #[arg(value_name = "DIR")]
        dir: PathBuf,
    },
}

/// What kind of text the inputs hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ModeArg {
    /// Article text already extracted: remove only clear junk.
    Article,
    /// A whole page's text: keep only the article.
    Page,
}

impl From<ModeArg> for newsdedup::Mode {
    fn from(mode: ModeArg) -> newsdedup::Mode {
        match mode {
            ModeArg::Article => newsdedup::Mode::Article,
            ModeArg::Page => newsdedup::Mode::Page,
        }
    }
}

/// How much of each removed piece's text the report carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReportTextArg {
    /// All of it.
    Full,
    /// Its first 80 bytes at most.
    Prefix,
    /// None (offsets and kind only: the input gives the text back).
    None,
}

impl From<ReportTextArg> for newsdedup::report::ReportText {
    fn from(text: ReportTextArg) -> newsdedup::report::ReportText {
        use newsdedup::report::ReportText;
        match text {
            ReportTextArg::Full => ReportText::Full,
            ReportTextArg::Prefix => ReportText::Prefix,
            ReportTextArg::None => ReportText::None,
        }
    }
}

/// What to do with a record that cannot be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OnError {
    /// Stop with an error naming the file and line; write nothing.
    Fail,
    /// Leave the record out, warn, and count it in the summary and report.
    Skip,
}

#[derive(Debug, clap::Args)]
pub struct CleanArgs {
    /// Inputs: .txt files (one article each), .jsonl / .jsonl.gz / .jsonl.zst
    /// files (one JSON object per line), directories (walked in sorted order
    /// for those), or - for JSONL on standard input.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,

    /// Where to write the cleaned records: a JSONL file, or for .txt-only
    /// inputs a directory mirroring their names. Default: JSONL on stdout.
    #[arg(short, long, value_name = "OUTPUT")]
    pub output: Option<PathBuf>,

    /// Write the JSONL report of every removal here.
    #[arg(long, value_name = "REPORT")]
    pub report: Option<PathBuf>,

    /// How much of each removed piece's text the report carries; offsets
    /// and kinds are always there. Leaving it out saves room (the report
    /// of a corpus of copies is as large as the corpus), not time.
    #[arg(long, value_enum, value_name = "WHAT", default_value = "full")]
    pub report_text: ReportTextArg,

    /// Write a self-contained HTML page of every removal here: an overview,
    /// the most repeated passages, and each article with its removals marked.
    #[arg(long, value_name = "REPORT.html")]
    pub html: Option<PathBuf>,

    /// Largest size of the HTML page's article data, in MB: past it, the
    /// articles with the fewest removals are left out (and counted).
    #[arg(long, value_name = "MB", default_value_t = 48, value_parser = clap::value_parser!(u32).range(1..))]
    pub html_max_mb: u32,

    /// Print a diff (paragraph per line) of every changed document to
    /// stdout: each removed span as a `-` line in its place, with its kind,
    /// rule and kept copy. Without -o, only the diffs are printed.
    #[arg(long)]
    pub diff: bool,

    /// Worker threads for per-document work (default: all cores). The
    /// results are identical for any value.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,

    /// Article text already extracted (remove only clear junk), or whole
    /// pages' text (keep only the article).
    #[arg(long, value_enum, default_value_t = ModeArg::Article)]
    pub mode: ModeArg,

    #[command(flatten)]
    pub options: CleanOptions,

    /// What to do with a record that cannot be read.
    #[arg(long, value_enum, default_value_t = OnError::Fail)]
    pub on_error: OnError,

    /// JSON field naming each record's site, for site boilerplate (default:
    /// the host of the `url` field; for .txt files, their directory).
    #[arg(long, value_name = "NAME")]
    pub site_field: Option<String>,

    /// Each JSONL input file is one site: records with no site field and no
    /// `url` belong to their file's site (a corpus of one outlet).
    #[arg(long)]
    pub one_site: bool,

    /// Do not learn and remove lines a site repeats on many of its pages
    /// (which takes a first pass over the input).
    #[arg(long)]
    pub no_site_boilerplate: bool,

    /// Drop a whole document (not written, recorded in the report) when at
    /// least this fraction of its text repeats earlier documents.
    #[arg(long, value_name = "F")]
    pub drop_duplicate_docs: Option<f64>,

    /// Deduplicate against the index kept in DIR by earlier runs (as if
    /// their records came first), and keep there what this run adds. The
    /// directory is created when absent; a run with other settings than
    /// those it was built with is refused.
    #[arg(long, value_name = "DIR")]
    pub index: Option<PathBuf>,

    /// With --index: memory for the index file's blocks, in MiB. The index
    /// is read in place, its bulk left on disk, so that memory stays
    /// within this cache and what the run adds, however large the index.
    #[arg(long, value_name = "MIB", default_value_t = DEFAULT_INDEX_CACHE_MIB, requires = "index")]
    pub index_cache: u64,

    /// With --index: read the whole index into memory instead (faster
    /// while it fits, see the README).
    #[arg(long, requires = "index", conflicts_with = "index_cache")]
    pub index_in_memory: bool,

    /// No progress bar and no summary line.
    #[arg(short, long)]
    pub quiet: bool,
}

/// The default of `--index-cache`, in MiB (see the README's "Runs against
/// an archive" for the measurements behind it).
pub const DEFAULT_INDEX_CACHE_MIB: u64 = 256;

/// Settings shared by `clean` and `eval`: how records are read and cleaned.
#[derive(Debug, clap::Args)]
pub struct CleanOptions {
    /// JSON field holding the article text.
    #[arg(long, default_value = "text", value_name = "NAME")]
    pub text_field: String,

    /// JSON field holding the record id (default id: file:line).
    #[arg(long, default_value = "id", value_name = "NAME")]
    pub id_field: String,

    /// Longest record (JSONL line or .txt file) accepted, in bytes.
    #[arg(long, default_value_t = 64 << 20, value_name = "BYTES")]
    pub max_record_bytes: usize,

    /// A TOML file of boilerplate rules to add, disable or use instead of
    /// the defaults.
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,

    /// Keep links in the text instead of cutting them out.
    #[arg(long)]
    pub keep_links: bool,

    /// Paragraphs with fewer words are removed as duplicates only as part of
    /// a repeated run.
    #[arg(long, default_value_t = newsdedup::clean::SHORT_PARAGRAPH_WORDS, value_name = "WORDS")]
    pub short_words: usize,

    /// Share of a paragraph's words, matched in order in ONE earlier
    /// article, at or above which it is a near-duplicate (a copy cut,
    /// extended, re-paragraphed or lightly edited).
    #[arg(long, default_value_t = newsdedup::clean::COVERAGE, value_name = "C")]
    pub coverage: f64,

    /// Share of a paragraph's shingles an earlier article must hold to be
    /// compared with it at all.
    #[arg(long, default_value_t = newsdedup::clean::CANDIDATE_COVERAGE, value_name = "C")]
    pub candidate_coverage: f64,

    /// Words per shingle.
    #[arg(long, default_value_t = newsdedup::clean::SHINGLE_WORDS, value_name = "WORDS")]
    pub shingle_words: usize,

    /// In page mode, keep the headline above the article.
    #[arg(long)]
    pub keep_headline: bool,

    /// Remove exact duplicates only.
    #[arg(long)]
    pub no_near: bool,
}

#[derive(Debug, clap::Args)]
pub struct EvalArgs {
    /// JSONL (.jsonl, .jsonl.gz, .jsonl.zst) with the page text and the
    /// gold article text in each record.
    #[arg(value_name = "DATA")]
    pub input: PathBuf,

    /// JSON field holding the gold article text.
    #[arg(long, default_value = "gold", value_name = "NAME")]
    pub gold_field: String,

    /// Mode to evaluate; repeat for several (default: article and page).
    #[arg(long, value_enum, value_name = "MODE")]
    pub mode: Vec<ModeArg>,

    /// Print each page's scores.
    #[arg(long)]
    pub per_page: bool,

    /// Worker threads (default: all cores).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,

    /// Fail (exit 1) when a mode's F1 is below this.
    #[arg(long, value_name = "F1")]
    pub min_f1: Option<f64>,

    /// Fail when a mode's precision is below this.
    #[arg(long, value_name = "P")]
    pub min_precision: Option<f64>,

    /// Fail when a mode's recall is below this.
    #[arg(long, value_name = "R")]
    pub min_recall: Option<f64>,

    /// Fail when a mode's normalizer, given the gold text as input, keeps
    /// less than this share of its shingles (mean over pages).
    #[arg(long, value_name = "SHARE")]
    pub min_gold_kept: Option<f64>,

    #[command(flatten)]
    pub clean: CleanOptions,
}
