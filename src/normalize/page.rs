//! Page mode: finding the article in a whole page's text.
//!
//! A scraper that keeps a page's text hands over the article with menus,
//! bylines, share bars, "Most read" lists, newsletter boxes, comments and
//! footers around it. Page mode classifies every paragraph (in page text,
//! every line) in four steps:
//!
//! 1. **Prose or not.** Each kept paragraph is measured: length in
//!    characters, share of stop words (the page's language is the
//!    [stop-word list](super::stopwords) that covers most of its words),
//!    whether it ends like a sentence, share of its bytes that were links,
//!    and share of capitals and digits among its letters (a line in
//!    capitals or mostly figures that does not end like a sentence is a
//!    label or a timestamp). The classes are
//!    those of jusText (Pomikálek, 2011), with its length bounds and link
//!    density: *good* (long, dense in stop words, ending like a sentence),
//!    *near-good*, *short* and *bad*. Its stop-word bars are set relative
//!    to the page's own prose ([`STOP_LOW`], [`STOP_HIGH`]), a short line
//!    that is a sentence of four words or more is near-good, and a long
//!    sentence thin in stop words is near-good rather than bad. Lines a
//!    boilerplate rule removed are *bad*.
//! 2. **Context.** A short paragraph between good ones stays (subheads,
//!    bylines and datelines inside the article, one-line quotes); near-good
//!    ones stay unless both neighbours are bad; at the edges they go.
//! 3. **End of article.** A rule marked `ends_article` (a comment form, a
//!    "Comments" heading) matched after the article has started ends it:
//!    that paragraph and all after it go. A heading in a row of lines that
//!    rules removed ("Comments", "Print", "Email") is a button and does
//!    not; a comment byline ("joe says:") must match twice.
//! 4. **The article block.** The article is the stretch of paragraphs with
//!    the most prose: the maximum-sum run where a good paragraph counts its
//!    length and any other counts minus its length and a fixed
//!    [`LINE_PENALTY`]. Good paragraphs outside it (teasers of other
//!    stories, comments) go as `page-outside-article`; bad ones everywhere
//!    as `page-not-prose`.
//!
//! A text with fewer than [`MIN_FURNITURE`] paragraphs of furniture (rule
//! matches, and menus: runs of [`MENU_RUN`] or more entries of at most
//! [`MENU_MAX_WORDS`] words) is not a page
//! but an article: page mode leaves it to the rules, as article mode does.
//!
//! The page's headline (the last paragraph before the article that its
//! first line, the page title, contains) goes as `page-headline`, unless
//! the normalizer keeps headlines.

use crate::normalize::NormalizedParagraph;
use crate::normalize::matching_key;
use crate::normalize::rules::{Match, Rule, RuleSet};
use crate::normalize::stopwords::LANGUAGES;
use crate::removal::{RemovalKind, RuleId};
use crate::shingle::{HashTable, text_hash};

/// Rule named for paragraphs that are not prose.
pub const NOT_PROSE_RULE: RuleId = RuleId::from_static("page-not-prose");
/// Rule named for prose outside the article block.
pub const OUTSIDE_RULE: RuleId = RuleId::from_static("page-outside-article");
/// Rule named for the page's headline, when headlines are not kept.
pub const HEADLINE_RULE: RuleId = RuleId::from_static("page-headline");

/// Paragraphs shorter than this, in characters, are *short*.
pub const LENGTH_LOW: usize = 70;
/// Paragraphs longer than this are *good* when dense in stop words, even
/// without sentence-final punctuation.
pub const LENGTH_HIGH: usize = 200;
/// Stop-word share, relative to the page's prose, below which a paragraph
/// is *bad*.
pub const STOP_LOW: f64 = 0.55;
/// Stop-word share, relative to the page's prose, at or above which a long
/// paragraph is *good*.
pub const STOP_HIGH: f64 = 0.65;
/// Stop-word share of prose assumed for a page with no paragraph long
/// enough to measure its own (about that of English news with the English
/// list).
pub const DEFAULT_PROSE_DENSITY: f64 = 0.40;
/// Share of a paragraph's bytes in links above which it is *bad*.
pub const MAX_LINK_DENSITY: f64 = 0.2;
/// Share of capitals among the cased letters of a line not ending like a
/// sentence above which it is *bad*.
pub const MAX_CAPITALS: f64 = 0.8;
/// Fewest cased letters for the share of capitals to count.
pub const MIN_CASED_LETTERS: usize = 4;
/// Share of digits among the letters and digits of a line not ending like
/// a sentence above which it is *bad*.
pub const MAX_DIGITS: f64 = 0.5;
/// Share of a page's words that its best stop-word list must cover for the
/// page to be judged with it.
pub const MIN_LANGUAGE_COVER: f64 = 0.08;
/// Fewest words of a short paragraph ending like a sentence for it to be
/// near-good rather than short.
pub const SENTENCE_MIN_WORDS: usize = 4;
/// Paragraphs above the article searched for the headline.
pub const HEADLINE_WINDOW: usize = 8;
/// Most words of a menu entry.
pub const MENU_MAX_WORDS: usize = 3;
/// Fewest menu entries in a row that make a menu.
pub const MENU_RUN: usize = 3;
/// Fewest paragraphs of page furniture (rule matches, entries of menus) for
/// a text to be treated as a page. A news page's menus, section lists and
/// footer run to dozens of entries; an article has at most a few short
/// lists.
pub const MIN_FURNITURE: usize = 10;
/// Most short paragraphs in a row that prose on both sides keeps.
pub const MAX_SHORT_RUN: usize = 4;
/// Longest list introduced by a line ending in a colon, in paragraphs.
pub const MAX_LIST_ITEMS: usize = 60;
/// Characters of good paragraphs needed before a rule can end the article.
pub const ARTICLE_STARTED_CHARS: usize = 300;
/// Cost of a non-prose paragraph inside the article block, on top of its
/// length: a run of menu lines splits the page, one stray line does not.
pub const LINE_PENALTY: i64 = 40;

/// A paragraph's class.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    Good,
    NearGood,
    Short,
    Bad,
}

/// Languages with a stop-word list, at most: a word's languages are a bit
/// mask.
const MAX_LANGUAGES: usize = 16;

/// Stop-word lists, built once per normalizer: each word's hash maps to the
/// languages whose list has it, so a word is looked up once for all.
#[derive(Clone, Debug)]
pub(crate) struct StopWords {
    table: HashTable<u16>,
}

impl StopWords {
    pub(crate) fn new() -> StopWords {
        assert!(LANGUAGES.len() <= MAX_LANGUAGES, "a u16 mask per word");
        let mut table = HashTable::default();
        for (bit, language) in LANGUAGES.iter().enumerate() {
            for word in language.words {
                *table.entry(text_hash(&matching_key(word))).or_insert(0) |= 1 << bit;
            }
        }
        StopWords { table }
    }

    /// Whether `word` (a word of a matching key) is a stop word of any
    /// language.
    pub(crate) fn contains(&self, word: &str) -> bool {
        self.table.contains_key(&text_hash(word))
    }

    /// Counts the stop words of each language in `key`.
    fn count(&self, key: &str) -> [u16; MAX_LANGUAGES] {
        let mut hits = [0u16; MAX_LANGUAGES];
        if key.is_empty() {
            return hits;
        }
        for word in crate::shingle::tokens::key_word_pieces(key) {
            let Some(&mask) = self.table.get(&text_hash(word)) else {
                continue;
            };
            for (bit, hit) in hits.iter_mut().enumerate().take(LANGUAGES.len()) {
                if mask & (1 << bit) != 0 {
                    *hit = hit.saturating_add(1);
                }
            }
        }
        hits
    }
}

/// What the classifier needs of a paragraph, measured once.
struct Measure {
    /// Width of the text in characters, East Asian wide ones counted
    /// twice ([`char_width`]).
    width: usize,
    /// The text ends like a sentence.
    sentence: bool,
    /// Stop words of each language.
    hits: [u16; MAX_LANGUAGES],
    /// Share of capitals among cased letters (0 with fewer than
    /// [`MIN_CASED_LETTERS`]).
    capitals: f64,
    /// Share of digits among letters and digits.
    digits: f64,
}

impl Measure {
    fn new(p: &NormalizedParagraph, stop_words: &StopWords) -> Measure {
        let (mut width, mut upper, mut cased, mut digits, mut alphanumeric) = (0, 0, 0, 0, 0);
        for c in p.text().chars() {
            width += char_width(c);
            if c.is_ascii() {
                // The common case, without Unicode tables.
                alphanumeric += usize::from(c.is_ascii_alphanumeric());
                digits += usize::from(c.is_ascii_digit());
                upper += usize::from(c.is_ascii_uppercase());
                cased += usize::from(c.is_ascii_alphabetic());
                continue;
            }
            if !c.is_alphanumeric() {
                continue;
            }
            alphanumeric += 1;
            if c.is_numeric() {
                digits += 1;
            } else if c.is_uppercase() {
                upper += 1;
                cased += 1;
            } else if c.is_lowercase() {
                cased += 1;
            }
        }
        let share = |part: usize, whole: usize| {
            if whole == 0 {
                0.0
            } else {
                part as f64 / whole as f64
            }
        };
        Measure {
            width,
            sentence: ends_like_sentence(p.text()),
            // Stop words decide only long paragraphs (and the page's
            // language, which menus say little about).
            hits: if width >= LENGTH_LOW {
                stop_words.count(p.key())
            } else {
                [0; MAX_LANGUAGES]
            },
            capitals: if cased < MIN_CASED_LETTERS {
                0.0
            } else {
                share(upper, cased)
            },
            digits: share(digits, alphanumeric),
        }
    }

    /// Share of the paragraph's words in the list of `language`.
    fn density(&self, p: &NormalizedParagraph, language: usize) -> f64 {
        f64::from(self.hits[language]) / p.words().max(1) as f64
    }
}

/// The language whose list covers most of the words of the page's long
/// paragraphs, if it covers [`MIN_LANGUAGE_COVER`] of them.
fn page_language(paragraphs: &[NormalizedParagraph], measures: &[Measure]) -> Option<usize> {
    let mut hits = [0usize; MAX_LANGUAGES];
    let mut words = 0usize;
    for (p, m) in paragraphs.iter().zip(measures) {
        if m.width < LENGTH_LOW {
            continue;
        }
        words += p.words();
        for (total, &hit) in hits.iter_mut().zip(&m.hits) {
            *total += usize::from(hit);
        }
    }
    let (best, &count) = hits[..LANGUAGES.len()]
        .iter()
        .enumerate()
        .max_by_key(|&(i, &h)| (h, usize::MAX - i))?;
    (words > 0 && count as f64 >= MIN_LANGUAGE_COVER * words as f64).then_some(best)
}

/// Classifies the paragraphs of a page and removes all but the article.
pub(crate) fn classify(
    paragraphs: &mut [NormalizedParagraph],
    rules: &RuleSet,
    stop_words: &StopWords,
    keep_headline: bool,
) {
    if furniture(paragraphs) < MIN_FURNITURE {
        // Not a page: article text, where page mode would only do harm.
        return;
    }
    let measures: Vec<Measure> = paragraphs
        .iter()
        .map(|p| Measure::new(p, stop_words))
        .collect();
    let stops = page_language(paragraphs, &measures)
        .map(|language| (language, prose_density(paragraphs, &measures, language)));
    let initial_classes: Vec<Class> = paragraphs
        .iter()
        .zip(&measures)
        .map(|(p, m)| initial(p, m, stops))
        .collect();
    let mut classes = initial_classes.clone();
    revise(&mut classes);
    let listed = keep_lists(paragraphs, &measures, &mut classes);

    let end = article_end(paragraphs, rules, &classes, &measures);
    if end < paragraphs.len() {
        let rule = paragraphs[end]
            .removal()
            .and_then(|r| r.rule.clone())
            .expect("the end was found by its rule");
        for p in &mut paragraphs[end + 1..] {
            if !p.is_removed() {
                remove(p, rule.clone());
            }
        }
    }

    let (start, stop) = article_block(
        &paragraphs[..end],
        &measures[..end],
        &initial_classes[..end],
        &classes[..end],
        &listed[..end],
    );
    let title = paragraphs
        .iter()
        .find(|p| !p.is_removed())
        .map(|p| p.key().to_string())
        .unwrap_or_default();
    let first = paragraphs.iter().position(|p| !p.is_removed());
    // The headline sits just above the article.
    let headline = (start.saturating_sub(HEADLINE_WINDOW)..start)
        .rev()
        .find(|&i| {
            let p = &paragraphs[i];
            Some(i) != first && !p.is_removed() && p.words() >= 2 && title.contains(p.key())
        });
    for (i, p) in paragraphs[..end].iter_mut().enumerate() {
        if p.is_removed() {
            continue;
        }
        if Some(i) == headline {
            if !keep_headline {
                remove(p, HEADLINE_RULE);
            }
        } else if classes[i] == Class::Bad {
            remove(p, NOT_PROSE_RULE);
        } else if i < start || i >= stop {
            remove(p, OUTSIDE_RULE);
        }
    }
}

/// Length of `text` in characters, East Asian wide characters (Han, kana,
/// Hangul, full-width forms) counted twice: a line of 35 Japanese characters
/// says as much as a line of 70 Latin ones.
#[cfg(test)]
fn width(text: &str) -> usize {
    text.chars().map(char_width).sum()
}

/// A character's share of a text's width: 2 for East Asian wide
/// characters (Han, kana, Hangul, full-width forms), else 1.
fn char_width(c: char) -> usize {
    match u32::from(c) {
        ..0x1100 => 1,
        0x1100..=0x115F
        | 0x2E80..=0x303E
        | 0x3041..=0x33FF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xA960..=0xA97F
        | 0xAC00..=0xD7A3
        | 0xF900..=0xFAFF
        | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6
        | 0x20000..=0x3FFFD => 2,
        _ => 1,
    }
}

/// Whether `p` is a menu entry: one to [`MENU_MAX_WORDS`] words, not
/// ending like a sentence.
fn menu_entry(p: &NormalizedParagraph) -> bool {
    !p.is_removed() && (1..=MENU_MAX_WORDS).contains(&p.words()) && !ends_like_sentence(p.text())
}

/// Whether a boilerplate rule removed `p`.
fn ruled_out(p: &NormalizedParagraph) -> bool {
    p.removal()
        .is_some_and(|r| r.kind == RemovalKind::Boilerplate)
}

/// Paragraphs of page furniture: those a boilerplate rule removed, and menu
/// entries in runs of at least [`MENU_RUN`] (a menu; a lone subhead or
/// "Meal 1" over its paragraph is not one).
fn furniture(paragraphs: &[NormalizedParagraph]) -> usize {
    let ruled = paragraphs
        .iter()
        .filter(|p| {
            p.removal()
                .is_some_and(|r| r.kind == RemovalKind::Boilerplate)
        })
        .count();
    let mut in_menus = 0;
    let mut run = 0;
    for p in paragraphs.iter().map(Some).chain([None]) {
        if p.is_some_and(menu_entry) {
            run += 1;
            continue;
        }
        if run >= MENU_RUN {
            in_menus += run;
        }
        run = 0;
    }
    ruled + in_menus
}

/// Step 3: where the article ends: the first paragraph matched by a rule
/// that ends it, once [`ARTICLE_STARTED_CHARS`] of prose are behind;
/// `paragraphs.len()` when none does.
fn article_end(
    paragraphs: &[NormalizedParagraph],
    rules: &RuleSet,
    classes: &[Class],
    measures: &[Measure],
) -> usize {
    // A rule that ends the article, once the article has started. A suffix
    // rule (comment bylines: "joe says") is a weak sign alone: it ends the
    // article only when it matches again further on.
    let ending: Vec<Option<&Rule>> = paragraphs
        .iter()
        .map(|p| {
            let id = p.removal()?.rule.as_ref()?.as_str();
            rules
                .rules()
                .iter()
                .find(|rule| rule.ends_article && rule.id == id)
        })
        .collect();
    // Runs of lines that rules removed: a row of buttons ("Comments",
    // "Print", "Email").
    let ruled: Vec<bool> = paragraphs.iter().map(ruled_out).collect();
    let button_rows = run_lengths(&ruled, |&r| r);
    let mut good_chars = 0usize;
    for (i, rule) in ending.iter().enumerate() {
        if classes[i] == Class::Good {
            good_chars += measures[i].width;
        }
        let Some(rule) = rule else { continue };
        if good_chars < ARTICLE_STARTED_CHARS {
            continue;
        }
        let confirmed = match rule.matcher {
            Match::Suffix => ending[i + 1..]
                .iter()
                .flatten()
                .any(|later| later.id == rule.id),
            // "Comments" among "Share", "Print", "Email" is a button.
            Match::Line => button_rows[i] < MENU_RUN,
            _ => true,
        };
        if confirmed {
            return i;
        }
    }
    paragraphs.len()
}

fn remove(p: &mut NormalizedParagraph, rule: RuleId) {
    p.remove(RemovalKind::Boilerplate, Some(rule));
}

/// The page's own stop-word share of prose: the median over its long
/// paragraphs that end like sentences. Lists differ in size and languages
/// in how many function words they use (Russian has no articles), so the
/// bars are set relative to this.
fn prose_density(paragraphs: &[NormalizedParagraph], measures: &[Measure], language: usize) -> f64 {
    let mut densities: Vec<f64> = paragraphs
        .iter()
        .zip(measures)
        .filter(|(p, m)| !p.is_removed() && m.width >= LENGTH_HIGH && m.sentence)
        .map(|(p, m)| m.density(p, language))
        .collect();
    if densities.is_empty() {
        return DEFAULT_PROSE_DENSITY;
    }
    densities.sort_by(f64::total_cmp);
    densities[densities.len() / 2]
}

/// Step 1: the class of one paragraph on its own.
fn initial(p: &NormalizedParagraph, m: &Measure, stops: Option<(usize, f64)>) -> Class {
    let Some(kept) = p.kept() else {
        return Class::Bad;
    };
    let link_bytes: usize = kept
        .cuts
        .iter()
        .filter(|c| c.kind == RemovalKind::Link)
        .map(|c| c.span.len())
        .sum();
    let link_density = link_bytes as f64 / p.span.len().max(1) as f64;
    let (chars, sentence) = (m.width, m.sentence);
    if link_density > MAX_LINK_DENSITY {
        return Class::Bad;
    }
    // Labels in capitals ("SELL YOUR BIKE") and lines of figures
    // ("11/20/2019 01:14 PM", "Dow 27,934 +0.4%") are not prose.
    if !sentence && (m.capitals >= MAX_CAPITALS || m.digits >= MAX_DIGITS) {
        return Class::Bad;
    }
    if chars < LENGTH_LOW {
        return if link_bytes > 0 {
            Class::Bad
        } else if sentence && p.words() >= SENTENCE_MIN_WORDS {
            // A short sentence ("The vote is on Tuesday.") is near-good,
            // not a menu entry.
            Class::NearGood
        } else {
            Class::Short
        };
    }
    match stops {
        Some((language, prose)) => {
            let density = m.density(p, language);
            if density >= STOP_HIGH * prose {
                if chars > LENGTH_HIGH || sentence {
                    Class::Good
                } else {
                    Class::NearGood
                }
            } else if density >= STOP_LOW * prose || sentence {
                // A sentence thin in stop words (names, results, figures)
                // is still a sentence: context decides.
                Class::NearGood
            } else {
                Class::Bad
            }
        }
        None if sentence => Class::Good,
        None if chars > LENGTH_HIGH => Class::NearGood,
        None => Class::Bad,
    }
}

/// Whether `text` ends as a sentence does (closing quotes and brackets
/// aside).
fn ends_like_sentence(text: &str) -> bool {
    let trimmed = text.trim_end_matches(['"', '\'', '”', '’', '»', ')', ']', '*']);
    trimmed.ends_with(['.', '!', '?', '…', '。', '！', '？', ':', ';'])
}

/// Step 2: short and near-good paragraphs take their class from context
/// (jusText's rules, plus a cap on runs of short paragraphs: more than
/// [`MAX_SHORT_RUN`] in a row between prose are a list of links, not
/// subheads and bylines).
fn revise(classes: &mut [Class]) {
    let original = classes.to_vec();
    let short = |c: Class| c == Class::Short;
    let short_or_near = |c: Class| c == Class::Short || c == Class::NearGood;
    let prev_any = nearest(&original, false, short);
    let next_any = nearest(&original, true, short);
    let prev_firm = nearest(&original, false, short_or_near);
    let next_firm = nearest(&original, true, short_or_near);
    let runs = run_lengths(&original, |&c| short(c));
    for i in 0..classes.len() {
        if original[i] != Class::Short {
            continue;
        }
        let (prev, next) = (prev_firm[i], next_firm[i]);
        classes[i] = match (prev, next) {
            (Class::Good, Class::Good) if runs[i] <= MAX_SHORT_RUN => Class::Good,
            (Class::Bad, Class::Bad) => Class::Bad,
            _ if (prev == Class::Bad && prev_any[i] == Class::NearGood)
                || (next == Class::Bad && next_any[i] == Class::NearGood) =>
            {
                Class::Good
            }
            _ => Class::Bad,
        };
    }
    let settled = classes.to_vec();
    let near = |c: Class| c == Class::NearGood;
    let prev = nearest(&settled, false, near);
    let next = nearest(&settled, true, near);
    for i in 0..classes.len() {
        if settled[i] == Class::NearGood {
            classes[i] = if prev[i] == Class::Bad && next[i] == Class::Bad {
                Class::Bad
            } else {
                Class::Good
            };
        }
    }
}

/// For each paragraph, the class of the nearest paragraph before it (or
/// after it, `forward`) that `skip` does not pass over; the page's edges
/// count as bad. Linear time.
fn nearest(classes: &[Class], forward: bool, skip: impl Fn(Class) -> bool) -> Vec<Class> {
    let mut out = vec![Class::Bad; classes.len()];
    let mut seen = Class::Bad;
    let mut visit = |i: usize| {
        out[i] = seen;
        if !skip(classes[i]) {
            seen = classes[i];
        }
    };
    if forward {
        (0..classes.len()).rev().for_each(&mut visit);
    } else {
        (0..classes.len()).for_each(&mut visit);
    }
    out
}

/// For each item in a run of items that `member` accepts, the length of
/// that run (0 outside runs). Linear time.
fn run_lengths<T>(items: &[T], member: impl Fn(&T) -> bool) -> Vec<usize> {
    let mut out = vec![0; items.len()];
    let mut start = 0;
    for i in 0..=items.len() {
        if i < items.len() && member(&items[i]) {
            continue;
        }
        for slot in &mut out[start..i] {
            *slot = i - start;
        }
        start = i + 1;
    }
    out
}

/// Items of a list that a kept paragraph ending in a colon introduces
/// ("Tour dates:", "Ingredients:") are kept: the short paragraphs after it,
/// up to the first paragraph that is not short, was removed by a rule, or
/// starts a menu ([`MENU_RUN`] menu entries in a row).
/// Returns which paragraphs are such items.
fn keep_lists(
    paragraphs: &[NormalizedParagraph],
    measures: &[Measure],
    classes: &mut [Class],
) -> Vec<bool> {
    let mut listed = vec![false; paragraphs.len()];
    let mut i = 0;
    while i < paragraphs.len() {
        let p = &paragraphs[i];
        let intro = !p.is_removed()
            && classes[i] != Class::Bad
            && p.text().trim_end().ends_with([':', '：']);
        i += 1;
        if !intro {
            continue;
        }
        let mut items = 0;
        while i < paragraphs.len() && items < MAX_LIST_ITEMS {
            let item = &paragraphs[i];
            let menu_starts = paragraphs[i..]
                .iter()
                .take(MENU_RUN)
                .filter(|p| menu_entry(p))
                .count()
                == MENU_RUN;
            if item.is_removed() || measures[i].width >= LENGTH_LOW || menu_starts {
                break;
            }
            classes[i] = Class::Good;
            listed[i] = true;
            items += 1;
            i += 1;
        }
    }
    listed
}

/// Step 4: the maximum-sum run of paragraphs, as `start..stop`. Good
/// paragraphs count their length; paragraphs that context made good count
/// half their length when they end like a sentence or are list items, else
/// nothing (they join a block but do not make one); bad ones count minus
/// their length and [`LINE_PENALTY`].
fn article_block(
    paragraphs: &[NormalizedParagraph],
    measures: &[Measure],
    initial: &[Class],
    revised: &[Class],
    listed: &[bool],
) -> (usize, usize) {
    let mut best = (0i64, 0usize, 0usize);
    let mut sum = 0i64;
    let mut from = 0usize;
    for (i, p) in paragraphs.iter().enumerate() {
        let weight = if p.is_removed() || revised[i] == Class::Bad {
            -(p.span.len() as i64 + LINE_PENALTY)
        } else if initial[i] == Class::Good {
            measures[i].width as i64
        } else if listed[i] || measures[i].sentence {
            measures[i].width as i64 / 2
        } else {
            0
        };
        if sum <= 0 {
            sum = 0;
            from = i;
        }
        sum += weight;
        if sum > best.0 {
            best = (sum, from, i + 1);
        }
    }
    (best.1, best.2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::{Mode, Normalizer, ParagraphState};

    const MENU: &str = "Home\nNews\nSport\nBusiness\nCulture\nWeather\nSubscribe\nSign in\nSearch\nPodcasts\nVideo\n";
    const FOOTER: &str = "About us\nContact\nAdvertise\nCareers\nPrivacy Policy\nTerms of Use\n";

    /// The kept paragraphs of `text` in page mode, and each removal's
    /// (text, rule).
    fn page(text: &str) -> (Vec<String>, Vec<(String, String)>) {
        let normalizer = Normalizer::builder().mode(Mode::Page).build().unwrap();
        let doc = normalizer.normalize_document(text);
        let mut kept = Vec::new();
        let mut removed = Vec::new();
        for p in doc.paragraphs {
            match p.state {
                ParagraphState::Removed(r) => removed.push((
                    r.span.slice(text).to_string(),
                    r.rule.map(|r| r.to_string()).unwrap_or_default(),
                )),
                ParagraphState::Kept(k) => kept.push(k.text),
            }
        }
        (kept, removed)
    }

    fn sentence(topic: &str) -> String {
        format!(
            "The council said on Tuesday that the {topic} would be finished before the end of the year, and that the work had cost less than the city had feared."
        )
    }

    #[test]
    fn article_text_without_furniture_is_left_alone() {
        let text = format!(
            "{}\nA subhead\n{}\nShort line\n{}",
            sentence("bridge"),
            sentence("road"),
            sentence("school")
        );
        let (kept, removed) = page(&text);
        assert_eq!(kept.len(), 5);
        assert!(removed.is_empty());
    }

    #[test]
    fn menus_teasers_and_footer_go_and_the_article_stays() {
        let text = format!(
            "Title of the page\n{MENU}Bridge finished early\nBy A. Writer\n{}\n{}\nNew section\n{}\nMore stories\nAnother story about ferries in the harbour\nYet another story about the port cranes\n{FOOTER}",
            sentence("bridge"),
            sentence("road"),
            sentence("school")
        );
        let (kept, removed) = page(&text);
        assert_eq!(
            kept,
            [
                sentence("bridge"),
                sentence("road"),
                "New section".to_string(),
                sentence("school")
            ]
        );
        let rule = |t: &str| {
            removed
                .iter()
                .find(|(x, _)| x == t)
                .map(|(_, r)| r.as_str())
        };
        assert_eq!(rule("Home"), Some(NOT_PROSE_RULE.as_str()));
        assert_eq!(rule("Terms of Use"), Some("policy-links"));
        assert_eq!(rule("More stories"), Some("related-links"));
    }

    #[test]
    fn list_introduced_by_a_colon_is_kept() {
        let text = format!(
            "{MENU}{}\nThe new opening hours are as follows:\nMonday to Friday 8:00 to 22:00\nSaturday 10:00 to 18:00\nSundays and holidays closed\n{FOOTER}",
            sentence("library")
        );
        let (kept, _) = page(&text);
        assert_eq!(kept.len(), 5, "{kept:?}");
        assert_eq!(kept[4], "Sundays and holidays closed");
    }

    #[test]
    fn one_comment_byline_alone_does_not_end_the_article() {
        let text = format!(
            "{MENU}{}\nThe mayor says:\n{}\n{FOOTER}",
            sentence("bridge"),
            sentence("road")
        );
        let (kept, _) = page(&text);
        assert!(kept.contains(&sentence("road")), "{kept:?}");
    }

    #[test]
    fn comments_end_the_article() {
        let text = format!(
            "{MENU}{}\n{}\n{}\nComments\n{}\n{FOOTER}",
            sentence("bridge"),
            sentence("road"),
            sentence("school"),
            sentence("comment")
        );
        let (kept, removed) = page(&text);
        assert_eq!(
            kept,
            [sentence("bridge"), sentence("road"), sentence("school")]
        );
        let after: Vec<&str> = removed
            .iter()
            .skip_while(|(t, _)| t != "Comments")
            .map(|(_, r)| r.as_str())
            .collect();
        // Lines after the start of comments go with the rule that ended the
        // article, unless a rule of their own matched first.
        assert_eq!(after[..6], ["comment-section"; 6]);
        assert!(after[6..].iter().all(|r| *r == "policy-links"), "{after:?}");
    }

    #[test]
    fn capitals_and_figures_are_not_prose() {
        let text = format!(
            "{MENU}BIKES FOR SALE AND WANTED ACROSS THE WHOLE COUNTRY TODAY AND EVERY DAY\n11/20/2019 01:14 PM 2019 11 20 2019 14 01 2019 11 20 2019 14 01 2019 11 20\n{}\n{}\n{FOOTER}",
            sentence("bridge"),
            sentence("road")
        );
        let (kept, removed) = page(&text);
        assert_eq!(kept, [sentence("bridge"), sentence("road")]);
        assert!(
            removed
                .iter()
                .any(|(t, r)| t.starts_with("BIKES") && NOT_PROSE_RULE == r.as_str())
        );
    }

    #[test]
    fn wide_characters_count_twice() {
        assert_eq!(width("abc"), 3);
        assert_eq!(width("東京の天気"), 10);
        assert_eq!(width("서울"), 4);
    }

    #[test]
    fn the_page_language_picks_the_list() {
        let normalizer = Normalizer::new();
        let stop_words = StopWords::new();
        let doc = normalizer.normalize_document(
            "Правительство заявило, что новый мост будет построен до конца года, и это уже решено.",
        );
        let measures: Vec<Measure> = doc
            .paragraphs
            .iter()
            .map(|p| Measure::new(p, &stop_words))
            .collect();
        let language = page_language(&doc.paragraphs, &measures).map(|i| LANGUAGES[i].code);
        assert_eq!(language, Some("ru"));
        let doc =
            normalizer.normalize_document("서울 시청은 새 다리를 연말까지 완공한다고 밝혔다.");
        let measures: Vec<Measure> = doc
            .paragraphs
            .iter()
            .map(|p| Measure::new(p, &stop_words))
            .collect();
        assert_eq!(page_language(&doc.paragraphs, &measures), None);
    }

    #[test]
    fn context_helpers() {
        use Class::*;
        let classes = [Good, Short, Short, Bad, NearGood, Short];
        assert_eq!(run_lengths(&classes, |&c| c == Short), [0, 2, 2, 0, 0, 1]);
        let prev = nearest(&classes, false, |c| c == Short);
        assert_eq!(prev, [Bad, Good, Good, Good, Bad, NearGood]);
        let next = nearest(&classes, true, |c| c == Short || c == NearGood);
        assert_eq!(next, [Bad, Bad, Bad, Bad, Bad, Bad]);
    }
}
