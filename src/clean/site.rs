//! Cross-article boilerplate: lines a site repeats on many of its pages.
//!
//! A site prints the same trailer, footer, newsletter plug or disclaimer
//! under most of its articles ("Reuter", "Follow us on Twitter", "© 2019 The
//! Courier"). Exact-duplicate removal keeps the first copy of such a line;
//! site boilerplate removes every copy. It takes two passes: first every
//! document's kept paragraphs are counted per site ([`SiteCounter`]), then
//! the lines that pass the thresholds ([`SiteBoilerplate`]) are removed from
//! every document of that site before the duplicate stages
//! ([`Analysis::remove_site_boilerplate`]).
//!
//! # Thresholds
//!
//! A paragraph is boilerplate of a site when its matching key occurs in at
//! least [`SITE_MIN_SHARE`] of the site's documents and in at least
//! [`SITE_MIN_DOCS`] of them, and the site has at least
//! [`SITE_MIN_SITE_DOCS`] documents. Why:
//!
//! * furniture is on most of a site's pages (the Reuters trailer is under
//!   about nine bodies in ten), while a story's paragraph recurs in a
//!   handful of follow-ups: a 5% share separates the two on any site larger
//!   than a hundred pages;
//! * on small sites a share is a few documents, where a story told three
//!   times would pass: at least five documents are needed, and a site of
//!   fewer than ten documents tells nothing about its furniture;
//! * counts are per site, so wire copy that a hundred outlets print once
//!   each is one document per site and stays with the duplicate stages,
//!   which keep its first copy.
//!
//! [`Analysis::remove_site_boilerplate`]: crate::Analysis::remove_site_boilerplate

use std::collections::HashMap;
use std::io::{self, Write};

use super::persist::{Decoder, Encoder, Input, Persist};

use crate::normalize::NormalizedParagraph;
use crate::removal::RuleId;
use crate::shingle::{paragraph_hash, text_hash};

/// Rule named for site boilerplate in the report.
pub const SITE_RULE: RuleId = RuleId::from_static("site-boilerplate");
/// Share of a site's documents a line must occur in.
pub const SITE_MIN_SHARE: f64 = 0.05;
/// Fewest documents of a site a line must occur in.
pub const SITE_MIN_DOCS: u32 = 5;
/// Fewest documents a site needs for its boilerplate to be learnt.
pub const SITE_MIN_SITE_DOCS: u32 = 10;

/// (site hash, key hash) -> (documents holding the line, last document
/// counted).
pub(crate) type SiteLines = HashMap<(u64, u64), (u32, u32)>;

/// Counts, per site, how many documents hold each paragraph.
#[derive(Clone, Debug, Default)]
pub struct SiteCounter {
    lines: SiteLines,
    /// site hash -> documents.
    sites: HashMap<u64, u32>,
    documents: u32,
}

/// The lines that are boilerplate on their site.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SiteBoilerplate {
    /// (site hash, key hash) -> documents of the site holding the line.
    lines: HashMap<(u64, u64), u32>,
    /// site hash -> documents.
    sites: HashMap<u64, u32>,
}

impl SiteCounter {
    /// An empty counter.
    pub fn new() -> SiteCounter {
        SiteCounter::default()
    }

    /// Counts one document of `site` from its normalized paragraphs (the
    /// kept ones count; each line once per document).
    pub fn observe(&mut self, site: &str, paragraphs: &[NormalizedParagraph]) {
        let site = text_hash(site);
        self.documents = self.documents.saturating_add(1);
        let doc = self.documents;
        *self.sites.entry(site).or_default() += 1;
        for kept in paragraphs.iter().filter_map(NormalizedParagraph::kept) {
            let entry = self
                .lines
                .entry((site, paragraph_hash(&kept.key)))
                .or_insert((0, 0));
            if entry.1 != doc {
                entry.0 += 1;
                entry.1 = doc;
            }
        }
    }

    /// Documents observed.
    pub fn documents(&self) -> u32 {
        self.documents
    }

    /// The lines that pass the thresholds (see the [module docs](self)).
    pub fn finish(self) -> SiteBoilerplate {
        self.boilerplate()
    }

    /// The lines that pass the thresholds so far; counting may go on.
    pub fn boilerplate(&self) -> SiteBoilerplate {
        let sites = &self.sites;
        let lines = self
            .lines
            .iter()
            .filter(|&(&(site, _), &(count, _))| {
                let site_docs = sites.get(&site).copied().unwrap_or(0);
                site_docs >= SITE_MIN_SITE_DOCS
                    && count >= SITE_MIN_DOCS
                    && f64::from(count) >= SITE_MIN_SHARE * f64::from(site_docs)
            })
            .map(|(&line, &(count, _))| (line, count))
            .collect();
        SiteBoilerplate {
            lines,
            sites: sites.clone(),
        }
    }
}

impl SiteCounter {
    /// Its counts: per (site hash, key hash), the documents holding the
    /// line and the last one counted; per site hash, its documents; and
    /// the documents observed (for an index's export).
    pub(crate) fn parts(&self) -> (&SiteLines, &HashMap<u64, u32>, u32) {
        (&self.lines, &self.sites, self.documents)
    }

    /// A counter of the counts [`SiteCounter::parts`] gave.
    pub(crate) fn from_parts(
        lines: SiteLines,
        sites: HashMap<u64, u32>,
        documents: u32,
    ) -> SiteCounter {
        SiteCounter {
            lines,
            sites,
            documents,
        }
    }
}

impl Persist for SiteCounter {
    fn save<W: Write>(&self, out: &mut Encoder<W>) -> io::Result<()> {
        out.put_table(&self.lines)?;
        out.put_table(&self.sites)?;
        out.put(self.documents)
    }

    fn restore<R: Input>(input: &mut Decoder<R>) -> io::Result<SiteCounter> {
        Ok(SiteCounter {
            lines: input.take_table()?,
            sites: input.take_table()?,
            documents: input.take()?,
        })
    }
}

impl SiteBoilerplate {
    /// How many documents of `site` hold the line with key hash `key`, when
    /// it is boilerplate there.
    pub fn documents_with(&self, site: &str, key: u64) -> Option<u32> {
        self.lines.get(&(text_hash(site), key)).copied()
    }

    /// Documents of `site` counted.
    pub fn site_documents(&self, site: &str) -> u32 {
        self.sites.get(&text_hash(site)).copied().unwrap_or(0)
    }

    /// Lines found, over all sites.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// Whether no line is boilerplate anywhere.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Normalizer;

    fn counted(docs: &[(&str, &str)]) -> SiteBoilerplate {
        let normalizer = Normalizer::new();
        let mut counter = SiteCounter::new();
        for (site, text) in docs {
            counter.observe(site, &normalizer.normalize_document(text).paragraphs);
        }
        counter.finish()
    }

    #[test]
    fn trailer_on_every_page_is_boilerplate_of_its_site_only() {
        let mut docs = Vec::new();
        let bodies: Vec<String> = (0..12)
            .map(|i| format!("Story number {i} happened.\nReporting by the Courier newsroom"))
            .collect();
        for body in &bodies {
            docs.push(("a.example", body.as_str()));
        }
        docs.push(("b.example", "Reporting by the Courier newsroom"));
        let found = counted(&docs);
        let key = paragraph_hash(&crate::normalize::matching_key(
            "Reporting by the Courier newsroom",
        ));
        assert_eq!(found.documents_with("a.example", key), Some(12));
        assert_eq!(found.documents_with("b.example", key), None);
        assert_eq!(found.len(), 1);
    }

    #[test]
    fn small_sites_and_rare_lines_are_left_alone() {
        let bodies: Vec<String> = (0..9).map(|i| format!("Story {i}.\nSame footer")).collect();
        let docs: Vec<(&str, &str)> = bodies.iter().map(|b| ("small", b.as_str())).collect();
        assert!(counted(&docs).is_empty(), "nine documents are too few");

        // 200 documents: a line in 6 of them (3%) is a story told again.
        let mut bodies: Vec<String> = (0..200).map(|i| format!("Story {i}.")).collect();
        for body in bodies.iter_mut().take(6) {
            body.push_str("\nThe minister resigned on Tuesday after a vote.");
        }
        let docs: Vec<(&str, &str)> = bodies.iter().map(|b| ("big", b.as_str())).collect();
        assert!(counted(&docs).is_empty());
    }

    #[test]
    fn a_line_counts_once_per_document() {
        let bodies: Vec<String> = (0..10)
            .map(|i| {
                if i == 0 {
                    "X line\nX line\nX line\nX line\nX line".to_string()
                } else {
                    format!("Story {i}.")
                }
            })
            .collect();
        let docs: Vec<(&str, &str)> = bodies.iter().map(|b| ("s", b.as_str())).collect();
        assert!(counted(&docs).is_empty());
    }
}
