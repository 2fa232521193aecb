//! Scoring extracted text against a person's gold text.
//!
//! The metric is the one of the article-extraction benchmark by Zyte
//! (`scrapinghub/article-extraction-benchmark`, its `evaluate.py`), so
//! figures compare with the ones published for other tools:
//!
//! * tokens are runs of word characters (letters, digits, `_`), case kept;
//! * shingles are 4-grams of consecutive tokens, counted as a multiset (a
//!   text of fewer than four tokens is one shingle of all of them);
//! * per page, true positives are the shingles both texts share (with
//!   multiplicity), false positives the extracted text's extra shingles,
//!   false negatives the gold's missing ones, all three divided by their sum
//!   so that long pages weigh no more than short ones;
//! * precision and recall are averaged over pages and F1 is the harmonic
//!   mean of the two averages.
//!
//! Word characters are Rust's [`char::is_alphanumeric`] and `_`; Python's
//! `\w` differs only for a few combining marks of Indic scripts.
//!
//! ```
//! use newsdedup::eval::{PageScore, Summary};
//! let page = PageScore::new("The cat sat on the mat today", "The cat sat on the mat");
//! assert_eq!(page.precision(), 0.75);
//! assert_eq!(page.recall(), 1.0);
//! let summary = Summary::new(&[page]);
//! assert!((summary.f1 - 6.0 / 7.0).abs() < 1e-12);
//! ```

use std::collections::HashMap;

/// What a cleaner does to pages with gold text, page by page in input
/// order (`evaluate`, with the `parallel` feature).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Evaluation {
    /// The cleaned text of each page against its gold.
    pub scores: Vec<PageScore>,
    /// Share of the gold's shingles (with multiplicity) that the normalizer
    /// (boilerplate rules, page classification, links) keeps when the gold
    /// itself is the input: what it removes there is harm done to article
    /// text.
    pub gold_kept_by_normalizer: Vec<f64>,
    /// The same for the whole cleaner, which also removes paragraphs
    /// repeated within the page.
    pub gold_kept_by_cleaner: Vec<f64>,
}

/// Cleans every page on its own (an empty index per page: no cross-article
/// stages) on `pipeline`'s pool and scores it against its gold text, the
/// `extra` of each [`Doc`](crate::pipeline::Doc). The gold is cleaned too:
/// [`Evaluation::gold_kept_by_normalizer`] and
/// [`Evaluation::gold_kept_by_cleaner`].
///
/// ```
/// use newsdedup::eval::evaluate;
/// use newsdedup::pipeline::{Doc, Pipeline};
/// use newsdedup::Cleaner;
///
/// let story = "The harbour authority said on Tuesday that the port would reopen next week.";
/// let page = Doc {
///     id: "p".to_string(),
///     source: String::new(),
///     text: format!("{story}\n\nLeave a Reply"),
///     site: None,
///     extra: story.to_string(),
/// };
/// let cleaner = Cleaner::new();
/// let result = evaluate(&Pipeline::new(&cleaner, 1).unwrap(), &[page]);
/// assert_eq!(result.scores[0].f1(), 1.0);
/// assert_eq!(result.gold_kept_by_cleaner, [1.0]);
/// ```
#[cfg(feature = "parallel")]
pub fn evaluate(
    pipeline: &crate::pipeline::Pipeline<'_>,
    pages: &[crate::pipeline::Doc<String>],
) -> Evaluation {
    let gold_pages: Vec<_> = pages
        .iter()
        .map(|page| crate::pipeline::Doc {
            id: page.id.clone(),
            source: page.source.clone(),
            text: page.extra.clone(),
            site: page.site.clone(),
            extra: (),
        })
        .collect();
    let scores = pipeline.clean_each(pages, |page, cleaned| {
        PageScore::new(&cleaned.text, &page.extra)
    });
    let gold_kept_by_cleaner = pipeline.clean_each(&gold_pages, |gold, cleaned| {
        kept_share(&cleaned.text, &gold.text)
    });
    let normalizer = pipeline.cleaner().normalizer();
    let gold_kept_by_normalizer = pipeline.map(&gold_pages, |gold| {
        let normalized = normalizer.normalize_document(&gold.text);
        let kept: Vec<&str> = normalized
            .paragraphs
            .iter()
            .map(crate::normalize::NormalizedParagraph::text)
            .collect();
        kept_share(&kept.join("\n\n"), &gold.text)
    });
    Evaluation {
        scores,
        gold_kept_by_normalizer,
        gold_kept_by_cleaner,
    }
}

/// Share of `gold`'s shingles (with multiplicity) that `text` has; 1 for a
/// gold text without any.
pub fn kept_share(text: &str, gold: &str) -> f64 {
    let counts = shingle_match(text, gold);
    let all = counts.tp + counts.fn_;
    if all == 0 {
        1.0
    } else {
        counts.tp as f64 / all as f64
    }
}

/// Tokens per shingle in the benchmark's metric.
pub const SHINGLE_TOKENS: usize = 4;

/// Bootstrap resamples behind [`Summary`]'s confidence intervals (as in the
/// benchmark's script).
pub const BOOTSTRAP_SAMPLES: usize = 1000;

/// Seed of the bootstrap's resampling, fixed so that figures repeat.
const BOOTSTRAP_SEED: u64 = 0x6e65_7773_6465_6475;

/// One page's true positives, false positives and false negatives, divided
/// by their sum.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PageScore {
    /// Shared shingles.
    pub tp: f64,
    /// Shingles of the extracted text that the gold lacks.
    pub fp: f64,
    /// Shingles of the gold that the extracted text lacks.
    pub fn_: f64,
}

impl PageScore {
    /// Scores `extracted` against `gold`.
    pub fn new(extracted: &str, gold: &str) -> PageScore {
        let counts = shingle_match(extracted, gold);
        let sum = counts.tp + counts.fp + counts.fn_;
        if sum == 0 {
            return PageScore::default();
        }
        let sum = sum as f64;
        PageScore {
            tp: counts.tp as f64 / sum,
            fp: counts.fp as f64 / sum,
            fn_: counts.fn_ as f64 / sum,
        }
    }

    /// Precision of the page; 1 when both texts are empty.
    pub fn precision(&self) -> f64 {
        if self.fp == 0.0 && self.fn_ == 0.0 {
            1.0
        } else if self.tp == 0.0 && self.fp == 0.0 {
            0.0
        } else {
            self.tp / (self.tp + self.fp)
        }
    }

    /// Recall of the page; 1 when both texts are empty.
    pub fn recall(&self) -> f64 {
        if self.fp == 0.0 && self.fn_ == 0.0 {
            1.0
        } else if self.tp == 0.0 && self.fn_ == 0.0 {
            0.0
        } else {
            self.tp / (self.tp + self.fn_)
        }
    }

    /// Harmonic mean of the page's precision and recall (0 when both are 0).
    pub fn f1(&self) -> f64 {
        harmonic(self.precision(), self.recall())
    }

    /// Whether the page counts towards the precision average: the
    /// extracted text has shingles (the benchmark's rule).
    fn has_precision(&self) -> bool {
        self.tp + self.fp > 0.0
    }

    /// Whether the page counts towards the recall average: the gold has
    /// shingles.
    fn has_recall(&self) -> bool {
        self.tp + self.fn_ > 0.0
    }
}

/// Raw shingle counts of one comparison.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Shared shingles (with multiplicity).
    pub tp: u64,
    /// Extra shingles of the extracted text.
    pub fp: u64,
    /// Missing shingles of the gold.
    pub fn_: u64,
}

/// Compares the shingle multisets of `extracted` and `gold`.
pub fn shingle_match(extracted: &str, gold: &str) -> Counts {
    let mut counts: HashMap<Vec<&str>, (u64, u64)> = HashMap::new();
    for shingle in shingles(extracted) {
        counts.entry(shingle).or_default().0 += 1;
    }
    for shingle in shingles(gold) {
        counts.entry(shingle).or_default().1 += 1;
    }
    let mut out = Counts::default();
    for &(pred, truth) in counts.values() {
        out.tp += pred.min(truth);
        out.fp += pred.saturating_sub(truth);
        out.fn_ += truth.saturating_sub(pred);
    }
    out
}

/// The word tokens of `text`: runs of alphanumeric characters and `_`.
pub fn tokens(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|t| !t.is_empty())
}

fn shingles(text: &str) -> Vec<Vec<&str>> {
    let tokens: Vec<&str> = tokens(text).collect();
    if tokens.is_empty() {
        return Vec::new();
    }
    if tokens.len() < SHINGLE_TOKENS {
        return vec![tokens];
    }
    tokens
        .windows(SHINGLE_TOKENS)
        .map(<[&str]>::to_vec)
        .collect()
}

/// Macro-averaged scores of a set of pages, with the spread.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Summary {
    /// Pages scored.
    pub pages: usize,
    /// Precision averaged over pages.
    pub precision: f64,
    /// Recall averaged over pages.
    pub recall: f64,
    /// Harmonic mean of `precision` and `recall`.
    pub f1: f64,
    /// Half-width of the 95% bootstrap interval of `precision` (1.96
    /// standard deviations over [`BOOTSTRAP_SAMPLES`] resamples of the
    /// pages).
    pub precision_ci: f64,
    /// Half-width of the 95% bootstrap interval of `recall`.
    pub recall_ci: f64,
    /// Half-width of the 95% bootstrap interval of `f1`.
    pub f1_ci: f64,
    /// Lowest per-page F1.
    pub f1_min: f64,
    /// Tenth percentile of per-page F1.
    pub f1_p10: f64,
    /// Median per-page F1.
    pub f1_median: f64,
}

impl Summary {
    /// Summarizes `pages`; all zeros when there are none.
    pub fn new(pages: &[PageScore]) -> Summary {
        let (precision, recall, f1) = averages(pages.iter());
        let mut rng = BOOTSTRAP_SEED;
        let mut samples = [Vec::new(), Vec::new(), Vec::new()];
        if !pages.is_empty() {
            for _ in 0..BOOTSTRAP_SAMPLES {
                let draw = (0..pages.len()).map(|_| {
                    let at = (splitmix64(&mut rng) % pages.len() as u64) as usize;
                    &pages[at]
                });
                let (p, r, f) = averages(draw);
                samples[0].push(p);
                samples[1].push(r);
                samples[2].push(f);
            }
        }
        let mut per_page: Vec<f64> = pages.iter().map(PageScore::f1).collect();
        per_page.sort_by(f64::total_cmp);
        let quantile = |q: f64| {
            if per_page.is_empty() {
                0.0
            } else {
                per_page[((per_page.len() - 1) as f64 * q).round() as usize]
            }
        };
        Summary {
            pages: pages.len(),
            precision,
            recall,
            f1,
            precision_ci: 1.96 * stdev(&samples[0]),
            recall_ci: 1.96 * stdev(&samples[1]),
            f1_ci: 1.96 * stdev(&samples[2]),
            f1_min: quantile(0.0),
            f1_p10: quantile(0.1),
            f1_median: quantile(0.5),
        }
    }
}

fn averages<'a>(pages: impl Iterator<Item = &'a PageScore>) -> (f64, f64, f64) {
    let (mut p_sum, mut p_n, mut r_sum, mut r_n) = (0.0, 0usize, 0.0, 0usize);
    for page in pages {
        if page.has_precision() {
            p_sum += page.precision();
            p_n += 1;
        }
        if page.has_recall() {
            r_sum += page.recall();
            r_n += 1;
        }
    }
    let mean = |sum: f64, n: usize| if n == 0 { 0.0 } else { sum / n as f64 };
    let (p, r) = (mean(p_sum, p_n), mean(r_sum, r_n));
    (p, r, harmonic(p, r))
}

fn harmonic(a: f64, b: f64) -> f64 {
    if a + b == 0.0 {
        0.0
    } else {
        2.0 * a * b / (a + b)
    }
}

fn stdev(values: &[f64]) -> f64 {
    if values.len() < 2 {
        return 0.0;
    }
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (values.len() - 1) as f64;
    var.sqrt()
}

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_word_runs_with_case() {
        let t: Vec<&str> = tokens("Don't stop—Über_alles 42, São Paulo! 서울").collect();
        assert_eq!(
            t,
            [
                "Don",
                "t",
                "stop",
                "Über_alles",
                "42",
                "São",
                "Paulo",
                "서울"
            ]
        );
    }

    #[test]
    fn counts_are_multisets() {
        // "a b c d" twice against once: one extra copy is a false positive.
        let c = shingle_match("a b c d. a b c d", "a b c d");
        // Shingles of the extracted text: abcd, bcda, cdab, dabc, abcd.
        assert_eq!(
            c,
            Counts {
                tp: 1,
                fp: 4,
                fn_: 0
            }
        );
    }

    #[test]
    fn short_texts_are_one_shingle() {
        assert_eq!(
            shingle_match("a b", "a b"),
            Counts {
                tp: 1,
                fp: 0,
                fn_: 0
            }
        );
        assert_eq!(
            shingle_match("a b", "a c"),
            Counts {
                tp: 0,
                fp: 1,
                fn_: 1
            }
        );
    }

    #[test]
    fn empty_cases_follow_the_benchmark() {
        let both = PageScore::new("", "");
        assert_eq!((both.precision(), both.recall()), (1.0, 1.0));
        let nothing_extracted = PageScore::new("", "a b c d e");
        assert_eq!(nothing_extracted.recall(), 0.0);
        assert!(!nothing_extracted.has_precision());
        let s = Summary::new(&[nothing_extracted, PageScore::new("a b c d e", "a b c d e")]);
        assert_eq!(s.precision, 1.0);
        assert_eq!(s.recall, 0.5);
    }

    #[test]
    fn summary_is_deterministic_and_spread_is_sane() {
        let pages: Vec<PageScore> = (0..20)
            .map(|i| {
                let extra = "x ".repeat(i);
                PageScore::new(
                    &format!("{extra} one two three four five six"),
                    "one two three four five six",
                )
            })
            .collect();
        let a = Summary::new(&pages);
        assert_eq!(a, Summary::new(&pages));
        assert_eq!(a.recall, 1.0);
        assert!(a.precision < 1.0 && a.precision_ci > 0.0);
        assert!(a.f1_min <= a.f1_p10 && a.f1_p10 <= a.f1_median);
        assert_eq!(Summary::new(&[]).pages, 0);
    }
}
