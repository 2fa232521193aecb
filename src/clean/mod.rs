//! Stage 3: the cleaner. Decides what stays, emits the cleaned text and the
//! removals the report is made of.
//!
//! Cleaning a document is two steps, so that the expensive one can run in
//! parallel while the decisions stay those of one thread in input order:
//!
//! 1. [`Cleaner::analyze`] (pure, `&self`): normalize every paragraph, hash
//!    its matching key, and for near-duplicate search turn it into word
//!    tokens, shingles and winnowed fingerprints ([`Sketch`]).
//! 2. [`Cleaner::decide`] (`&mut Index`, in input order): exact duplicates,
//!    near-duplicates, runs, repeated and mostly-duplicated documents.
//!
//! [`Cleaner::clean`] does both.
//!
//! The module is split by job: `settings` (defaults, [`CleanerBuilder`],
//! [`Cleaner`]), `analysis` (step 1, [`Sketch`]), `decision` (step 2: the
//! fates of paragraphs and the evidence of the coverage stage), `result`
//! ([`Cleaned`]), with the cross-article state in `index`, the coverage
//! evidence and rule in [`cover`] and site boilerplate in [`site`].
//!
//! # Decision rules
//!
//! Paragraphs are ordered by input order: documents in the order they are
//! decided, paragraphs in document order (the ordering of
//! [`ParagraphRef`](crate::ParagraphRef)).
//!
//! * **Exact.** A paragraph whose hash equals that of an earlier kept
//!   paragraph (in this document or an earlier one) is a `duplicate` of the
//!   earliest kept copy, rule `duplicate-paragraph`. Exact duplicates are
//!   settled first: only distinct paragraphs enter the near-duplicate stage.
//! * **Near (coverage).** A paragraph that is not short is a
//!   `near_duplicate` when nearly all of it is a passage of ONE earlier
//!   article, possibly cut, extended, re-paragraphed or lightly edited, and
//!   no guard says it is a templated record with other figures or names
//!   (see [`cover`] for the evidence and [`sweep`] for the rule), rule
//!   `near-duplicate`. Candidate sources come from winnowed shingle
//!   fingerprints; every one is measured exactly.
//! * **Short paragraphs.** A paragraph of fewer than
//!   [`CleanerBuilder::short_paragraph_words`] words (a heading, "Reuter") is
//!   never removed merely because it recurs. It goes only inside a repeated
//!   run: next to a removed (near-)duplicate whose copy has, on the same
//!   side, a paragraph equal to it (rule `duplicate-run`) or, by
//!   [`strsim`]'s normalized Levenshtein similarity of the matching keys,
//!   at least [`SHORT_SIMILARITY`] (rule `near-duplicate-run`). Runs grow
//!   until nothing changes.
//! * **Page furniture.** A short paragraph that is the first, or among the
//!   last [`FURNITURE_TAIL`], of an article with a body, and that has been
//!   in at least [`FURNITURE_MIN_DOCS`] earlier articles and
//!   [`FURNITURE_MIN_SHARE`] of them, is `boilerplate` of rule
//!   [`FURNITURE_RULE`] ("Click here to subscribe to our podcast.", the
//!   "Reuter" sign-off): counted online, in input order, so the first copies
//!   stay and the decision depends on the input alone.
//! * **Repeated documents.** A document whose paragraph hashes all equal, in
//!   order, those of an earlier document goes whole (`duplicate_document_of`,
//!   rule `duplicate-document`); so does a document whose *kept* paragraphs
//!   equal, in order, those an earlier document kept (once its repeats are
//!   gone, what is left repeats that document). This keeps cleaning
//!   idempotent: a cleaned corpus cleaned again loses nothing more.
//! * **Mostly-duplicated documents.** With
//!   [`CleanerBuilder::drop_duplicate_docs`], a document at least that
//!   fraction of whose text (bytes of paragraphs) duplicates earlier documents
//!   is dropped: [`Cleaned::dropped`], and none of its paragraphs enter the
//!   index.

mod analysis;
mod chunked;
pub mod cover;
mod decision;
pub(crate) mod disk;
mod heads;
mod index;
pub(crate) mod persist;
mod postings;
mod result;
mod settings;
pub mod site;
pub(crate) mod table;
mod token_store;

pub use analysis::{Analysis, Sketch};
pub use cover::{CoverDecision, CoverRule, Evidence, Guard, sweep};
pub(crate) use index::{
    EXPORT_FORMAT, EXPORT_VERSION, ExportRecord, FileView, Importer, ReadAhead,
};
pub use index::{FileCache, Index};
pub use result::{Cleaned, ParagraphOutcome};
pub use settings::{
    CANDIDATE_COVERAGE, COVERAGE, Cleaner, CleanerBuilder, FURNITURE_MIN_DOCS, FURNITURE_MIN_SHARE,
    FURNITURE_RULE, FURNITURE_TAIL, MAX_POSTINGS, NearSettings, SHINGLE_CHARS, SHINGLE_WORDS,
    SHORT_PARAGRAPH_WORDS, SHORT_SIMILARITY,
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::removal::{DocId, ParagraphRef};

    const LONG_A: &str =
        "The harbour authority said on Tuesday that the port would reopen next week.";
    const LONG_B: &str =
        "Shipping companies had diverted dozens of vessels to other ports in the region.";

    fn removed_rules(cleaned: &Cleaned) -> Vec<&str> {
        cleaned
            .removed
            .iter()
            .map(|r| r.rule.as_deref().unwrap_or(""))
            .collect()
    }

    #[test]
    fn lead_repeated_with_other_dash_goes() {
        let text = format!("Lima \u{2013} {LONG_A}\n{LONG_B}\nLima - {LONG_A}\n");
        let cleaned = Cleaner::new().clean(&mut Index::new(), "a", &text);
        assert_eq!(cleaned.text, format!("Lima \u{2013} {LONG_A}\n{LONG_B}"));
        assert_eq!(removed_rules(&cleaned), ["duplicate-paragraph"]);
        assert_eq!(
            cleaned.removed[0].duplicate_of,
            Some(ParagraphRef {
                doc: DocId(0),
                paragraph: 0
            })
        );
    }

    #[test]
    fn repeated_body_goes_with_its_headings() {
        let body = format!("Port news\n{LONG_A}\nWhat next\n{LONG_B}\n");
        let text = format!("{body}{body}What next\n");
        let cleaned = Cleaner::new().clean(&mut Index::new(), "a", &text);
        assert_eq!(cleaned.text, format!("{}\nWhat next", body.trim_end()));
        assert_eq!(
            removed_rules(&cleaned),
            [
                "duplicate-run",
                "duplicate-paragraph",
                "duplicate-run",
                "duplicate-paragraph"
            ]
        );
        // The trailing lone heading is not part of a run: it stays.
        assert_eq!(cleaned.paragraphs.last().map(|p| p.kept), Some(true));
    }

    #[test]
    fn short_paragraph_recurring_alone_stays() {
        let cleaner = Cleaner::new();
        let mut index = Index::new();
        cleaner.clean(&mut index, "a", &format!("{LONG_A}\nReuter\n"));
        let second = cleaner.clean(&mut index, "b", &format!("{LONG_B}\nReuter\n"));
        assert!(second.removed.is_empty());
    }

    #[test]
    fn across_documents_and_repeated_documents() {
        let cleaner = Cleaner::new();
        let mut index = Index::new();
        let first = cleaner.clean(&mut index, "a", &format!("Headline\n{LONG_A}\n"));
        assert!(first.removed.is_empty());
        let partial = cleaner.clean(&mut index, "b", &format!("{LONG_B}\n{LONG_A}\n"));
        assert_eq!(removed_rules(&partial), ["duplicate-paragraph"]);
        let repeat = cleaner.clean(&mut index, "c", &format!("HEADLINE\n\n{LONG_A}"));
        assert_eq!(repeat.duplicate_document_of, Some(DocId(0)));
        assert_eq!(repeat.text, "");
        assert_eq!(
            removed_rules(&repeat),
            ["duplicate-document", "duplicate-document"]
        );
        assert_eq!(index.name(DocId(1)), "b");
    }

    #[test]
    fn builder_rejects_zero_short_words() {
        let err = Cleaner::builder()
            .short_paragraph_words(0)
            .build()
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "short_paragraph_words must be at least 1, got 0"
        );
    }

    /// A distinct article of `index`: a title, a subhead and three body
    /// paragraphs that no other article shares, then `tail`.
    fn article(index: usize, tail: &str) -> String {
        let words = ["port", "grain", "steel", "rail", "bank", "power", "ship"];
        let word = |k: usize| words[(index / 7usize.pow(k as u32)) % 7];
        let body: Vec<String> = (0..3)
            .map(|p| {
                format!(
                    "Officials of the {} {} {} office said item {index}.{p} moved by {} points today.",
                    word(0),
                    word(1),
                    word(2),
                    index * 3 + p
                )
            })
            .collect();
        format!(
            "Title number {index}\n\nBackground\n\n{}\n\n{tail}",
            body.join("\n\n")
        )
    }

    #[test]
    fn a_short_line_at_the_end_of_hundreds_of_articles_is_furniture() {
        let cleaner = Cleaner::new();
        let mut index = Index::new();
        let plug = "Click here to subscribe.";
        let mut furniture = Vec::new();
        for i in 0..150 {
            let cleaned = cleaner.clean(&mut index, &i.to_string(), &article(i, plug));
            let rules = removed_rules(&cleaned);
            // The heading inside the body recurs as often, and stays.
            assert!(cleaned.text.contains("Background"), "article {i}");
            furniture.push(rules == [FURNITURE_RULE.as_str()]);
        }
        // Kept while it had been seen in fewer than a hundred articles.
        let first = furniture.iter().position(|&f| f);
        assert_eq!(first, Some(FURNITURE_MIN_DOCS as usize));
        assert!(furniture[100..].iter().all(|&f| f));
        // A short record: every line is at an edge, none is furniture.
        let record = format!("Title number 1000\n\n{plug}\n\nPay May 15");
        let cleaned = cleaner.clean(&mut index, "record", &record);
        assert!(cleaned.removed.is_empty(), "{:?}", cleaned.removed);
    }
}
