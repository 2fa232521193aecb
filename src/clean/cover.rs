//! The coverage decision: is a paragraph, nearly all of it, a passage of
//! ONE earlier article?
//!
//! # Evidence
//!
//! For a paragraph P (not short, not an exact duplicate) every earlier
//! article that shares a winnowed fingerprint with P is a candidate source
//! (an earlier paragraph of P's own article counts as an article). For the
//! [`MAX_SOURCES`] candidates sharing the most fingerprints, the evidence is
//! measured exactly ([`Evidence`]):
//!
//! * **shingle coverage**: the share of P's word 5-gram shingles found in
//!   the source's paragraphs that share a fingerprint with P (its
//!   *covering* paragraphs);
//! * **word coverage**: the share of P's words matched, in order, in a word
//!   alignment (a longest common subsequence, bit-parallel, with a
//!   traceback that keeps runs together) of P with the covering
//!   paragraphs joined in their order. Isolated matches of single words far
//!   from any other match ("said" forty words away) do not count; an
//!   attribution of at most six words ("the company said", "according to
//!   officials") counts as matched, added, dropped or moved alike;
//! * **guards** ([`Guard`]): in the alignment, a short replacement (a run
//!   of P's words standing where a run of at most `max(3, 2 × |P run|)`
//!   source words stood) that swaps a figure for another figure
//!   ([`Guard::Figure`]: a dividend, a rate, a date) or names for
//!   differently spelled names (both runs mostly names; [`Guard::Name`]:
//!   another company, city or person; only in paragraphs of at most
//!   [`NAME_GUARD_MAX_WORDS`] words, as templated records are short lines)
//!   marks a templated record whose differing words are its information.
//!
//! # The rule
//!
//! [`sweep`] takes the evidence sorted by the later paragraph; for each
//! paragraph it ranks the sources by shingle coverage (highest first, then
//! the earliest article). The first source with shingle coverage at least
//! [`CoverRule::candidate`] and word coverage at least
//! [`CoverRule::coverage`] decides: P is a repeat of it unless a guard
//! fired, in which case P stays (the closest earlier text is the one that
//! shows what changed). Removed paragraphs remain sources: whether P
//! repeats earlier *input* does not depend on what the cleaner did with
//! that input, so the evidence is a function of the input alone and a
//! paragraph wrongly removed as a near copy of a templated line does not
//! hide a later true copy of itself. What a removal names in `duplicate_of`
//! is always kept text: the kept copy of the best covering paragraph.

use crate::removal::{DocId, ParagraphRef};
use crate::shingle::tokens::{CASE, FIGURE, NAME, same_word, spelling_similarity, word_token};
use crate::shingle::{KeyNumbers, has_bit, set_bit};

/// Candidate sources measured exactly per paragraph, at most. The source
/// that decides is nearly always among the first four by fingerprints
/// shared (96% on the dev set with eight measured; the README gives the
/// figures), and each candidate measured costs a load, a probe and often an
/// alignment.
pub const MAX_SOURCES: usize = 4;
/// A replacement's source side may be this many words long at least...
pub const REPLACEMENT_WORDS: usize = 3;
/// ...or this many times the paragraph's side.
pub const REPLACEMENT_RATIO: usize = 2;
/// Spelling similarity (Dice of character bigrams) below which two names
/// are different names rather than two spellings of one.
pub const NAME_SIMILARITY: f64 = 0.5;
/// A single matched word counts only with at most this many unmatched
/// source words on either side of it.
pub const ANCHOR_GAP: usize = 3;
/// Longest attribution clause, in words, that counts as matched.
pub const ATTRIBUTION_WORDS: usize = 6;
/// Paragraphs longer than this (in words) are prose, not templated
/// records: one name replaced in them is an edit, and [`Guard::Name`] does
/// not apply.
pub const NAME_GUARD_MAX_WORDS: usize = 60;
/// Paragraphs longer than this (in tokens), or sources longer than
/// [`MAX_ALIGN_SOURCE`], are not aligned: their word coverage is their
/// shingle coverage and no guard applies. Bounds the diff's cost on
/// hostile input.
pub const MAX_ALIGN_WORDS: usize = 1_000;
/// See [`MAX_ALIGN_WORDS`].
pub const MAX_ALIGN_SOURCE: usize = 8_000;

/// Thresholds of the coverage decision.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CoverRule {
    /// Word coverage at or above which P repeats its source.
    pub coverage: f64,
    /// Shingle coverage a source needs to be considered at all.
    pub candidate: f64,
}

/// Why a source that covers a paragraph does not make it a repeat.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Guard {
    /// A figure stands where the source has another figure.
    Figure,
    /// A name stands where the source has another name.
    Name,
}

/// What one earlier article holds of a later paragraph, measured exactly.
#[derive(Clone, Debug, PartialEq)]
pub struct Evidence {
    /// The paragraph that comes later in input order.
    pub later: ParagraphRef,
    /// The earlier article.
    pub source: DocId,
    /// Its covering paragraph with the most of P's shingles (the earliest
    /// on ties).
    pub best: ParagraphRef,
    /// The kept copy of `best` (itself when it was kept).
    pub kept_copy: ParagraphRef,
    /// Every covering paragraph, in order.
    pub paragraphs: Vec<ParagraphRef>,
    /// Jaccard similarity of P's shingles and `best`'s.
    pub similarity: f64,
    /// Share of P's shingles found in the covering paragraphs.
    pub shingle_coverage: f64,
    /// Share of P's words matched in order (see the module docs).
    pub word_coverage: f64,
    /// The guard that fired, if any.
    pub guard: Option<Guard>,
}

/// One repeat decided by [`sweep`].
#[derive(Clone, Debug, PartialEq)]
pub struct CoverDecision {
    /// The evidence that decided it.
    pub evidence: Evidence,
}

impl CoverRule {
    /// Whether a source with these measures decides the paragraph (as a
    /// repeat, or kept by a guard).
    pub fn decides(&self, e: &Evidence) -> bool {
        e.shingle_coverage >= self.candidate && e.word_coverage >= self.coverage
    }
}

/// Applies the rule to evidence sorted by `later` (any order within one
/// later paragraph): the paragraphs that repeat an earlier article.
///
/// ```
/// use newsdedup::clean::{sweep, CoverRule, Evidence, Guard};
/// use newsdedup::{DocId, ParagraphRef};
/// let p = |doc, paragraph| ParagraphRef { doc: DocId(doc), paragraph };
/// let e = |later, doc, s, w, guard| Evidence {
///     later, source: DocId(doc), best: p(doc, 0), kept_copy: p(doc, 0),
///     paragraphs: vec![p(doc, 0)], similarity: s, shingle_coverage: s, word_coverage: w, guard,
/// };
/// let rule = CoverRule { coverage: 0.75, candidate: 0.3 };
/// let evidence = [
///     e(p(2, 0), 0, 0.6, 0.9, None),
///     e(p(2, 0), 1, 0.8, 0.95, Some(Guard::Figure)), // the closest source: a figure changed
///     e(p(3, 0), 0, 0.5, 0.8, None),
/// ];
/// let decisions = sweep(&evidence, &rule);
/// assert_eq!(decisions.len(), 1);
/// assert_eq!(decisions[0].evidence.later, p(3, 0));
/// ```
pub fn sweep(evidence: &[Evidence], rule: &CoverRule) -> Vec<CoverDecision> {
    debug_assert!(
        evidence.windows(2).all(|w| w[0].later <= w[1].later),
        "evidence must be sorted by the later paragraph"
    );
    let mut decisions = Vec::new();
    for group in evidence.chunk_by(|a, b| a.later == b.later) {
        if let Some(e) = decide(group, rule) {
            decisions.push(CoverDecision {
                evidence: e.clone(),
            });
        }
    }
    decisions
}

/// The evidence that makes one paragraph a repeat, if any.
pub(crate) fn decide<'a>(group: &'a [Evidence], rule: &CoverRule) -> Option<&'a Evidence> {
    // The closest source decides: best shingle coverage, then the earliest.
    let deciding = group.iter().filter(|e| rule.decides(e)).min_by(|a, b| {
        b.shingle_coverage
            .total_cmp(&a.shingle_coverage)
            .then(a.source.cmp(&b.source))
    })?;
    deciding.guard.is_none().then_some(deciding)
}

/// Tokens of the words that attribute a statement.
#[derive(Clone, Debug)]
pub(crate) struct Attribution {
    /// The verbs' tokens, case flags masked, sorted.
    verbs: Vec<u32>,
    /// A one-hash bitmap of `verbs`: most words are turned away by one bit.
    verb_bits: [u64; 4],
    according: u32,
    to: u32,
}

/// The bit of a (masked) token in [`Attribution::verb_bits`].
fn verb_bit(token: u32) -> usize {
    (token >> 8) as usize % 256
}

impl Attribution {
    pub(crate) fn new() -> Attribution {
        let verbs = [
            // English first; the commonest verbs of reported speech of the
            // languages with stop-word lists.
            "said",
            "says",
            "say",
            "added",
            "adds",
            "told",
            "stated",
            "reported",
            "noted",
            "explained",
            "announced",
            "dijo",
            "afirmó",
            "disse",
            "afirmou",
            "sagte",
            "erklärte",
            "déclaré",
            "indiqué",
            "detto",
            "ha",
            "сказал",
            "заявил",
        ];
        let mut verbs: Vec<u32> = verbs.iter().map(|w| word_token(w, false) & !CASE).collect();
        verbs.sort_unstable();
        let mut verb_bits = [0; 4];
        for &v in &verbs {
            set_bit(&mut verb_bits, verb_bit(v));
        }
        Attribution {
            verbs,
            verb_bits,
            according: word_token("according", false),
            to: word_token("to", false),
        }
    }

    /// Whether `token` is a verb of saying (asked of every word of every
    /// paragraph aligned).
    fn is_verb(&self, token: u32) -> bool {
        let token = token & !CASE;
        has_bit(&self.verb_bits, verb_bit(token)) && self.verbs.binary_search(&token).is_ok()
    }

    /// Whether `run`, followed by `next`, reads as an attribution clause.
    fn is_clause(&self, run: &[u32], next: Option<u32>) -> bool {
        if run.is_empty() || run.len() > ATTRIBUTION_WORDS {
            return false;
        }
        let last = run[run.len() - 1];
        self.is_verb(last)
            || next.is_some_and(|t| self.is_verb(t))
            || (run.len() >= 2 && same_word(run[0], self.according) && same_word(run[1], self.to))
    }

    /// How many of `para`'s tokens can anchor an attribution clause (a
    /// speech verb, or "according"): each discounted clause needs its own.
    fn anchors(&self, para: &[u32]) -> usize {
        para.iter()
            .filter(|&&t| self.is_verb(t) || same_word(t, self.according))
            .count()
    }
}

/// Buffers of the word alignment, reused across paragraphs.
#[derive(Debug, Default)]
pub(crate) struct AlignScratch {
    /// The prepared paragraph's and the source's tokens without their
    /// case flags.
    para: Vec<u32>,
    source: Vec<u32>,
    /// The paragraph [`AlignScratch::prepare`] was given: per distinct
    /// token the bit mask of its positions (`words` 64-bit words each),
    /// and how many of its words can anchor an attribution clause.
    masks: Vec<u64>,
    /// The distinct tokens, numbered as their masks are. Every source word
    /// is looked up, so a probe or two matter where a binary search took
    /// six unpredictable steps.
    numbers: KeyNumbers,
    words: usize,
    len: usize,
    anchors: usize,
    /// The bit-parallel LCS state after each source token of `source`,
    /// for the alignment's traceback.
    rows: Vec<u64>,
    /// `rows` are those of the prepared paragraph and `source`: the bound
    /// computed them, and the alignment that follows reuses them.
    rows_ready: bool,
    /// The alignment's equal runs.
    runs: Vec<Run>,
}

impl AlignScratch {
    /// Readies [`AlignScratch::coverage_bound`] for paragraph `para`.
    pub(crate) fn prepare(&mut self, para: &[u32], attribution: &Attribution) {
        self.rows_ready = false;
        self.len = para.len();
        self.words = para.len().div_ceil(64);
        self.anchors = attribution.anchors(para);
        mask_into(para, &mut self.para);
        self.masks.clear();
        self.numbers.reset(para.len());
        // Distinct tokens are numbered in order of first occurrence, and a
        // new number gets its mask appended.
        for (i, &token) in self.para.iter().enumerate() {
            let base = self.numbers.number(u64::from(token)) as usize * self.words;
            if base == self.masks.len() {
                self.masks.resize(base + self.words, 0);
            }
            self.masks[base + i / 64] |= 1 << (i % 64);
        }
    }

    /// The bit mask of the prepared paragraph's positions of `token` (flags
    /// masked), when it has the word.
    #[inline]
    fn mask(&self, token: u32) -> Option<&[u64]> {
        let k = self.numbers.get(u64::from(token))? as usize;
        Some(&self.masks[k * self.words..(k + 1) * self.words])
    }

    /// Makes `source` (flags masked) the one aligned with the prepared
    /// paragraph, with the bit-parallel rows of their longest common
    /// subsequence (Allison and Dix 1986; Hyyrö 2004): `|source| ·
    /// ⌈|para| / 64⌉` word operations instead of the diff's `(|para| +
    /// |source|) · D`. A zero bit of a row is a matched position; bits past
    /// the paragraph's length stay one, as their mask bits are zero. When
    /// the rows of this source are there already, nothing is computed.
    fn set_source(&mut self, source: &[u32]) {
        let same = self.rows_ready
            && self.source.len() == source.len()
            && self
                .source
                .iter()
                .zip(source)
                .all(|(&a, &b)| a == b & !CASE);
        if same {
            return;
        }
        mask_into(source, &mut self.source);
        let words = self.words;
        let mut rows = std::mem::take(&mut self.rows);
        rows.clear();
        rows.resize((self.source.len() + 1) * words, u64::MAX);
        for (i, &token) in self.source.iter().enumerate() {
            let (done, rest) = rows.split_at_mut((i + 1) * words);
            let prev = &done[i * words..];
            let next = &mut rest[..words];
            let Some(mask) = self.mask(token) else {
                next.copy_from_slice(prev);
                continue;
            };
            let mut carry = false;
            for ((v, &x), &m) in next.iter_mut().zip(prev).zip(mask) {
                *v = lcs_step(x, m, &mut carry);
            }
        }
        self.rows = rows;
        self.rows_ready = true;
    }

    /// Length of a longest common subsequence of the prepared paragraph
    /// and the [source](Self::set_source).
    fn lcs_len(&self) -> usize {
        let last = &self.rows[self.rows.len() - self.words..];
        last.iter().map(|v| v.count_zeros() as usize).sum()
    }

    /// The equal runs of one longest common subsequence of the prepared
    /// paragraph and the [source](Self::set_source), into `self.runs` in
    /// order: a traceback over the rows of [`Self::set_source`] from the
    /// end that, outside a run, skips a source word where that keeps the
    /// length, and otherwise prefers a match, then a source word skipped,
    /// then a paragraph word skipped; inside a run it extends the run
    /// first.
    fn lcs_runs(&mut self) {
        let words = self.words;
        let (para, source) = (&self.para, &self.source);
        let m = source.len();
        let rows = &self.rows;
        // LCS of source[..i] and para[..j]: the zero bits of row i below j.
        let lcs = |i: usize, j: usize| -> usize {
            let row = &rows[i * words..(i + 1) * words];
            let full = j / 64;
            let mut zeros: usize = row[..full].iter().map(|v| v.count_zeros() as usize).sum();
            if !j.is_multiple_of(64) {
                zeros += (!row[full] & ((1u64 << (j % 64)) - 1)).count_ones() as usize;
            }
            zeros
        };
        let runs = &mut self.runs;
        runs.clear();
        let (mut i, mut j) = (m, para.len());
        let mut here = lcs(i, j);
        while i > 0 && j > 0 && here > 0 {
            let extends = runs
                .last()
                .is_some_and(|run| run.source == i && run.para == j);
            if !extends && lcs(i - 1, j) == here {
                i -= 1;
            } else if source[i - 1] == para[j - 1] && lcs(i - 1, j - 1) + 1 == here {
                i -= 1;
                j -= 1;
                here -= 1;
                match runs.last_mut() {
                    Some(run) if run.source == i + 1 && run.para == j + 1 => {
                        run.source = i;
                        run.para = j;
                        run.len += 1;
                    }
                    _ => runs.push(Run {
                        source: i,
                        para: j,
                        len: 1,
                    }),
                }
            } else if lcs(i - 1, j) == here {
                i -= 1;
            } else {
                j -= 1;
            }
        }
        runs.reverse();
    }

    /// An upper bound of [`align`]'s word coverage of the prepared
    /// paragraph by `source`, far cheaper than the alignment: matched words
    /// are at most the longest common subsequence, and each discounted
    /// attribution clause has at most [`ATTRIBUTION_WORDS`] words and an
    /// anchor of its own.
    pub(crate) fn coverage_bound(&mut self, source: &[u32]) -> f64 {
        if self.len == 0 {
            return 0.0;
        }
        self.set_source(source);
        let bound = self.lcs_len() + ATTRIBUTION_WORDS * self.anchors;
        bound.min(self.len) as f64 / self.len as f64
    }
}

/// One 64-bit word of a bit-parallel LCS row update: `x` the row before
/// the source token, `m` the token's positions in the paragraph, `carry`
/// from the word below.
#[inline]
fn lcs_step(x: u64, m: u64, carry: &mut bool) -> u64 {
    let (sum, c1) = x.overflowing_add(x & m);
    let (sum, c2) = sum.overflowing_add(u64::from(*carry));
    *carry = c1 || c2;
    sum | (x & !m)
}

/// `tokens` without their case flags, which spellings of a word need not
/// share.
fn mask_into(tokens: &[u32], out: &mut Vec<u32>) {
    out.clear();
    out.extend(tokens.iter().map(|t| t & !CASE));
}

/// An equal run of the alignment: `len` tokens from `source` in the
/// source and `para` in the paragraph.
#[derive(Clone, Copy, Debug)]
struct Run {
    source: usize,
    para: usize,
    len: usize,
}

/// Word coverage of `para` by `source` and the guard that fires, from a
/// word alignment. `bloom` gives the spelling Bloom filter of a name token,
/// `common` whether a word was seen in lowercase. `scratch` must be
/// [prepared](AlignScratch::prepare) for `para`.
pub(crate) fn align(
    para: &[u32],
    source: &[u32],
    attribution: &Attribution,
    bloom: &dyn Fn(u32) -> u64,
    common: &dyn Fn(u32) -> bool,
    scratch: &mut AlignScratch,
) -> (f64, Option<Guard>) {
    let n = para.len();
    if n == 0 {
        return (0.0, None);
    }
    scratch.set_source(source);
    scratch.lcs_runs();
    let runs = &scratch.runs;
    let mut matched = 0;
    let mut discounted = 0;
    let mut guard = None;
    // Gaps before, between and after the runs.
    let mut prev = (0usize, 0usize); // (para end, source end) of the previous run
    for k in 0..=runs.len() {
        let (para_start, source_start) = runs
            .get(k)
            .map_or((n, source.len()), |r| (r.para, r.source));
        let a = prev.0..para_start;
        let b = prev.1..source_start;
        if !a.is_empty() {
            if attribution.is_clause(&para[a.clone()], para.get(a.end).copied()) {
                discounted += a.len();
            }
            // An attribution that swaps one speaker's name or figure for
            // another's ("Sun Co said" / "Phillips Petroleum said") is a
            // templated line all the same.
            if !b.is_empty()
                && b.len() <= REPLACEMENT_WORDS.max(REPLACEMENT_RATIO * a.len())
                && guard.is_none()
            {
                // The words before both runs are one matched word.
                let after_name = a.start > 0
                    && b.start > 0
                    && (para[a.start - 1] | source[b.start - 1]) & NAME != 0;
                // Both paragraphs open with the replacement, and the
                // source's next word is no name.
                let opening = a.start == 0
                    && b.start == 0
                    && source.get(b.end).is_some_and(|&t| t & NAME == 0);
                guard = replacement_guard(
                    &para[a.clone()],
                    &source[b.clone()],
                    Context {
                        after_name,
                        opening,
                        prose: n > NAME_GUARD_MAX_WORDS,
                    },
                    bloom,
                    common,
                );
            }
        }
        if let Some(r) = runs.get(k) {
            let anchored = r.len >= 2 || {
                let before = r.source - prev.1;
                let after =
                    runs.get(k + 1).map_or(source.len(), |next| next.source) - (r.source + 1);
                before <= ANCHOR_GAP && after <= ANCHOR_GAP
            };
            if anchored {
                matched += r.len;
            }
            prev = (r.para + r.len, r.source + r.len);
        }
    }
    let coverage = ((matched + discounted) as f64 / n as f64).min(1.0);
    (coverage, guard)
}

/// Where a replacement stands in the alignment.
#[derive(Clone, Copy, Debug)]
struct Context {
    /// The matched word just before the replacement is a name.
    after_name: bool,
    /// The replacement opens both paragraphs, and the source word after it
    /// is no name.
    opening: bool,
    /// The paragraph is longer than [`NAME_GUARD_MAX_WORDS`].
    prose: bool,
}

/// The guard a replacement of `source` words by `para` words fires.
fn replacement_guard(
    para: &[u32],
    source: &[u32],
    context: Context,
    bloom: &dyn Fn(u32) -> u64,
    common: &dyn Fn(u32) -> bool,
) -> Option<Guard> {
    let has = |run: &[u32], flag: u32| run.iter().any(|t| t & flag != 0);
    if has(para, FIGURE) && has(source, FIGURE) {
        return Some(Guard::Figure);
    }
    // Words replaced right after a name that both texts share are a part
    // of one name edited ("Chrysler Aside" for "Chrysler Corp", "President
    // Said Brodsky" for "President William Brodsky"); another company or
    // person is named afresh ("Sun Co said" / "Phillips Petroleum said").
    // Figures are the information of tables and forecasts of any length;
    // one name in a long paragraph is a small part of it.
    if context.after_name || context.prose {
        return None;
    }
    // One capitalized word the corpus also writes in lowercase, standing
    // for one name, is a word edited in, not another name ("Economy are
    // now" for "Banks are now"). So is one name standing for the opening
    // word of a paragraph that the corpus writes in lowercase, when no name
    // follows it ("Aca said shares" for "Brokers said shares"): the first
    // word of a paragraph is capitalized whatever it is. Longer names made
    // of common words ("First Chicago", "Credit Suisse"), and an opening
    // word that starts a longer name ("Heart Federal Savings"), stay names.
    let single_common = para.len() == 1
        && source.len() == 1
        && (common(para[0]) || (context.opening && common(source[0])));
    let is_name = |t: &u32| *t & NAME != 0 && !single_common;
    // Names must be most of both sides: a name swapped for another name
    // ("Atari Corp" / "Micropolis Corp"), not a phrase reworded around one
    // ("American officials" / "talks on Capitol Hill").
    let mostly_names = |run: &[u32]| 2 * run.iter().filter(|t| is_name(t)).count() > run.len();
    if mostly_names(para) && mostly_names(source) {
        // Another name: one of P's names is no spelling of any of the
        // source's ("Credit Suisse" / "Swiss Bank Corp"); a spelling fix
        // ("Fidelcor" / "Fieldcor") is not.
        let names = |run: &[u32]| {
            run.iter()
                .filter(|t| is_name(t))
                .map(|&t| bloom(t))
                .collect::<Vec<_>>()
        };
        let theirs = names(source);
        let other = names(para).into_iter().any(|mine| {
            theirs
                .iter()
                .all(|&their| spelling_similarity(mine, their) < NAME_SIMILARITY)
        });
        if other {
            return Some(Guard::Name);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shingle::tokens::bigram_bloom;

    /// Tokens of a sentence; words written with a capital are names.
    fn tokens(text: &str) -> Vec<u32> {
        text.split(' ')
            .map(|w| {
                let name = w.chars().next().is_some_and(char::is_uppercase);
                word_token(&w.to_lowercase(), name)
            })
            .collect()
    }

    fn measure(para: &str, source: &str) -> (f64, Option<Guard>) {
        measure_with(para, source, &[])
    }

    /// [`measure`] in a corpus that has written the `common` words in
    /// lowercase.
    fn measure_with(para: &str, source: &str, common: &[&str]) -> (f64, Option<Guard>) {
        let words: Vec<String> = format!("{para} {source}")
            .split(' ')
            .map(str::to_lowercase)
            .collect();
        let bloom = |t: u32| {
            words
                .iter()
                .find(|w| same_word(word_token(w, false), t))
                .map_or(0, |w| bigram_bloom(w))
        };
        let common = |t: u32| common.iter().any(|w| same_word(word_token(w, false), t));
        let attribution = Attribution::new();
        let mut scratch = AlignScratch::default();
        scratch.prepare(&tokens(para), &attribution);
        align(
            &tokens(para),
            &tokens(source),
            &attribution,
            &bloom,
            &common,
            &mut scratch,
        )
    }

    #[test]
    fn truncation_and_attribution_are_covered() {
        let (c, g) = measure(
            "the port reopened on monday after the storm the company said",
            "officials in the capital confirmed that the port reopened on monday after the storm had passed",
        );
        assert_eq!((c, g), (1.0, None));
    }

    #[test]
    fn templated_records_fire_guards() {
        let (_, g) = measure(
            "qtly div 18 cts vs 15 cts prior pay april one",
            "qtly div 15 cts vs 15 cts prior pay april one",
        );
        assert_eq!(g, Some(Guard::Figure));
        let (_, g) = measure(
            "Atari Corp said it filed a registration statement covering convertible debentures",
            "Micropolis Corp said it filed a registration statement covering convertible debentures",
        );
        assert_eq!(g, Some(Guard::Name));
        // A spelling fix is no other name; ten and 10 are one figure.
        let (c, g) = measure(
            "the Fidelcor unit sold ten branches in the region last year",
            "the Fieldcor unit sold 10 branches in the region last year",
        );
        assert_eq!(g, None);
        assert!(c > 0.85);
    }

    #[test]
    fn an_edited_part_of_a_name_is_no_other_name() {
        // After a name both share: one name edited, not another company.
        let (_, g) = measure(
            "Chrysler Aside said it is escalating its war with parts counterfeiters",
            "Chrysler Corp said it is escalating its war with parts counterfeiters",
        );
        assert_eq!(g, None);
        // Named afresh: another company.
        let (_, g) = measure(
            "Sun Co said it raised the contract price it will pay for crude oil",
            "Phillips Petroleum said it raised the contract price it will pay for crude oil",
        );
        assert_eq!(g, Some(Guard::Name));
        // One common word where one name stood is an edit...
        let sentence =
            |first| format!("{first} are now not permitted to lend to any party on the list");
        let (_, g) = measure_with(&sentence("Economy"), &sentence("Banks"), &["economy"]);
        assert_eq!(g, None);
        // ...unless the corpus never writes it in lowercase.
        let (_, g) = measure_with(&sentence("Economy"), &sentence("Banks"), &[]);
        assert_eq!(g, Some(Guard::Name));
        // Names of several words stay names, common words or not.
        let (_, g) = measure_with(
            "the lead manager Credit Suisse said the notes pay an indicated coupon",
            "the lead manager Swiss Bank Corp said the notes pay an indicated coupon",
            &["credit", "bank"],
        );
        assert_eq!(g, Some(Guard::Name));
    }

    #[test]
    fn an_opening_common_word_is_no_name() {
        // The first word of a paragraph is capitalized whatever it is: a
        // name standing for one the corpus writes in lowercase is an edit...
        let tail = "said shares of suppliers of scientific instruments rose sharply";
        let (_, g) = measure_with(
            &format!("Aca {tail}"),
            &format!("Brokers {tail}"),
            &["brokers"],
        );
        assert_eq!(g, None);
        // ...but not when it opens a longer name ("Heart Federal Savings"),
        let tail = "Federal Savings said its board declared a stock split";
        let (_, g) = measure_with(
            &format!("Valley {tail}"),
            &format!("Heart {tail}"),
            &["heart"],
        );
        assert_eq!(g, Some(Guard::Name));
        // nor inside a paragraph ("to Banner Industries" / "to Oak Industries").
        let line = |buyer| format!("Rexnord said it agreed to sell its unit to {buyer} Industries");
        let (_, g) = measure_with(&line("Banner"), &line("Oak"), &["oak"]);
        assert_eq!(g, Some(Guard::Name));
    }

    #[test]
    fn one_name_in_long_prose_is_an_edit() {
        let filler = "and the plan was discussed at length by the board during the meeting held in the capital on a cold morning".repeat(3);
        let (_, g) = measure(
            &format!("Gandalf Technologies said it would expand {filler}"),
            &format!("Hawkins Technologies said it would expand {filler}"),
        );
        assert_eq!(g, None);
        // Figures stay the information of a paragraph of any length (a
        // table row, a forecast).
        let (_, g) = measure(
            &format!("imports were 12 mln tonnes {filler}"),
            &format!("imports were 10 mln tonnes {filler}"),
        );
        assert_eq!(g, Some(Guard::Figure));
    }

    /// The textbook dynamic program.
    fn lcs_table(a: &[u32], b: &[u32]) -> usize {
        let mut row = vec![0usize; b.len() + 1];
        for x in a {
            let mut diagonal = 0;
            for (j, y) in b.iter().enumerate() {
                let up = row[j + 1];
                row[j + 1] = if x == y { diagonal + 1 } else { up.max(row[j]) };
                diagonal = up;
            }
        }
        row[b.len()]
    }

    #[test]
    fn bit_parallel_lcs_and_its_traceback_equal_the_dynamic_program() {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n) as u32
        };
        let mut scratch = AlignScratch::default();
        let attribution = Attribution::new();
        for case in 0..400 {
            // Small alphabets force repeats; lengths cross word boundaries.
            let alphabet = 2 + u64::from(next(12));
            let a: Vec<u32> = (0..next(150)).map(|_| next(alphabet)).collect();
            let b: Vec<u32> = (0..next(150)).map(|_| next(alphabet)).collect();
            // Tokens without the case flags, as the alignment sees them.
            let a: Vec<u32> = a.iter().map(|t| t << 3).collect();
            let b: Vec<u32> = b.iter().map(|t| t << 3).collect();
            scratch.prepare(&a, &attribution);
            let expected = lcs_table(&a, &b);
            scratch.set_source(&b);
            assert_eq!(scratch.lcs_len(), expected, "case {case}: {a:?} / {b:?}");
            // The traceback's runs are a common subsequence that long, in
            // order, of equal tokens.
            scratch.lcs_runs();
            let runs = &scratch.runs;
            assert_eq!(
                runs.iter().map(|r| r.len).sum::<usize>(),
                expected,
                "case {case}"
            );
            for pair in runs.windows(2) {
                assert!(pair[0].para + pair[0].len <= pair[1].para, "case {case}");
                assert!(
                    pair[0].source + pair[0].len <= pair[1].source,
                    "case {case}"
                );
            }
            for r in runs {
                assert_eq!(a[r.para..r.para + r.len], b[r.source..r.source + r.len]);
            }
        }
    }

    #[test]
    fn bound_is_at_least_the_coverage() {
        let pairs = [
            (
                "the port reopened on monday after the storm the company said",
                "officials in the capital confirmed that the port reopened on monday after the storm had passed",
            ),
            (
                "proceeds will reduce bank debt sterling said",
                "proceeds will reduce debt the company makes specialty steel and it is one of the largest makers said",
            ),
            (
                "qtly div 18 cts vs 15 cts prior pay april one",
                "a different line entirely",
            ),
        ];
        for (para, source) in pairs {
            let (coverage, _) = measure(para, source);
            let mut scratch = AlignScratch::default();
            scratch.prepare(&tokens(para), &Attribution::new());
            let bound = scratch.coverage_bound(&tokens(source));
            assert!(bound >= coverage, "{para}: {bound} < {coverage}");
        }
    }

    #[test]
    fn isolated_far_matches_do_not_count() {
        let (c, _) = measure(
            "proceeds will reduce bank debt sterling said",
            "proceeds will reduce debt the company makes specialty steel and it is one of the largest makers said",
        );
        // "said" is an attribution (the run before it is new); "bank" and
        // "sterling" are not matched.
        assert!(c < 0.75, "{c}");
    }
}
