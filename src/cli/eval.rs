//! The `eval` command: score each mode against gold text.
//!
//! Every page is cleaned on its own (a fresh index per page: no
//! cross-article stages), in each mode, and scored by
//! [`newsdedup::eval::evaluate`] on the library's pipeline. The gold text
//! itself is cleaned too: what a mode removes from it is harm done to real
//! article text. This module reads the pages, prints and checks floors.

use std::fmt::Write as _;

use newsdedup::eval::{Evaluation, PageScore, Summary};
use newsdedup::pipeline::{Doc, Pipeline};

use super::input::{self, ReadOptions, Record, Records};
use super::{EvalArgs, ModeArg};

/// One page: its text, and its gold text as `extra`.
type Page = Doc<String>;

/// One mode's results.
struct ModeResult {
    name: &'static str,
    scores: Vec<PageScore>,
    /// Share of the gold's shingles that the normalizer (boilerplate rules,
    /// page classification, links) keeps when the gold is the input, per
    /// page.
    kept: Vec<f64>,
    /// The same for the whole cleaner (also removing repeated paragraphs
    /// within the page).
    kept_by_cleaner: Vec<f64>,
}

pub fn eval(args: &EvalArgs) -> Result<(), String> {
    let threads = args.threads.map_or(0, usize::from);
    let pages = read_pages(args)?;
    if pages.is_empty() {
        return Err(format!("{}: no records", args.input.display()));
    }
    let mut results = vec![ModeResult {
        name: "none",
        scores: pages
            .iter()
            .map(|p| PageScore::new(&p.text, &p.extra))
            .collect(),
        kept: vec![1.0; pages.len()],
        kept_by_cleaner: vec![1.0; pages.len()],
    }];
    let modes = if args.mode.is_empty() {
        vec![ModeArg::Article, ModeArg::Page]
    } else {
        args.mode.clone()
    };
    for mode in modes {
        let cleaner = super::run::cleaner_builder(&args.clean, mode)?
            .build()
            .map_err(|e| e.to_string())?;
        let pipeline = Pipeline::new(&cleaner, threads).map_err(|e| e.to_string())?;
        let Evaluation {
            scores,
            gold_kept_by_normalizer,
            gold_kept_by_cleaner,
        } = newsdedup::eval::evaluate(&pipeline, &pages);
        results.push(ModeResult {
            name: newsdedup::Mode::from(mode).as_str(),
            scores,
            kept: gold_kept_by_normalizer,
            kept_by_cleaner: gold_kept_by_cleaner,
        });
    }

    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: {} pages, gold field {:?}; each page cleaned on its own",
        args.input.display(),
        pages.len(),
        args.gold_field
    );
    let _ = writeln!(
        out,
        "{:<8} {:>15} {:>15} {:>15}   F1 per page: {:>5} {:>5} {:>6}",
        "mode", "precision", "recall", "F1", "min", "p10", "median"
    );
    for result in &results {
        let s = Summary::new(&result.scores);
        let _ = writeln!(
            out,
            "{:<8} {:>7.3} ± {:.3} {:>7.3} ± {:.3} {:>7.3} ± {:.3}                {:>5.3} {:>5.3} {:>6.3}",
            result.name,
            s.precision,
            s.precision_ci,
            s.recall,
            s.recall_ci,
            s.f1,
            s.f1_ci,
            s.f1_min,
            s.f1_p10,
            s.f1_median
        );
    }
    let _ = writeln!(
        out,
        "gold as input: share of the gold's shingles kept (mean over pages, lowest page)"
    );
    let _ = writeln!(
        out,
        "{:<8} {:>18} {:>18}",
        "mode", "by the normalizer", "by the cleaner"
    );
    for result in results.iter().skip(1) {
        let (mean, min) = mean_min(&result.kept);
        let (cleaner_mean, cleaner_min) = mean_min(&result.kept_by_cleaner);
        let _ = writeln!(
            out,
            "{:<8} {:>8.2}% {:>7.2}% {:>8.2}% {:>7.2}%",
            result.name,
            100.0 * mean,
            100.0 * min,
            100.0 * cleaner_mean,
            100.0 * cleaner_min
        );
    }
    if args.per_page {
        for result in results.iter().skip(1) {
            let _ = writeln!(
                out,
                "per page, {} mode: precision recall F1 gold-kept-by-normalizer",
                result.name
            );
            for (page, (score, kept)) in pages.iter().zip(result.scores.iter().zip(&result.kept)) {
                let _ = writeln!(
                    out,
                    "  {:.3} {:.3} {:.3} {:.3} {}",
                    score.precision(),
                    score.recall(),
                    score.f1(),
                    kept,
                    page.source
                );
            }
        }
    }
    print!("{out}");
    check_floors(args, &results)
}

fn mean_min(values: &[f64]) -> (f64, f64) {
    let mean = values.iter().sum::<f64>() / values.len().max(1) as f64;
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    (mean, if min.is_finite() { min } else { 0.0 })
}

/// Fails when a cleaned mode falls below a floor given on the command line.
fn check_floors(args: &EvalArgs, results: &[ModeResult]) -> Result<(), String> {
    let mut failures = Vec::new();
    for result in results.iter().skip(1) {
        let s = Summary::new(&result.scores);
        let (kept, _) = mean_min(&result.kept);
        let checks = [
            ("F1", s.f1, args.min_f1),
            ("precision", s.precision, args.min_precision),
            ("recall", s.recall, args.min_recall),
            (
                "share of the gold kept by the normalizer",
                kept,
                args.min_gold_kept,
            ),
        ];
        for (what, value, floor) in checks {
            if let Some(floor) = floor
                && value < floor
            {
                failures.push(format!(
                    "{} mode: {what} {value:.4} is below the floor {floor}",
                    result.name
                ));
            }
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("\n"))
    }
}

fn read_pages(args: &EvalArgs) -> Result<Vec<Page>, String> {
    let sources = input::expand(std::slice::from_ref(&args.input), |w| {
        eprintln!("warning: {w}")
    })?;
    let options = ReadOptions {
        text_field: args.clean.text_field.clone(),
        id_field: args.clean.id_field.clone(),
        max_record_bytes: args.clean.max_record_bytes,
        site_field: None,
        file_is_site: false,
    };
    let mut pages = Vec::new();
    for record in Records::new(sources, options) {
        let record = record.map_err(|bad| bad.to_string())?;
        let gold =
            gold_of(&record, &args.gold_field).map_err(|e| format!("{}: {e}", record.source))?;
        pages.push(Page {
            id: record.id,
            source: record.source,
            text: record.text,
            site: None,
            extra: gold,
        });
    }
    Ok(pages)
}

fn gold_of(record: &Record, field: &str) -> Result<String, String> {
    let fields = record
        .extra
        .as_ref()
        .ok_or_else(|| "gold text needs JSONL input".to_string())?;
    let (_, raw) = fields
        .iter()
        .find(|(name, _)| name == field)
        .ok_or_else(|| format!("no field {field:?}"))?;
    serde_json::from_str::<String>(raw.get())
        .map_err(|_| format!("field {field:?} is not a string"))
}
