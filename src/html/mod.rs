//! The HTML report: one self-contained page to look at what a run removed
//! and why, fed by the same records as the JSONL [report](crate::report).
//!
//! The page needs nothing but itself: its style and script are inline, and
//! its Content-Security-Policy allows only those two (by hash), so nothing
//! is fetched and nothing else runs. It has three parts:
//!
//! * an overview, plain HTML readable without JavaScript: records, bytes
//!   and paragraphs in and out, removals by kind and by rule (tables and
//!   inline SVG bar charts), the run's settings;
//! * the most repeated passages: the kept paragraphs with the most removed
//!   copies, linked to the articles that repeat them;
//! * the articles, rendered one at a time on demand from data embedded as
//!   JSON: each removed span marked by kind (colour and a border pattern
//!   and symbol of its own), its rule, similarity and coverage shown on
//!   hover or focus, and a link to the kept copy it repeats. Articles can
//!   be filtered by kind and rule and searched by id.
//!
//! Scraped text is hostile input. Everything from the input reaches the
//! page either escaped for HTML text or attributes ([`html_escape`]) or in
//! the JSON data block with `<`, `>`, `&` and the two JavaScript line
//! separators escaped, which no string can close; the script only ever sets
//! `textContent` and attributes it chose, and links only to `#` fragments
//! it builds from numbers.
//!
//! A large corpus would make a page no browser opens: articles are kept
//! while their data fits [`HtmlReport::new`]'s byte limit, the ones with
//! the fewest removals (then the latest) leaving first, and the page says
//! how many were left out. An article another one repeats counts each such
//! removal as one of its own, so kept copies tend to stay. Which articles
//! stay depends on the records in order only, so the page is the same
//! bytes for every thread count.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::io::{self, Write};

use base64::Engine as _;
use serde::Serialize;
use sha2::Digest as _;

use crate::paragraph;
use crate::removal::RemovalKind;
use crate::report::{DocumentRecord, RemovedEntry, RunRecord, Summary, prefix};

/// Default byte limit of the embedded article data: a page of this size
/// opens in a few seconds in a current browser.
pub const DEFAULT_MAX_BYTES: usize = 48 << 20;

/// Passages listed under "most repeated".
const TOP_PASSAGES: usize = 100;
/// Articles named per passage.
const PASSAGE_ARTICLES: usize = 8;
/// Passages whose text is kept from their first copy; past this many,
/// only from their second (a passage with one copy is rarely listed).
const TEXTS_FROM_FIRST_COPY: usize = 10_000;
/// Bytes of a passage's text kept for the list.
const PASSAGE_TEXT_BYTES: usize = 240;
/// Rules drawn in the chart (the rest are in the table).
const CHART_RULES: usize = 25;

const SCRIPT: &str = include_str!("report.js");
const STYLE: &str = include_str!("report.css");

/// The rules whose removals are page furniture rather than boilerplate.
const FURNITURE_RULES: &[&str] = &[
    "corpus-furniture",
    "site-boilerplate",
    "page-not-prose",
    "page-outside-article",
    "page-headline",
];

/// How the page shows a removal: its kind, with furniture apart.
fn display_kind(entry: &RemovedEntry) -> &'static str {
    match entry.kind {
        RemovalKind::Boilerplate
            if entry
                .rule
                .as_ref()
                .is_some_and(|rule| FURNITURE_RULES.contains(&rule.as_str())) =>
        {
            "furniture"
        }
        kind => kind.as_str(),
    }
}

/// Collects a run's records and writes the page.
#[derive(Debug)]
pub struct HtmlReport {
    max_bytes: usize,
    settings: Option<String>,
    /// The articles still in the page, by input position.
    articles: BTreeMap<u64, Article>,
    /// (rank, latest first) of each article in the page: the first leaves
    /// first.
    ranking: BTreeSet<(u64, Reverse<u64>)>,
    /// Input position of the first record with each id.
    positions: HashMap<String, u64>,
    /// Id of each record, by input position.
    names: Vec<String>,
    bytes: usize,
    next: u64,
    passages: HashMap<(u64, u32), Passage>,
    left_out: u64,
    left_out_removals: u64,
}

#[derive(Debug)]
struct Article {
    /// The article's data, as it is embedded.
    json: String,
    rank: u64,
    removals: u64,
}

/// A kept paragraph and its removed copies. Most kept paragraphs are
/// repeated once, so this stays small: articles by input position, and a
/// text only once it is worth listing.
#[derive(Debug)]
struct Passage {
    copies: u32,
    /// Distinct articles with a copy.
    articles: u32,
    /// The first article with a copy, the next few, and the last.
    first: u64,
    more: Vec<u64>,
    last: u64,
    /// Text of a removed copy (the kept copy may have left the page), cut
    /// to [`PASSAGE_TEXT_BYTES`]: taken from the first copy while few
    /// passages are known, else from the second.
    text: Option<Box<str>>,
}

/// One article as embedded: every offset in UTF-16 code units, as the
/// page's script indexes strings.
#[derive(Serialize)]
struct ArticleData<'a> {
    /// Id.
    i: &'a str,
    /// Source.
    s: &'a str,
    /// Input text.
    t: &'a str,
    /// Paragraph spans.
    p: Vec<(usize, usize)>,
    /// Removals.
    m: Vec<MarkData<'a>>,
    /// The earlier document it repeats whole, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    d: Option<&'a str>,
    /// Dropped for `--drop-duplicate-docs`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    x: bool,
}

#[derive(Serialize)]
struct MarkData<'a> {
    /// Start and end.
    s: usize,
    e: usize,
    /// Kind as shown.
    k: &'static str,
    /// Rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    r: Option<&'a str>,
    /// Kept copy: document id and paragraph.
    #[serde(skip_serializing_if = "Option::is_none")]
    o: Option<(&'a str, u32)>,
    /// Similarity, shingle containment, word coverage.
    #[serde(skip_serializing_if = "Option::is_none")]
    y: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    c: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    w: Option<f64>,
}

impl HtmlReport {
    /// A report whose embedded article data stays under `max_bytes`.
    pub fn new(max_bytes: usize) -> HtmlReport {
        HtmlReport {
            max_bytes,
            settings: None,
            articles: BTreeMap::new(),
            ranking: BTreeSet::new(),
            positions: HashMap::new(),
            names: Vec::new(),
            bytes: 0,
            next: 0,
            passages: HashMap::new(),
            left_out: 0,
            left_out_removals: 0,
        }
    }

    /// Records the run's settings.
    pub fn run(&mut self, run: &RunRecord) {
        self.settings = serde_json::to_string_pretty(run).ok();
    }

    /// Adds one document: its record and `input`, the text that was
    /// cleaned (the record's offsets are into it).
    pub fn document(&mut self, record: &DocumentRecord, input: &str) {
        let position = self.next;
        self.next += 1;
        self.positions.entry(record.id.clone()).or_insert(position);
        self.names.push(record.id.clone());
        let utf16 = Utf16Offsets::new(input);
        let paragraphs = paragraph::split(input)
            .spans
            .iter()
            .map(|span| (utf16.at(span.start), utf16.at(span.end)))
            .collect();
        let marks = record
            .removed
            .iter()
            .filter(|r| r.start <= r.end && r.end <= input.len())
            .map(|r| MarkData {
                s: utf16.at(r.start),
                e: utf16.at(r.end),
                k: display_kind(r),
                r: r.rule.as_ref().map(|rule| rule.as_str()),
                o: r.duplicate_of
                    .as_ref()
                    .map(|of| (of.id.as_str(), of.paragraph)),
                y: r.similarity,
                c: r.containment,
                w: r.coverage,
            })
            .collect();
        let data = ArticleData {
            i: &record.id,
            s: &record.source,
            t: input,
            p: paragraphs,
            m: marks,
            d: record.duplicate_document_of.as_deref(),
            x: record.dropped,
        };
        let json = script_safe(&serde_json::to_string(&data).unwrap_or_default());
        self.count_passages(record, input, position);
        let removals = record.removed.len() as u64;
        self.bytes += json.len();
        self.ranking.insert((removals, Reverse(position)));
        self.articles.insert(
            position,
            Article {
                json,
                rank: removals,
                removals,
            },
        );
        while self.bytes > self.max_bytes {
            let Some((_, Reverse(out))) = self.ranking.pop_first() else {
                break;
            };
            if let Some(article) = self.articles.remove(&out) {
                self.bytes -= article.json.len();
                self.left_out += 1;
                self.left_out_removals += article.removals;
            }
        }
    }

    /// Counts the copies of kept paragraphs that `record` removed, and
    /// ranks their articles up.
    fn count_passages(&mut self, record: &DocumentRecord, input: &str, position: u64) {
        for r in &record.removed {
            let Some(of) = &r.duplicate_of else { continue };
            let Some(&kept) = self.positions.get(&of.id) else {
                continue;
            };
            let text = || Some(prefix(r.text_in(input), PASSAGE_TEXT_BYTES).into());
            let known = self.passages.len();
            let passage = self
                .passages
                .entry((kept, of.paragraph))
                .or_insert_with(|| Passage {
                    copies: 0,
                    articles: 1,
                    first: position,
                    more: Vec::new(),
                    last: position,
                    text: if known < TEXTS_FROM_FIRST_COPY {
                        text()
                    } else {
                        None
                    },
                });
            passage.copies += 1;
            if passage.text.is_none() {
                passage.text = text();
            }
            if passage.last != position {
                passage.last = position;
                passage.articles += 1;
                if passage.more.len() + 1 < PASSAGE_ARTICLES {
                    passage.more.push(position);
                }
            }
            if let Some(article) = self.articles.get_mut(&kept) {
                self.ranking.remove(&(article.rank, Reverse(kept)));
                article.rank += 1;
                self.ranking.insert((article.rank, Reverse(kept)));
            }
        }
    }

    /// Writes the page, with `summary` (the JSONL report's last record).
    pub fn write(&self, summary: &Summary, out: &mut impl Write) -> io::Result<()> {
        // Each article's index in the page, by input position.
        let index: HashMap<u64, usize> = self
            .articles
            .keys()
            .enumerate()
            .map(|(i, &position)| (position, i))
            .collect();
        let mut page = String::with_capacity(self.bytes + (64 << 10));
        page.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        let _ = writeln!(
            page,
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
             script-src '{}'; style-src '{}'; img-src 'none'; base-uri 'none'; form-action 'none'\">",
            csp_hash(SCRIPT),
            csp_hash(STYLE),
        );
        page.push_str(
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <meta name=\"referrer\" content=\"no-referrer\">\n\
             <title>newsdedup report</title>\n<style>",
        );
        page.push_str(STYLE);
        page.push_str("</style>\n</head>\n<body>\n<header><h1>newsdedup report</h1>\n");
        page.push_str(
            "<nav aria-label=\"Sections\"><a href=\"#overview\">Overview</a> \
             <a href=\"#passages\">Most repeated passages</a> \
             <a href=\"#articles\">Articles</a></nav>\n</header>\n<main>\n",
        );
        self.write_overview(summary, &mut page);
        self.write_passages(&index, &mut page);
        let _ = write!(
            page,
            "<section id=\"articles\" aria-labelledby=\"articles-title\">\n\
             <h2 id=\"articles-title\">Articles</h2>\n\
             <noscript><p>The articles are drawn by the page's script; the overview and \
             the passages above need none.</p></noscript>\n\
             <p id=\"articles-count\">{} articles in this report.</p>\n",
            self.articles.len()
        );
        if self.left_out > 0 {
            let _ = writeln!(
                page,
                "<p class=\"note\" id=\"left-out\">{} articles with the fewest removals ({} \
                 removals in all) were left out to keep this file under {} MB; the overview \
                 and the passages count every article.</p>",
                self.left_out,
                self.left_out_removals,
                self.max_bytes.div_ceil(1_000_000)
            );
        }
        page.push_str(
            "<div class=\"controls\" role=\"search\">\n\
             <label>Kind <select id=\"filter-kind\"><option value=\"\">any</option></select></label>\n\
             <label>Rule <select id=\"filter-rule\"><option value=\"\">any</option></select></label>\n\
             <label>Id <input id=\"filter-id\" type=\"search\" autocomplete=\"off\" \
             placeholder=\"part of an id\"></label>\n\
             <span id=\"filter-count\" aria-live=\"polite\"></span>\n</div>\n\
             <div class=\"browser\">\n<ol id=\"article-list\" class=\"article-list\"></ol>\n\
             <article id=\"article-view\" tabindex=\"-1\" aria-live=\"polite\">\
             <p>Choose an article.</p></article>\n</div>\n</section>\n</main>\n",
        );
        out.write_all(page.as_bytes())?;
        out.write_all(b"<script type=\"application/json\" id=\"nd-data\">[")?;
        for (i, article) in self.articles.values().enumerate() {
            if i > 0 {
                out.write_all(b",\n")?;
            }
            out.write_all(article.json.as_bytes())?;
        }
        out.write_all(b"]</script>\n<script>")?;
        out.write_all(SCRIPT.as_bytes())?;
        out.write_all(b"</script>\n</body>\n</html>\n")
    }

    fn write_overview(&self, summary: &Summary, page: &mut String) {
        page.push_str(
            "<section id=\"overview\" aria-labelledby=\"overview-title\">\n\
             <h2 id=\"overview-title\">Overview</h2>\n<table class=\"counts\">\n\
             <thead><tr><th scope=\"col\"></th><th scope=\"col\">count</th></tr></thead>\n<tbody>\n",
        );
        let rows: [(&str, &str, u64); 10] = [
            ("records-in", "Records in", summary.records_in),
            (
                "records-written",
                "Records written",
                summary.records_written,
            ),
            (
                "records-skipped",
                "Records skipped",
                summary.records_skipped,
            ),
            (
                "records-dropped",
                "Records dropped",
                summary.records_dropped,
            ),
            (
                "duplicate-documents",
                "Repeated documents",
                summary.duplicate_documents,
            ),
            ("paragraphs-in", "Paragraphs in", summary.paragraphs_in),
            (
                "paragraphs-kept",
                "Paragraphs kept",
                summary.paragraphs_kept,
            ),
            ("bytes-in", "Bytes in", summary.bytes_in),
            ("bytes-out", "Bytes out", summary.bytes_out),
            (
                "removals",
                "Removals",
                summary.removed.values().map(|t| t.count).sum(),
            ),
        ];
        for (id, label, value) in rows {
            let _ = writeln!(
                page,
                "<tr><th scope=\"row\">{label}</th><td id=\"ov-{id}\">{value}</td></tr>"
            );
        }
        page.push_str("</tbody>\n</table>\n");
        // Removals by kind as shown (furniture apart from boilerplate).
        let kinds: Vec<(String, u64, u64)> = summary
            .removed
            .iter()
            .map(|(kind, t)| (kind.clone(), t.count, t.bytes))
            .collect();
        chart(page, "Removals by kind", "kinds", &kinds, true);
        let mut rules: Vec<(String, u64, u64)> = summary
            .rules
            .iter()
            .map(|(rule, t)| (rule.clone(), t.count, t.bytes))
            .collect();
        rules.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        chart(page, "Removals by rule", "rules", &rules, false);
        if let Some(settings) = &self.settings {
            let _ = writeln!(
                page,
                "<details id=\"settings\"><summary>The run's settings</summary><pre>{}</pre></details>",
                html_escape::encode_text(settings)
            );
        }
        page.push_str("</section>\n");
    }

    fn write_passages(&self, index: &HashMap<u64, usize>, page: &mut String) {
        let mut passages: Vec<(&(u64, u32), &Passage)> = self.passages.iter().collect();
        passages.sort_by(|a, b| b.1.copies.cmp(&a.1.copies).then_with(|| a.0.cmp(b.0)));
        passages.truncate(TOP_PASSAGES);
        page.push_str(
            "<section id=\"passages\" aria-labelledby=\"passages-title\">\n\
             <h2 id=\"passages-title\">Most repeated passages</h2>\n",
        );
        if passages.is_empty() {
            page.push_str("<p>No paragraph was removed as a copy of a kept one.</p>\n</section>\n");
            return;
        }
        page.push_str(
            "<table class=\"passages\">\n<thead><tr><th scope=\"col\">copies</th>\
             <th scope=\"col\">articles</th><th scope=\"col\">kept in</th>\
             <th scope=\"col\">passage (as first removed)</th><th scope=\"col\">repeated in</th></tr></thead>\n<tbody>\n",
        );
        let link = |position: u64, paragraph: Option<u32>, label: &str| -> String {
            match index.get(&position) {
                Some(i) => {
                    let fragment = match paragraph {
                        Some(p) => format!("#article={i}&p={p}"),
                        None => format!("#article={i}"),
                    };
                    format!(
                        "<a href=\"{fragment}\">{}</a>",
                        html_escape::encode_text(label)
                    )
                }
                None => format!(
                    "<span class=\"absent\" title=\"not in this report\">{}</span>",
                    html_escape::encode_text(label)
                ),
            }
        };
        for (&(kept, paragraph), p) in passages {
            let name = |position: u64| {
                self.names
                    .get(position as usize)
                    .map_or("?", String::as_str)
            };
            let kept_label = format!("{} ¶{}", name(kept), paragraph);
            let named: Vec<String> = std::iter::once(p.first)
                .chain(p.more.iter().copied())
                .map(|position| link(position, None, name(position)))
                .collect();
            let more = p.articles.saturating_sub(named.len() as u32);
            let more = if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
            let _ = writeln!(
                page,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"passage\">{}</td><td>{}{more}</td></tr>",
                p.copies,
                p.articles,
                link(kept, Some(paragraph), &kept_label),
                html_escape::encode_text(p.text.as_deref().unwrap_or_default()),
                named.join(", "),
            );
        }
        page.push_str("</tbody>\n</table>\n</section>\n");
    }
}

/// A table and a horizontal bar chart of `rows` (name, count, bytes).
fn chart(page: &mut String, title: &str, id: &str, rows: &[(String, u64, u64)], kinds: bool) {
    let _ = writeln!(page, "<h3 id=\"{id}-title\">{title}</h3>");
    if rows.is_empty() {
        page.push_str("<p>Nothing was removed.</p>\n");
        return;
    }
    let shown = &rows[..rows.len().min(CHART_RULES)];
    let max = shown.iter().map(|r| r.1).max().unwrap_or(1).max(1);
    let (bar_height, label_width, width) = (22, 210, 640);
    let height = bar_height * shown.len() + 4;
    let _ = writeln!(
        page,
        "<svg class=\"chart\" role=\"img\" aria-labelledby=\"{id}-title\" width=\"{width}\" \
         height=\"{height}\" viewBox=\"0 0 {width} {height}\">"
    );
    page.push_str(PATTERNS);
    for (k, (name, count, _)) in shown.iter().enumerate() {
        let y = k * bar_height + 2;
        let length = ((width - label_width - 70) as u64 * count / max).max(1);
        let class = if kinds {
            format!("bar k-{}", kind_class(name))
        } else {
            "bar k-rule".to_string()
        };
        let _ = writeln!(
            page,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\
             <rect class=\"{class}\" x=\"{label_width}\" y=\"{y}\" width=\"{length}\" height=\"{}\"></rect>\
             <text x=\"{}\" y=\"{}\">{count}</text>",
            label_width - 6,
            y + 15,
            html_escape::encode_text(prefix(name, 32)),
            bar_height - 6,
            label_width as u64 + length + 6,
            y + 15,
        );
    }
    page.push_str("</svg>\n");
    let _ = writeln!(
        page,
        "<table class=\"tally\" id=\"{id}-table\"><thead><tr><th scope=\"col\">{}</th>\
         <th scope=\"col\">count</th><th scope=\"col\">bytes</th></tr></thead><tbody>",
        if kinds { "kind" } else { "rule" }
    );
    for (name, count, bytes) in rows {
        let _ = writeln!(
            page,
            "<tr><td>{}</td><td>{count}</td><td>{bytes}</td></tr>",
            html_escape::encode_text(name)
        );
    }
    page.push_str("</tbody></table>\n");
}

/// The CSS class of a removal kind name (others share one).
fn kind_class(kind: &str) -> &'static str {
    match kind {
        "duplicate" => "duplicate",
        "near_duplicate" => "near_duplicate",
        "boilerplate" => "boilerplate",
        "link" => "link",
        "empty" => "empty",
        "furniture" => "furniture",
        _ => "rule",
    }
}

/// Fill patterns of the chart's bars: each kind differs in shape as well
/// as colour.
const PATTERNS: &str = "<defs>\
<pattern id=\"pat-duplicate\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\"><rect width=\"6\" height=\"6\" class=\"pf-duplicate\"></rect></pattern>\
<pattern id=\"pat-near_duplicate\" width=\"8\" height=\"8\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\"><rect width=\"8\" height=\"8\" class=\"pb-near_duplicate\"></rect><rect width=\"4\" height=\"8\" class=\"pf-near_duplicate\"></rect></pattern>\
<pattern id=\"pat-boilerplate\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\"><rect width=\"6\" height=\"6\" class=\"pb-boilerplate\"></rect><circle cx=\"3\" cy=\"3\" r=\"2\" class=\"pf-boilerplate\"></circle></pattern>\
<pattern id=\"pat-link\" width=\"8\" height=\"8\" patternUnits=\"userSpaceOnUse\"><rect width=\"8\" height=\"8\" class=\"pb-link\"></rect><rect width=\"8\" height=\"3\" class=\"pf-link\"></rect></pattern>\
<pattern id=\"pat-furniture\" width=\"8\" height=\"8\" patternUnits=\"userSpaceOnUse\"><rect width=\"8\" height=\"8\" class=\"pb-furniture\"></rect><rect width=\"3\" height=\"8\" class=\"pf-furniture\"></rect><rect width=\"8\" height=\"3\" class=\"pf-furniture\"></rect></pattern>\
</defs>\n";

/// JSON made safe inside a `<script>` element: no `<`, `>` or `&` (so
/// nothing can close the element or open a comment) and no U+2028 or
/// U+2029, all written as `\u` escapes, which can only occur inside JSON
/// strings, where they mean the same characters.
fn script_safe(json: &str) -> String {
    let mut out = String::with_capacity(json.len() + json.len() / 16);
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// A Content-Security-Policy source for an inline element's content.
fn csp_hash(content: &str) -> String {
    let digest = sha2::Sha256::digest(content.as_bytes());
    format!(
        "sha256-{}",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// UTF-8 byte offsets of a text as UTF-16 code unit offsets.
struct Utf16Offsets {
    /// (byte offset, UTF-16 offset) just after each non-ASCII character,
    /// in order: from each to the next non-ASCII character, bytes and
    /// code units advance together.
    marks: Vec<(usize, usize)>,
}

impl Utf16Offsets {
    fn new(text: &str) -> Utf16Offsets {
        let mut units = 0;
        let mut at = 0;
        let mut marks = Vec::new();
        for (start, c) in text.char_indices().filter(|(_, c)| !c.is_ascii()) {
            units += start - at + c.len_utf16();
            at = start + c.len_utf8();
            marks.push((at, units));
        }
        Utf16Offsets { marks }
    }

    /// The UTF-16 offset of byte offset `at` (a character boundary).
    fn at(&self, at: usize) -> usize {
        match self.marks.partition_point(|&(byte, _)| byte <= at) {
            0 => at,
            k => {
                let (byte, unit) = self.marks[k - 1];
                unit + (at - byte)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_offsets_match_the_encoding() {
        let text = "a\u{e9}b \u{1F600} c\u{4e2d}d";
        let offsets = Utf16Offsets::new(text);
        for (at, _) in text.char_indices().chain([(text.len(), ' ')]) {
            assert_eq!(
                offsets.at(at),
                text[..at].encode_utf16().count(),
                "byte {at}"
            );
        }
        assert_eq!(Utf16Offsets::new("plain").at(3), 3);
    }

    #[test]
    fn script_data_cannot_close_its_element() {
        let json = serde_json::to_string("</script><!-- \u{2028} & >").expect("a string");
        let safe = script_safe(&json);
        assert!(!safe.contains('<') && !safe.contains('>') && !safe.contains('&'));
        let back: String = serde_json::from_str(&safe).expect("still JSON");
        assert_eq!(back, "</script><!-- \u{2028} & >");
    }
}
