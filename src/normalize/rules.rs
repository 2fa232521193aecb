//! Boilerplate rules: data with ids, matched on the matching key.
//!
//! A [`Rule`] has an id (named in the report for every removal it causes), a
//! [`Match`] mode and patterns. Patterns are folded to matching keys when the
//! [`RuleSet`] is built, so `"Leave a Reply"`, `"leave a reply"` and
//! `"LEAVE A REPLY!"` are one pattern. All line patterns of all rules are
//! looked up in a hash table (line rules) or compiled into Aho-Corasick
//! automata: one searched only at the start of a paragraph (prefix rules),
//! one searched anywhere (contains rules), skipped when the paragraph is
//! longer than every contains rule allows (or than every rule that needs no
//! link, when it has none).
//!
//! Rules come from [`default_rules`], from the builder, or from a config file
//! deserialized into [`RulesConfig`] (see the README for the TOML form).

use std::collections::{HashMap, HashSet};

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind};
use crate::normalize::text::{key_words, matching_key};
use crate::removal::RuleId;

/// How a rule's patterns are matched against a paragraph's matching key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Match {
    /// The whole paragraph is one of the patterns.
    Line,
    /// The paragraph starts with a pattern (at a word boundary).
    Prefix,
    /// The paragraph ends with a pattern (at a word boundary): "joe
    /// says:" under a comment.
    Suffix,
    /// The paragraph contains a pattern (at word boundaries).
    Contains,
    /// Every word of the paragraph is a pattern or a number (share bars:
    /// "Facebook Twitter Email 12 shares").
    AllWords,
    /// An inline `[label: …]` or `[label]` span whose label is a pattern;
    /// the span is cut out of the paragraph, or the whole paragraph goes when
    /// nothing else is left.
    Bracket,
}

/// One boilerplate rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Rule {
    /// Id named in the report: lowercase letters, digits and `-`.
    pub id: String,
    /// How the patterns are matched.
    #[serde(rename = "match")]
    pub matcher: Match,
    /// The patterns, compared by matching key.
    pub patterns: Vec<String>,
    /// Match only paragraphs that contain a link.
    #[serde(default)]
    pub requires_link: bool,
    /// Match only paragraphs of at least this many words.
    #[serde(default)]
    pub min_words: Option<usize>,
    /// Match only paragraphs of at most this many words.
    #[serde(default)]
    pub max_words: Option<usize>,
    /// Apply only in page mode ([`Mode::Page`](crate::normalize::Mode)),
    /// where a whole page's text is cleaned; article mode leaves such lines.
    #[serde(default)]
    pub page_only: bool,
    /// In page mode, a match after the article's start ends the article:
    /// the paragraph and everything after it go (comment sections).
    #[serde(default)]
    pub ends_article: bool,
}

impl Rule {
    /// A rule with no word bounds that does not require a link.
    pub fn new<I, S>(id: &str, matcher: Match, patterns: I) -> Rule
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Rule {
            id: id.to_string(),
            matcher,
            patterns: patterns.into_iter().map(Into::into).collect(),
            requires_link: false,
            min_words: None,
            max_words: None,
            page_only: false,
            ends_article: false,
        }
    }

    /// Apply only in page mode.
    pub fn page_only(mut self, yes: bool) -> Rule {
        self.page_only = yes;
        self
    }

    /// In page mode, end the article at a match.
    pub fn ends_article(mut self, yes: bool) -> Rule {
        self.ends_article = yes;
        self
    }

    /// Match only paragraphs that contain a link.
    pub fn requires_link(mut self, yes: bool) -> Rule {
        self.requires_link = yes;
        self
    }

    /// Match only paragraphs of at least `n` words.
    pub fn min_words(mut self, n: usize) -> Rule {
        self.min_words = Some(n);
        self
    }

    /// Match only paragraphs of at most `n` words.
    pub fn max_words(mut self, n: usize) -> Rule {
        self.max_words = Some(n);
        self
    }
}

/// A rules config file: rules to add (or to use instead of the defaults) and
/// default rules to disable.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct RulesConfig {
    /// Start from no rules instead of [`default_rules`].
    #[serde(default)]
    pub replace_defaults: bool,
    /// Ids of rules to disable.
    #[serde(default)]
    pub disable: Vec<String>,
    /// Rules to add, after the defaults.
    #[serde(default, rename = "rule")]
    pub rules: Vec<Rule>,
}

/// The built-in rules: English first, with the common phrases of
/// Portuguese, Spanish, Italian, French, German and Russian pages where a
/// rule is about fixed wording (comment sections, cookie notices, "read
/// also"). Rules marked *page* apply only in page mode; *ends* rules end the
/// article in page mode (the match and all after it go).
///
/// | id | match | modes | what it removes |
/// |---|---|---|---|
/// | `comment-form` | prefix, at most 16 words | both, ends | "Leave a Reply", "Your email address will not be published…", "Comments are closed", "Comments are subject to…" |
/// | `comment-section` | line | page, ends | "Comments", "View comments", "Join the conversation", "Comentários", "Комментарии" |
/// | `comment-byline` | suffix, at most 6 words | page, ends (when it matches twice) | "joetoronto says:", "Ana disse:" |
/// | `bracket-promo` | bracket | both | "[Read More: …]", "[Related: …]", "[See also: …]" |
/// | `bracket-media` | bracket | both | "[image: …]", "[photo: …]", "[video: …]" |
/// | `cta-link` | contains, with a link | both | call-to-action paragraphs that carry a link: donate, "go here for more", subscribe, follow us |
/// | `share-line` | line | both | "Share this article", "Share on Facebook", "Click to share" |
/// | `social-counter` | all words, 2 to 12 words | both | "Facebook Twitter LinkedIn Email 12 shares" |
/// | `share-button` | line | page | one button of a share bar: "Print", "Email", "Facebook" |
/// | `ad-label` | line | both | "Advertisement", "Story continues below advertisement", "Publicidade" |
/// | `cookie-notice` | contains, at most 60 words | both | "We use cookies to…", "By continuing to use this site…" |
/// | `policy-links` | contains, at most 14 words | page | "Privacy Policy", "Terms of Use", "All rights reserved" (short lines only: news about privacy stays) |
/// | `newsletter-box` | contains, at most 30 words | page | "Sign up for our newsletter", "delivered to your inbox", "Enter your email" |
/// | `related-links` | line | page | list heads: "Related stories", "Most read", "You may also like", "Leia também" |
/// | `related-prefix` | prefix, at most 20 words | page | "Read more: …", "More from …", "See also …" lines |
/// | `social-follow` | prefix, at most 12 words | both | "Follow us on Twitter", "Like us on Facebook" |
pub fn default_rules() -> Vec<Rule> {
    vec![
        Rule::new(
            "comment-form",
            Match::Prefix,
            [
                "leave a reply",
                "leave a comment",
                "your email address will not be published",
                "required fields are marked",
                "post a comment",
                "cancel reply",
                "comments are closed",
                "you must be logged in to post a comment",
                "comments are subject to",
                "comments are moderated",
                "comments have been closed",
            ],
        )
        .max_words(16)
        .ends_article(true),
        Rule::new(
            "comment-section",
            Match::Line,
            [
                "comments",
                "view comments",
                "show comments",
                "load comments",
                "see comments",
                "read comments",
                "reader comments",
                "add a comment",
                "add comment",
                "post comment",
                "join the conversation",
                "join the discussion",
                "comentários",
                "comentarios",
                "commenti",
                "commentaires",
                "kommentare",
                "комментарии",
            ],
        )
        .page_only(true)
        .ends_article(true),
        Rule::new(
            "comment-byline",
            Match::Suffix,
            [
                "says",
                "said",
                "wrote",
                "writes",
                "replied",
                "commented",
                "disse",
                "dice",
                "escribió",
                "écrit",
                "schreibt",
                "пишет",
                "написал",
            ],
        )
        .max_words(6)
        .page_only(true)
        .ends_article(true),
        Rule::new(
            "bracket-promo",
            Match::Bracket,
            [
                "read more",
                "read also",
                "also read",
                "related",
                "see also",
                "more",
                "recommended",
                "watch",
                "listen",
            ],
        ),
        Rule::new(
            "bracket-media",
            Match::Bracket,
            [
                "image", "images", "photo", "photos", "picture", "video", "gallery", "graphic",
                "embed", "audio",
            ],
        ),
        Rule::new(
            "cta-link",
            Match::Contains,
            [
                "donate",
                "donation",
                "donations",
                "go here for more",
                "click here",
                "subscribe",
                "follow us",
                "sign up for",
                "support us",
                "support our",
                "become a patron",
                "join our",
            ],
        )
        .requires_link(true),
        Rule::new(
            "share-line",
            Match::Line,
            [
                "share",
                "share this",
                "share this article",
                "share this story",
                "share this post",
                "share on facebook",
                "share on twitter",
                "share on x",
                "share via email",
                "click to share",
                "click to share on facebook",
                "click to share on twitter",
                "tweet this",
            ],
        ),
        Rule::new(
            "social-counter",
            Match::AllWords,
            [
                "facebook",
                "twitter",
                "x",
                "linkedin",
                "whatsapp",
                "pinterest",
                "reddit",
                "telegram",
                "email",
                "print",
                "share",
                "shares",
                "tweet",
                "tweets",
                "comments",
                "comment",
                "copy",
                "link",
                "pin",
                "messenger",
                "flipboard",
                "k",
            ],
        )
        .min_words(2)
        .max_words(12),
        Rule::new(
            "share-button",
            Match::Line,
            [
                "print",
                "email",
                "e mail",
                "mail",
                "facebook",
                "twitter",
                "x",
                "linkedin",
                "whatsapp",
                "pinterest",
                "reddit",
                "telegram",
                "flipboard",
                "messenger",
                "tweet",
                "copy link",
                "copy url",
                "save",
                "imprimir",
                "stampa",
                "drucken",
            ],
        )
        .page_only(true),
        Rule::new(
            "ad-label",
            Match::Line,
            [
                "advertisement",
                "advertising",
                "sponsored",
                "sponsored content",
                "paid content",
                "ad",
                "story continues below advertisement",
                "article continues below advertisement",
                "continue reading below",
                "scroll to continue with content",
                "skip advertisement",
                "publicidade",
                "publicidad",
                "pubblicità",
                "anzeige",
                "реклама",
            ],
        ),
        Rule::new(
            "cookie-notice",
            Match::Contains,
            [
                "we use cookies",
                "this site uses cookies",
                "this website uses cookies",
                "uses cookies to",
                "use of cookies",
                "accept cookies",
                "accept all cookies",
                "cookie settings",
                "cookie preferences",
                "by continuing to use this site",
                "by continuing to browse",
                "by using this site you agree",
                "utilizamos cookies",
                "usamos cookies",
                "utilizziamo i cookie",
                "wir verwenden cookies",
                "nous utilisons des cookies",
                "использует cookie",
                "файлы cookie",
            ],
        )
        .max_words(60),
        Rule::new(
            "policy-links",
            Match::Contains,
            [
                "privacy policy",
                "cookie policy",
                "terms of use",
                "terms of service",
                "terms and conditions",
                "terms conditions",
                "all rights reserved",
                "do not sell my personal information",
                "do not sell my info",
                "privacy notice",
                "your privacy choices",
                "política de privacidade",
                "política de privacidad",
                "termos de uso",
                "tutti i diritti riservati",
                "alle rechte vorbehalten",
                "все права защищены",
            ],
        )
        .max_words(14)
        .page_only(true),
        Rule::new(
            "newsletter-box",
            Match::Contains,
            [
                "sign up for our newsletter",
                "sign up for our newsletters",
                "sign up to our newsletter",
                "subscribe to our newsletter",
                "subscribe to our newsletters",
                "sign up for the newsletter",
                "get our newsletter",
                "newsletter sign up",
                "newsletter signup",
                "delivered to your inbox",
                "straight to your inbox",
                "directly to your inbox",
                "in your inbox",
                "enter your email",
                "enter your e mail",
                "your email address",
                "thanks for signing up",
                "thank you for signing up",
                "subscribe now",
                "subscribe today",
                "sign up now",
                "already a subscriber",
                "become a subscriber",
                "subscribers only",
                "assine a newsletter",
                "iscriviti alla newsletter",
                "подпишитесь на",
            ],
        )
        .max_words(30)
        .page_only(true),
        Rule::new(
            "related-links",
            Match::Line,
            [
                "read more",
                "read next",
                "read also",
                "also read",
                "see also",
                "related",
                "related articles",
                "related stories",
                "related posts",
                "related content",
                "related coverage",
                "related news",
                "more stories",
                "more news",
                "more on this story",
                "more on this topic",
                "most read",
                "most popular",
                "most viewed",
                "most shared",
                "trending",
                "trending now",
                "trending stories",
                "recommended",
                "recommended for you",
                "recommended stories",
                "you may also like",
                "you might also like",
                "you may be interested in",
                "editor's picks",
                "editors picks",
                "top stories",
                "latest news",
                "latest stories",
                "popular posts",
                "recent posts",
                "leia mais",
                "leia também",
                "veja também",
                "leggi anche",
                "lee también",
                "lire aussi",
                "mehr zum thema",
                "читайте также",
            ],
        )
        .page_only(true),
        Rule::new(
            "related-prefix",
            Match::Prefix,
            [
                "read more",
                "read also",
                "also read",
                "see also",
                "related",
                "more from",
                "more in",
                "leia mais",
                "leia também",
                "leggi anche",
                "читайте также",
            ],
        )
        .max_words(20)
        .page_only(true),
        Rule::new(
            "social-follow",
            Match::Prefix,
            [
                "follow us",
                "follow us on",
                "like us on facebook",
                "find us on facebook",
                "connect with us",
                "siga nos",
                "seguici su",
            ],
        )
        .max_words(12),
    ]
}

/// A validated, compiled set of rules. Matching never fails.
#[derive(Clone, Debug)]
pub struct RuleSet {
    rules: Vec<Rule>,
    /// Each rule's id, shared by the removals it makes.
    ids: Vec<RuleId>,
    /// Line patterns, each with the rules that have it, in rule order.
    lines: HashMap<String, Vec<usize>>,
    /// Length of the longest line pattern.
    longest_line: usize,
    /// Prefix patterns, searched anchored at the start of the key.
    prefixes: Option<Patterns>,
    /// Suffix patterns, each with the rules that have it.
    suffixes: HashMap<String, Vec<usize>>,
    /// Word counts of the suffix patterns.
    suffix_words: Vec<usize>,
    /// Contains patterns of rules without a link requirement, searched
    /// anywhere.
    contains: Option<Patterns>,
    /// Contains patterns of rules that require a link, searched only in
    /// paragraphs that held one: most paragraphs are spared their search.
    contains_linked: Option<Patterns>,
    /// Most words of a paragraph that a contains rule without (with) a
    /// link requirement can match: the search is skipped above.
    contains_cap: usize,
    contains_linked_cap: usize,
    all_words: Vec<(usize, HashSet<String>)>,
    brackets: Vec<(usize, HashSet<String>)>,
}

/// Patterns of several rules in one automaton.
#[derive(Clone, Debug)]
struct Patterns {
    automaton: AhoCorasick,
    /// The same patterns, leftmost-first: whether any occurs at all, asked
    /// first. Most keys hold none, and this search skips through them with
    /// a vectorized prefilter, which the overlapping search cannot. The
    /// packed searcher (Teddy) when the patterns fit it: the automaton picks
    /// its prefilter by the patterns' bytes, and for some sets picks one of
    /// rare bytes that stops on every common word (on Reuters, the
    /// normalizer ran 22% slower with the default cookie rule alone).
    any: Any,
    /// Rule index of each pattern.
    rule_of: Vec<usize>,
    /// Length of the longest pattern.
    longest: usize,
    /// The first word of every pattern: a key whose first word is not one
    /// of them cannot start with a pattern.
    first_words: HashSet<String>,
}

/// The first word of a key: a plain loop, as words are too short for a
/// vectorized search to pay.
fn first_word(key: &str) -> &str {
    let end = key.bytes().position(|b| b == b' ').unwrap_or(key.len());
    &key[..end]
}

/// The search for whether any pattern occurs.
#[derive(Clone, Debug)]
enum Any {
    Packed(aho_corasick::packed::Searcher),
    Automaton(AhoCorasick),
}

impl Patterns {
    fn build(patterns: Vec<(String, usize)>) -> Result<Option<Patterns>, Error> {
        if patterns.is_empty() {
            return Ok(None);
        }
        let (keys, rule_of): (Vec<String>, Vec<usize>) = patterns.into_iter().unzip();
        let longest = keys.iter().map(String::len).max().unwrap_or(0);
        let first_words = keys.iter().map(|k| first_word(k).to_string()).collect();
        let packed = aho_corasick::packed::Config::new()
            .builder()
            .extend(&keys)
            .build();
        let build = |kind| {
            AhoCorasick::builder()
                .match_kind(kind)
                .kind(Some(AhoCorasickKind::DFA))
                .build(&keys)
                .map_err(|e| Error::new(ErrorKind::Matcher(e.to_string())))
        };
        Ok(Some(Patterns {
            automaton: build(MatchKind::Standard)?,
            any: match packed {
                Some(searcher) => Any::Packed(searcher),
                None => Any::Automaton(build(MatchKind::LeftmostFirst)?),
            },
            rule_of,
            longest,
            first_words,
        }))
    }

    /// Rules with a pattern at word boundaries of `key`; with `at_start`,
    /// only patterns that start the key (and only its first bytes are
    /// searched).
    fn matches<'a>(&'a self, key: &'a str, at_start: bool) -> impl Iterator<Item = usize> + 'a {
        let bytes = key.as_bytes();
        let haystack = if !at_start {
            // A pattern occurs somewhere exactly when a leftmost-first
            // search finds one.
            let any = match &self.any {
                Any::Packed(searcher) => searcher.find(bytes).is_some(),
                Any::Automaton(automaton) => automaton.is_match(bytes),
            };
            if any { bytes } else { &[] }
        } else if self.first_words.contains(first_word(key)) {
            &bytes[..bytes.len().min(self.longest)]
        } else {
            &[]
        };
        self.automaton
            .find_overlapping_iter(haystack)
            .filter(move |m| {
                let left = if at_start {
                    m.start() == 0
                } else {
                    m.start() == 0 || bytes[m.start() - 1] == b' '
                };
                let right = m.end() == bytes.len() || bytes[m.end()] == b' ';
                left && right
            })
            .map(|m| self.rule_of[m.pattern().as_usize()])
    }
}

impl RuleSet {
    /// Validates and compiles `rules`.
    pub fn new(rules: Vec<Rule>) -> Result<RuleSet, Error> {
        let mut seen = HashSet::new();
        let mut lines: HashMap<String, Vec<usize>> = HashMap::new();
        let mut prefixes = Vec::new();
        let mut suffixes: HashMap<String, Vec<usize>> = HashMap::new();
        let (mut contains, mut contains_linked) = (Vec::new(), Vec::new());
        let (mut contains_cap, mut contains_linked_cap) = (0, 0);
        let mut all_words = Vec::new();
        let mut brackets = Vec::new();
        for (index, rule) in rules.iter().enumerate() {
            let id_ok = !rule.id.is_empty()
                && rule
                    .id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if !id_ok {
                return Err(Error::new(ErrorKind::InvalidRuleId(rule.id.clone())));
            }
            if !seen.insert(rule.id.as_str()) {
                return Err(Error::new(ErrorKind::DuplicateRuleId(rule.id.clone())));
            }
            if let (Some(min), Some(max)) = (rule.min_words, rule.max_words)
                && min > max
            {
                return Err(Error::new(ErrorKind::WordBounds {
                    rule: rule.id.clone(),
                    min,
                    max,
                }));
            }
            if rule.patterns.is_empty() {
                return Err(Error::new(ErrorKind::EmptyPattern {
                    rule: rule.id.clone(),
                    pattern: String::new(),
                }));
            }
            let mut folded = HashSet::new();
            for pattern in &rule.patterns {
                let key = matching_key(pattern);
                if key.is_empty() {
                    return Err(Error::new(ErrorKind::EmptyPattern {
                        rule: rule.id.clone(),
                        pattern: pattern.clone(),
                    }));
                }
                folded.insert(key);
            }
            let mut sorted: Vec<String> = folded.iter().cloned().collect();
            sorted.sort();
            match rule.matcher {
                Match::Line => {
                    for key in sorted {
                        lines.entry(key).or_default().push(index);
                    }
                }
                Match::Prefix => prefixes.extend(sorted.into_iter().map(|k| (k, index))),
                Match::Suffix => {
                    for key in sorted {
                        suffixes.entry(key).or_default().push(index);
                    }
                }
                Match::Contains => {
                    let cap = rule.max_words.unwrap_or(usize::MAX);
                    let (patterns, most) = if rule.requires_link {
                        (&mut contains_linked, &mut contains_linked_cap)
                    } else {
                        (&mut contains, &mut contains_cap)
                    };
                    *most = (*most).max(cap);
                    patterns.extend(sorted.into_iter().map(|k| (k, index)));
                }
                Match::AllWords => all_words.push((index, folded)),
                Match::Bracket => brackets.push((index, folded)),
            }
        }
        let mut suffix_words: Vec<usize> = suffixes.keys().map(|k| key_words(k)).collect();
        suffix_words.sort_unstable();
        suffix_words.dedup();
        Ok(RuleSet {
            ids: rules.iter().map(|r| RuleId::new(&r.id)).collect(),
            rules,
            suffixes,
            suffix_words,
            longest_line: lines.keys().map(String::len).max().unwrap_or(0),
            lines,
            prefixes: Patterns::build(prefixes)?,
            contains: Patterns::build(contains)?,
            contains_linked: Patterns::build(contains_linked)?,
            contains_cap,
            contains_linked_cap,
            all_words,
            brackets,
        })
    }

    /// The rules, in the order they were given.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The rule with index `index` (as returned by the match functions).
    pub fn rule(&self, index: usize) -> &Rule {
        &self.rules[index]
    }

    /// The id of the rule with index `index`, to name its removals.
    pub fn rule_id(&self, index: usize) -> &RuleId {
        &self.ids[index]
    }

    fn words_ok(rule: &Rule, words: usize) -> bool {
        rule.min_words.is_none_or(|min| words >= min)
            && rule.max_words.is_none_or(|max| words <= max)
    }

    /// The first rule (in rule order) that removes a whole paragraph with
    /// matching key `key`; `has_link` tells whether the paragraph held a link.
    pub fn match_paragraph(&self, key: &str, has_link: bool) -> Option<usize> {
        self.match_words(key, key_words(key), has_link)
    }

    /// [`RuleSet::match_paragraph`] for a key whose word count is known.
    pub(crate) fn match_words(&self, key: &str, words: usize, has_link: bool) -> Option<usize> {
        if key.is_empty() {
            return None;
        }
        let applies = |index: usize| {
            let rule = &self.rules[index];
            (!rule.requires_link || has_link) && Self::words_ok(rule, words)
        };
        let mut best: Option<usize> = None;
        let mut consider = |index: usize| {
            if best.is_none_or(|b| index < b) && applies(index) {
                best = Some(index);
            }
        };
        if key.len() <= self.longest_line
            && let Some(rules) = self.lines.get(key)
        {
            rules.iter().copied().for_each(&mut consider);
        }
        if let Some(prefixes) = &self.prefixes {
            prefixes.matches(key, true).for_each(&mut consider);
        }
        // The byte where the last `n` words start, for each suffix length
        // `n` in turn, from one scan back over the key's spaces.
        let mut word_starts = key
            .bytes()
            .enumerate()
            .rev()
            .filter(|&(_, b)| b == b' ')
            .map(|(at, _)| at + 1)
            .chain(std::iter::once(0));
        let mut start = key.len();
        let mut scanned = 0;
        for &n in &self.suffix_words {
            if n > words {
                break;
            }
            while scanned < n {
                start = word_starts.next().unwrap_or(0);
                scanned += 1;
            }
            if let Some(rules) = self.suffixes.get(&key[start..]) {
                rules.iter().copied().for_each(&mut consider);
            }
        }
        if let Some(contains) = &self.contains
            && words <= self.contains_cap
        {
            contains.matches(key, false).for_each(&mut consider);
        }
        if let Some(contains) = &self.contains_linked
            && has_link
            && words <= self.contains_linked_cap
        {
            contains.matches(key, false).for_each(&mut consider);
        }
        for (index, vocabulary) in &self.all_words {
            if best.is_some_and(|b| b <= *index) || !applies(*index) {
                continue;
            }
            // Every word is in the vocabulary or a number, and at least one
            // is a word: a row of dates or figures is not a share bar.
            let mut named = false;
            let all = key.split(' ').all(|w| {
                let known = vocabulary.contains(w);
                named |= known;
                known || w.bytes().all(|b| b.is_ascii_digit())
            });
            if all && named {
                best = Some(*index);
            }
        }
        best
    }

    /// The bracket rule whose label opens `inner`, the text between `[` and
    /// `]`: the label is what precedes the first `:` (or all of `inner`).
    pub fn match_bracket(&self, inner: &str) -> Option<usize> {
        if self.brackets.is_empty() {
            return None;
        }
        let label = inner.split([':', '|']).next().unwrap_or(inner);
        if label.len() > 40 {
            return None;
        }
        let key = matching_key(label);
        self.brackets
            .iter()
            .find(|(_, labels)| labels.contains(&key))
            .map(|(index, _)| *index)
    }

    /// True when some rule is a bracket rule.
    pub fn has_bracket_rules(&self) -> bool {
        !self.brackets.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id_of(set: &RuleSet, text: &str, has_link: bool) -> Option<String> {
        set.match_paragraph(&matching_key(text), has_link)
            .map(|i| set.rule(i).id.clone())
    }

    macro_rules! t {
        ($name:ident, $input:expr, $link:expr, $want:expr) => {
            #[test]
            fn $name() {
                let set = RuleSet::new(default_rules()).unwrap();
                assert_eq!(id_of(&set, $input, $link).as_deref(), $want);
            }
        };
    }

    t!(leave_reply, "Leave a Reply", false, Some("comment-form"));
    t!(
        email_notice,
        "Your email address will not be published. Required fields are marked *",
        false,
        Some("comment-form")
    );
    t!(
        prose_about_replies,
        "Officials said they would leave a reply to the letter until after the vote, which is expected next week in the capital after talks",
        false,
        None
    );
    t!(
        cta_with_link,
        "Please go here to donate! Every gift helps",
        true,
        Some("cta-link")
    );
    t!(
        cta_without_link,
        "Residents were asked to donate blood",
        false,
        None
    );
    t!(share, "Share this article", false, Some("share-line"));
    t!(
        counter,
        "Facebook Twitter Email 12 shares",
        false,
        Some("social-counter")
    );
    t!(
        figures_are_not_counters,
        "1986    1985       1986     1985",
        false,
        None
    );
    t!(
        word_boundary,
        "The subscriber base grew, linked to www",
        true,
        None
    );

    #[test]
    fn contains_rules_match_alike_in_the_packed_searcher_and_the_automaton() {
        // Few patterns take the packed searcher; more than it holds take
        // the automaton. The same words match, at word boundaries only.
        for extra in [0, 500] {
            let patterns = ["sign up today", "our podcast"]
                .into_iter()
                .map(String::from)
                .chain((0..extra).map(|i| format!("filler pattern {i}")))
                .collect::<Vec<_>>();
            let set = RuleSet::new(vec![Rule::new("promo", Match::Contains, patterns)]).unwrap();
            let packed = matches!(set.contains.as_ref().unwrap().any, Any::Packed(_));
            assert_eq!(packed, extra == 0);
            let id = |text| id_of(&set, text, false);
            assert_eq!(id("Listen to our podcast here"), Some("promo".into()));
            assert_eq!(id("Sign up today, it is free"), Some("promo".into()));
            assert_eq!(id("Pour podcasts"), None);
            assert_eq!(
                id("Filler pattern 7 appears"),
                (extra > 0).then(|| "promo".into())
            );
        }
    }

    #[test]
    fn bracket_labels() {
        let set = RuleSet::new(default_rules()).unwrap();
        let id = |s: &str| set.match_bracket(s).map(|i| set.rule(i).id.as_str());
        assert_eq!(id("Read More: A headline"), Some("bracket-promo"));
        assert_eq!(id("image: Why it matters"), Some("bracket-media"));
        assert_eq!(id("Photo"), Some("bracket-media"));
        assert_eq!(id("Reuters"), None);
        assert_eq!(id("sic"), None);
    }

    #[test]
    fn validation_errors_name_the_rule() {
        let bad = |rule: Rule| RuleSet::new(vec![rule]).unwrap_err().to_string();
        assert!(bad(Rule::new("Bad Id", Match::Line, ["x"])).contains("\"Bad Id\""));
        assert!(bad(Rule::new("r", Match::Line, ["!!"])).contains("\"!!\""));
        assert!(
            bad(Rule::new("r", Match::Line, ["x"]).min_words(3).max_words(2))
                .contains("min_words 3")
        );
        let dup = RuleSet::new(vec![
            Rule::new("r", Match::Line, ["x"]),
            Rule::new("r", Match::Line, ["y"]),
        ]);
        assert!(dup.unwrap_err().to_string().contains("used twice"));
    }
}
