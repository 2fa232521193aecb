//! Stage 1: the normalizer.
//!
//! It cleans output text ([`clean_text`]), folds the separate matching key
//! ([`matching_key`]), finds links ([`Links`]) and boilerplate ([`RuleSet`]),
//! and turns the paragraphs of a document into [`NormalizedParagraph`]s:
//! either removed whole (with kind and rule) or kept with their cleaned text,
//! key, and the spans cut out of them.

mod links;
pub mod page;
mod rules;
pub mod stopwords;
mod text;
mod view;

pub use links::{Link, Links, MAX_TOKEN_BYTES};
pub use rules::{Match, Rule, RuleSet, RulesConfig, default_rules};
pub use text::{
    WordCase, clean_text, clean_text_into, is_ignorable, is_invisible, key_words, matching_key,
    matching_key_into, word_cases,
};

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind};
use crate::paragraph::{self, Layout};
use crate::removal::{Removal, RemovalKind, RuleId};
use crate::span::Span;
use view::View;

/// Rule name given to link removals in the report.
pub const LINK_RULE: RuleId = RuleId::from_static("link");

/// Longest `[…]` span, in bytes, that a bracket rule looks at.
const MAX_BRACKET_BYTES: usize = 300;

/// The normalizer: build once with [`Normalizer::builder`], then use from any
/// number of threads.
///
/// ```
/// use newsdedup::Normalizer;
/// let normalizer = Normalizer::new();
/// let doc = normalizer.normalize_document("Ambassador Jones, <www.example.com/a/b> refused.\n[image: A map]\n");
/// assert_eq!(doc.paragraphs[0].text(), "Ambassador Jones, refused.");
/// assert!(doc.paragraphs[1].is_removed());
/// ```
#[derive(Clone, Debug)]
pub struct Normalizer {
    rules: RuleSet,
    links: Links,
    remove_links: bool,
    mode: Mode,
    keep_headline: bool,
    stop_words: Option<page::StopWords>,
}

/// What kind of text the normalizer is given.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Mode {
    /// Article text already extracted from its page (the body, perhaps with
    /// pasted junk): only clear junk goes, by rules that are not
    /// [`page_only`](Rule::page_only).
    #[default]
    Article,
    /// A whole page's text: every paragraph is classified and only the
    /// article is kept (see [`page`]).
    Page,
}

impl Mode {
    /// The name used on the command line and in the report.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Article => "article",
            Mode::Page => "page",
        }
    }
}

/// Settings for a [`Normalizer`].
#[derive(Clone, Debug)]
pub struct NormalizerBuilder {
    rules: Vec<Rule>,
    disabled: Vec<String>,
    remove_links: bool,
    mode: Mode,
    keep_headline: bool,
}

/// One paragraph after normalization.
#[derive(Clone, Debug, PartialEq)]
pub struct NormalizedParagraph {
    /// The paragraph's span in the document.
    pub span: Span,
    /// Kept, with its cleaned text, or removed whole.
    pub state: ParagraphState,
}

/// What normalization (or a later stage) made of a paragraph.
#[derive(Clone, Debug, PartialEq)]
pub enum ParagraphState {
    /// Kept, with its cleaned text.
    Kept(KeptText),
    /// Removed whole, for this reason.
    Removed(Removal),
}

/// The text of a kept paragraph.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct KeptText {
    /// Pieces cut out of the paragraph (links, bracketed promos), sorted,
    /// disjoint, inside its span.
    pub cuts: Vec<Removal>,
    /// Cleaned output text.
    pub text: String,
    /// Matching key of `text`.
    pub key: String,
    /// Words in `key`.
    pub words: usize,
}

impl NormalizedParagraph {
    /// A paragraph removed whole.
    pub fn removed(removal: Removal) -> NormalizedParagraph {
        NormalizedParagraph {
            span: removal.span,
            state: ParagraphState::Removed(removal),
        }
    }

    /// Its text when kept.
    pub fn kept(&self) -> Option<&KeptText> {
        match &self.state {
            ParagraphState::Kept(kept) => Some(kept),
            ParagraphState::Removed(_) => None,
        }
    }

    /// Why it was removed, when it was.
    pub fn removal(&self) -> Option<&Removal> {
        match &self.state {
            ParagraphState::Kept(_) => None,
            ParagraphState::Removed(removal) => Some(removal),
        }
    }

    /// Whether it was removed whole.
    pub fn is_removed(&self) -> bool {
        matches!(self.state, ParagraphState::Removed(_))
    }

    /// Its cleaned text; empty when removed.
    pub fn text(&self) -> &str {
        self.kept().map_or("", |k| &k.text)
    }

    /// Its matching key; empty when removed.
    pub fn key(&self) -> &str {
        self.kept().map_or("", |k| &k.key)
    }

    /// Words in its matching key; 0 when removed.
    pub fn words(&self) -> usize {
        self.kept().map_or(0, |k| k.words)
    }

    /// Removes it whole for `kind` and `rule`; its kept text and cuts go.
    pub fn remove(&mut self, kind: RemovalKind, rule: Option<RuleId>) {
        self.state = ParagraphState::Removed(Removal::new(kind, rule, self.span));
    }
}

/// A document after normalization.
#[derive(Clone, Debug, PartialEq)]
pub struct NormalizedDocument {
    /// How the document lays out paragraphs.
    pub layout: Layout,
    /// Every paragraph, in order.
    pub paragraphs: Vec<NormalizedParagraph>,
}

impl Default for Normalizer {
    fn default() -> Normalizer {
        Normalizer::new()
    }
}

impl Default for NormalizerBuilder {
    fn default() -> NormalizerBuilder {
        NormalizerBuilder {
            rules: default_rules(),
            disabled: Vec::new(),
            remove_links: true,
            mode: Mode::Article,
            keep_headline: false,
        }
    }
}

impl NormalizerBuilder {
    /// Replaces all rules (the defaults included) with `rules`.
    pub fn rules(mut self, rules: Vec<Rule>) -> NormalizerBuilder {
        self.rules = rules;
        self
    }

    /// Adds a rule after the existing ones.
    pub fn add_rule(mut self, rule: Rule) -> NormalizerBuilder {
        self.rules.push(rule);
        self
    }

    /// Disables the rule with this id; [`build`](Self::build) fails if there
    /// is none.
    pub fn disable_rule(mut self, id: &str) -> NormalizerBuilder {
        self.disabled.push(id.to_string());
        self
    }

    /// Applies a rules config file's contents.
    pub fn config(mut self, config: RulesConfig) -> NormalizerBuilder {
        if config.replace_defaults {
            self.rules.clear();
        }
        self.rules.extend(config.rules);
        self.disabled.extend(config.disable);
        self
    }

    /// Whether links are cut out of kept text (default: yes).
    pub fn remove_links(mut self, yes: bool) -> NormalizerBuilder {
        self.remove_links = yes;
        self
    }

    /// Article or page text (default: article).
    pub fn mode(mut self, mode: Mode) -> NormalizerBuilder {
        self.mode = mode;
        self
    }

    /// In page mode, keep the page's headline above the article (default:
    /// no; it is removed as `page-headline`).
    pub fn keep_headline(mut self, yes: bool) -> NormalizerBuilder {
        self.keep_headline = yes;
        self
    }

    /// Validates the settings and compiles the rules.
    pub fn build(self) -> Result<Normalizer, Error> {
        let mut rules = self.rules;
        for id in &self.disabled {
            let before = rules.len();
            rules.retain(|r| &r.id != id);
            if rules.len() == before {
                return Err(Error::new(ErrorKind::UnknownRule(id.clone())));
            }
        }
        // Validate every rule, then keep the ones of this mode.
        RuleSet::new(rules.clone())?;
        if self.mode == Mode::Article {
            rules.retain(|r| !r.page_only);
        }
        Ok(Normalizer {
            rules: RuleSet::new(rules)?,
            links: Links::new(),
            remove_links: self.remove_links,
            mode: self.mode,
            keep_headline: self.keep_headline,
            stop_words: (self.mode == Mode::Page).then(page::StopWords::new),
        })
    }
}

/// A piece to cut out of a paragraph, relative to the paragraph.
struct Cut {
    span: Span,
    kind: RemovalKind,
    rule: Option<usize>,
    /// Take the whitespace before (or, at the paragraph start, after) along.
    with_space: bool,
}

impl Normalizer {
    /// A normalizer with the default rules and link removal on.
    pub fn new() -> Normalizer {
        NormalizerBuilder::default()
            .build()
            .expect("the default rules are valid")
    }

    /// Settings, starting from the defaults.
    pub fn builder() -> NormalizerBuilder {
        NormalizerBuilder::default()
    }

    /// The compiled rules.
    pub fn rule_set(&self) -> &RuleSet {
        &self.rules
    }

    /// Whether links are cut out of kept text.
    pub fn removes_links(&self) -> bool {
        self.remove_links
    }

    /// Article or page text.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Whether page mode keeps the headline.
    pub fn keeps_headline(&self) -> bool {
        self.keep_headline
    }

    /// Splits `doc` into paragraphs and normalizes each; in page mode, keeps
    /// only the article's paragraphs.
    pub fn normalize_document(&self, doc: &str) -> NormalizedDocument {
        let split = paragraph::split(doc);
        let mut scratch = String::new();
        let mut paragraphs: Vec<NormalizedParagraph> = split
            .spans
            .iter()
            .map(|&span| self.normalize_paragraph(doc, span, &mut scratch))
            .collect();
        if let Some(stop_words) = &self.stop_words {
            page::classify(&mut paragraphs, &self.rules, stop_words, self.keep_headline);
        }
        NormalizedDocument {
            layout: split.layout,
            paragraphs,
        }
    }

    /// Normalizes the paragraph at `span` of `doc`. `scratch` is a reusable
    /// buffer.
    pub fn normalize_paragraph(
        &self,
        doc: &str,
        span: Span,
        scratch: &mut String,
    ) -> NormalizedParagraph {
        let raw = span.slice(doc);
        // Links and brackets are looked for in the text as it will read
        // (entities decoded, invisible characters gone) and cut from the raw.
        let brackets = self.rules.has_bracket_rules();
        let view = View::new(raw, |text| {
            links::could_hold_link(text)
                || (brackets && memchr::memchr(b'[', text.as_bytes()).is_some())
        });
        let mut links = Vec::new();
        self.links.find(view.text(), &mut links);
        for link in &mut links {
            link.span = view.to_raw(link.span);
            link.keep = link.keep.map(|keep| view.to_raw(keep));
        }
        let has_link = !links.is_empty();
        let mut cuts = Vec::new();
        if self.remove_links {
            for link in &links {
                match link.keep {
                    Some(keep) => {
                        cuts.push(Cut {
                            span: Span::new(link.span.start, keep.start),
                            kind: RemovalKind::Link,
                            rule: None,
                            with_space: false,
                        });
                        cuts.push(Cut {
                            span: Span::new(keep.end, link.span.end),
                            kind: RemovalKind::Link,
                            rule: None,
                            with_space: false,
                        });
                    }
                    None => cuts.push(Cut {
                        span: link.span,
                        kind: RemovalKind::Link,
                        rule: None,
                        with_space: true,
                    }),
                }
            }
        }
        if brackets {
            self.find_brackets(&view, &mut cuts);
        }
        settle_cuts(raw, &mut cuts);

        let mut text = String::with_capacity(raw.len());
        if cuts.is_empty() {
            if view.marks().is_plain_ascii() {
                // No entity to decode: clean-up is its ASCII pass alone.
                text::clean_ascii(raw, &mut text);
            } else {
                clean_text_into(raw, &mut text);
            }
        } else {
            scratch.clear();
            let mut at = 0;
            for cut in &cuts {
                scratch.push_str(&raw[at..cut.span.start]);
                // Keep words on both sides of a cut apart ("a[x]b" -> "a b"),
                // without adding a space before punctuation.
                let before = raw[..cut.span.start].chars().next_back();
                let after = raw[cut.span.end..].chars().next();
                if before.is_some_and(char::is_alphanumeric)
                    && after.is_some_and(char::is_alphanumeric)
                {
                    scratch.push(' ');
                }
                at = cut.span.end;
            }
            scratch.push_str(&raw[at..]);
            clean_text_into(scratch, &mut text);
        }
        let (key, words) = text::matching_key_words(&text);

        let whole = |kind, rule: Option<RuleId>| {
            NormalizedParagraph::removed(Removal::new(kind, rule, span))
        };
        if key.is_empty() {
            // Nothing readable is left: the paragraph goes whole, named for
            // the largest piece cut from it.
            return match cuts
                .iter()
                .max_by_key(|c| (c.span.len(), std::cmp::Reverse(c.span.start)))
            {
                Some(cut) => whole(cut.kind, Some(self.rule_id(cut))),
                None => whole(RemovalKind::Empty, None),
            };
        }
        if let Some(index) = self.rules.match_words(&key, words, has_link) {
            return whole(
                RemovalKind::Boilerplate,
                Some(self.rules.rule_id(index).clone()),
            );
        }
        let cuts = cuts
            .iter()
            .map(|c| Removal::new(c.kind, Some(self.rule_id(c)), c.span.offset(span.start)))
            .collect();
        NormalizedParagraph {
            span,
            state: ParagraphState::Kept(KeptText {
                cuts,
                text,
                key,
                words,
            }),
        }
    }

    fn rule_id(&self, cut: &Cut) -> RuleId {
        match cut.rule {
            Some(index) => self.rules.rule_id(index).clone(),
            None => LINK_RULE,
        }
    }

    /// Finds `[label: …]` spans that a bracket rule removes.
    fn find_brackets(&self, view: &View<'_>, cuts: &mut Vec<Cut>) {
        if view.is_raw() && !view.marks().bracket {
            return;
        }
        let raw = view.text();
        let bytes = raw.as_bytes();
        for open in memchr::memchr_iter(b'[', bytes) {
            let window_end = (open + 1 + MAX_BRACKET_BYTES).min(bytes.len());
            let window = &bytes[open + 1..window_end];
            let Some(close) = memchr::memchr3(b']', b'[', b'\n', window) else {
                continue;
            };
            if window[close] != b']' {
                continue;
            }
            let close = open + 1 + close;
            if let Some(rule) = self.rules.match_bracket(&raw[open + 1..close]) {
                cuts.push(Cut {
                    span: view.to_raw(Span::new(open, close + 1)),
                    kind: RemovalKind::Boilerplate,
                    rule: Some(rule),
                    with_space: true,
                });
            }
        }
    }
}

/// Sorts cuts, drops any that overlap an earlier one, and widens the ones
/// that ask for it over the whitespace before them (or after them, at the
/// start of the paragraph), never into a neighbour.
fn settle_cuts(raw: &str, cuts: &mut Vec<Cut>) {
    if cuts.is_empty() {
        return;
    }
    cuts.sort_by_key(|c| (c.span.start, std::cmp::Reverse(c.span.end)));
    let mut kept: Vec<Cut> = Vec::with_capacity(cuts.len());
    for cut in cuts.drain(..) {
        if kept
            .last()
            .is_some_and(|last| cut.span.start < last.span.end)
        {
            continue;
        }
        kept.push(cut);
    }
    let mut floor = 0;
    for i in 0..kept.len() {
        let ceiling = kept.get(i + 1).map_or(raw.len(), |next| next.span.start);
        let cut = &mut kept[i];
        if cut.with_space {
            let before = &raw[floor..cut.span.start];
            let space_before = before.len() - before.trim_end_matches(is_ignorable).len();
            if space_before > 0 {
                cut.span.start -= space_before;
            } else if cut.span.start == 0 {
                let after = &raw[cut.span.end..ceiling];
                cut.span.end += after.len() - after.trim_start_matches(is_ignorable).len();
            }
        }
        floor = cut.span.end;
    }
    *cuts = kept;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kept_and_cut(text: &str) -> (Vec<String>, Vec<(String, &'static str)>) {
        let doc = Normalizer::new().normalize_document(text);
        let mut kept = Vec::new();
        let mut cut = Vec::new();
        for p in &doc.paragraphs {
            match &p.state {
                ParagraphState::Removed(r) => {
                    cut.push((r.span.slice(text).to_string(), r.kind.as_str()))
                }
                ParagraphState::Kept(k) => {
                    kept.push(k.text.clone());
                    for c in &k.cuts {
                        cut.push((c.span.slice(text).to_string(), c.kind.as_str()));
                    }
                }
            }
        }
        (kept, cut)
    }

    #[test]
    fn angle_link_leaves_sentence_readable() {
        let (kept, cut) =
            kept_and_cut("Ambassador Jones, <www.example.com/a-b/> refused to rule it out.");
        assert_eq!(kept, ["Ambassador Jones, refused to rule it out."]);
        assert_eq!(cut, [(" <www.example.com/a-b/>".to_string(), "link")]);
    }

    #[test]
    fn link_at_start_takes_following_space() {
        let (kept, cut) = kept_and_cut("https://ex.org/x Officials said so.");
        assert_eq!(kept, ["Officials said so."]);
        assert_eq!(cut[0].0, "https://ex.org/x ");
    }

    #[test]
    fn markdown_link_keeps_its_text() {
        let (kept, cut) = kept_and_cut("Read [the full filing](https://ex.org/f) here.");
        assert_eq!(kept, ["Read the full filing here."]);
        assert_eq!(cut.len(), 2);
    }

    #[test]
    fn link_only_paragraph_goes_whole() {
        let (kept, cut) = kept_and_cut("Body text stays.\n<https://ex.org/only>\n");
        assert_eq!(kept, ["Body text stays."]);
        assert_eq!(cut, [("<https://ex.org/only>".to_string(), "link")]);
    }

    #[test]
    fn inline_bracket_promo_is_cut() {
        let (kept, cut) = kept_and_cut("The vote passed. [Related: Another story] Then it rained.");
        assert_eq!(kept, ["The vote passed. Then it rained."]);
        assert_eq!(
            cut,
            [(" [Related: Another story]".to_string(), "boilerplate")]
        );
    }

    #[test]
    fn empty_paragraph() {
        let (kept, cut) = kept_and_cut("Text.\n&nbsp;\n");
        assert_eq!(kept, ["Text."]);
        assert_eq!(cut, [("&nbsp;".to_string(), "empty")]);
    }

    #[test]
    fn links_can_stay() {
        let n = Normalizer::builder().remove_links(false).build().unwrap();
        let doc = n.normalize_document("See www.example.com/a today.");
        assert_eq!(doc.paragraphs[0].text(), "See www.example.com/a today.");
    }

    #[test]
    fn config_disables_and_adds() {
        let config: RulesConfig = serde_json::from_str(
            r#"{"disable": ["comment-form"], "rule": [{"id": "byline", "match": "prefix", "patterns": ["by staff"]}]}"#,
        )
        .unwrap();
        let n = Normalizer::builder().config(config).build().unwrap();
        let doc = n.normalize_document("Leave a Reply\nBy Staff Reporter\n");
        assert!(!doc.paragraphs[0].is_removed());
        assert_eq!(
            doc.paragraphs[1].removal().unwrap().rule.as_deref(),
            Some("byline")
        );
        let err = Normalizer::builder()
            .disable_rule("nope")
            .build()
            .unwrap_err();
        assert_eq!(err.to_string(), "no rule with id \"nope\" to disable");
    }
}
