//! Property tests of the library's invariants on generated documents.

use newsdedup::clean::site::SiteCounter;
use newsdedup::normalize::{clean_text, is_ignorable, matching_key};
use newsdedup::report::{DocumentRecord, Record};
use newsdedup::{Cleaned, Cleaner, Index, Mode, Normalizer};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;

/// Pieces scraped news is made of: prose, headings, links, boilerplate,
/// entities, invisible characters, other scripts.
const PARAGRAPHS: &[&str] = &[
    "The harbour authority said on Monday that the northern terminal would stay closed for three more weeks.",
    "Engineers found that two of the four cranes had shifted on their rails during the storm, officials said.",
    "\u{201C}We will not reopen a berth until every crane is certified,\u{201D} the harbour master told reporters.",
    "Freight forwarders said the detour adds one to two days \u{2013} and costs more \u{2014} for inland customers.",
    "Rates rose &amp; fell: the index ended at &lt;102&gt; points, up &#8220;sharply&#8221; from a year ago today.",
    "The mediator, Jonas Ek, <www.example.com/business/talks-2026/> said both sides agreed to a blackout.",
    "Read [the full ruling](https://courts.example.org/r/55) before the hearing on Friday morning in the capital.",
    "Sources said https://example.net/x?y=1 was shared widely among the union members over the weekend.",
    "Talks Resume",
    "What Comes Next",
    "Reuter",
    "Leave a Reply",
    "Your email address will not be published. Required fields are marked *",
    "[image: Commuters on a platform]",
    "[Read More: Another Story Entirely]",
    "GO HERE FOR MORE www.example-news.com/rail/8842 and please donate example-fund.org/donate/",
    "Share this article",
    "Facebook Twitter Email 12 shares",
    "&nbsp;",
    "\u{FEFF}Zero\u{200B}width and soft\u{00AD}hyphen text appears in scraped pages quite often, editors say.",
    "\u{4E2D}\u{56FD}\u{7684}\u{6E2F}\u{53E3}\u{5728}\u{5468}\u{4E00}\u{91CD}\u{65B0}\u{5F00}\u{653E}\u{3002}",
    "\u{05D4}\u{05E0}\u{05DE}\u{05DC} \u{05E0}\u{05E4}\u{05EA}\u{05D7} mixed with English words in one line of text here.",
    "Family emoji \u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467} and flags \u{1F1F3}\u{1F1F4} in a caption of a photograph.",
    "Calde\u{0301}ron's tenure from 2006 to 2012 is remembered for the kingpin strategy by many analysts.",
];

const SEPARATORS: &[&str] = &["\n", "\r\n", "\n\n", "\r", "\n \t\n", "\n\u{200B}\n"];

fn document() -> impl Strategy<Value = String> {
    (
        prop::collection::vec((0..PARAGRAPHS.len(), 0..SEPARATORS.len()), 0..14),
        prop::sample::select(vec!["", "\n", "  ", "\u{FEFF}"]),
    )
        .prop_map(|(parts, lead)| {
            let mut text = lead.to_string();
            for (p, s) in parts {
                text.push_str(PARAGRAPHS[p]);
                text.push_str(SEPARATORS[s]);
            }
            text
        })
}

/// Menu entries, as page text has them.
const MENU: &[&str] = &[
    "Home",
    "World",
    "Sport",
    "Sign in",
    "Subscribe",
    "Most read",
    "Comments",
    "Privacy Policy",
    "Marta says:",
];

/// A page: documents between runs of menu entries.
fn page() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            document(),
            prop::collection::vec(prop::sample::select(MENU), 1..12).prop_map(|m| m.join("\n")),
        ],
        1..6,
    )
    .prop_map(|parts| parts.join("\n"))
}

/// Any text, including controls, lone CRs and non-ASCII.
fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        ".*",
        "[ \\t\\r\\n\u{200B}\u{FEFF}a-z<>\\[\\]():/.&#;0-9-]{0,200}",
        document(),
    ]
}

/// Removed spans, kept paragraphs (less their cuts) and separators partition
/// the input exactly; every span is in bounds and on char boundaries.
fn check_partition(text: &str, cleaned: &Cleaned) -> Result<(), TestCaseError> {
    let mut pieces: Vec<(usize, usize, &str)> = Vec::new();
    for r in &cleaned.removed {
        prop_assert!(r.span.start <= r.span.end && r.span.end <= text.len());
        prop_assert!(text.is_char_boundary(r.span.start) && text.is_char_boundary(r.span.end));
        pieces.push((r.span.start, r.span.end, "removed"));
    }
    for w in cleaned.removed.windows(2) {
        prop_assert!(
            w[0].span.end <= w[1].span.start,
            "removals sorted and disjoint"
        );
    }
    for p in &cleaned.paragraphs {
        if !p.kept {
            prop_assert!(
                cleaned.removed.iter().any(|r| r.span == p.span),
                "a dropped paragraph is one removal"
            );
            continue;
        }
        let mut at = p.span.start;
        for r in cleaned
            .removed
            .iter()
            .filter(|r| r.span.start >= p.span.start && r.span.end <= p.span.end)
        {
            pieces.push((at, r.span.start, "kept"));
            at = r.span.end;
        }
        pieces.push((at, p.span.end, "kept"));
    }
    let mut paragraph_spans: Vec<_> = cleaned.paragraphs.iter().map(|p| p.span).collect();
    paragraph_spans.sort();
    let mut at = 0;
    for span in &paragraph_spans {
        pieces.push((at, span.start, "separator"));
        at = span.end;
    }
    pieces.push((at, text.len(), "separator"));
    pieces.retain(|p| p.0 != p.1);
    pieces.sort();
    let mut at = 0;
    for &(start, end, what) in &pieces {
        prop_assert_eq!(start, at, "gap or overlap before a {} piece", what);
        if what == "separator" {
            prop_assert!(
                text[start..end].chars().all(is_ignorable),
                "separator {:?}",
                &text[start..end]
            );
        }
        at = end;
    }
    prop_assert_eq!(at, text.len());
    Ok(())
}

proptest! {
    // A fixed seed: CI runs the same cases every time. Set PROPTEST_CASES
    // higher in a session to search further.
    #![proptest_config(ProptestConfig {
        cases: 400,
        rng_seed: RngSeed::Fixed(0x6e65_7773),
        ..ProptestConfig::default()
    })]

    #[test]
    fn page_mode_partitions_the_input(text in prop_oneof![page(), any_text()]) {
        let cleaner = Cleaner::builder()
            .normalizer(Normalizer::builder().mode(Mode::Page))
            .build()
            .unwrap();
        let cleaned = cleaner.clean(&mut Index::new(), "page", &text);
        check_partition(&text, &cleaned)?;
    }

    #[test]
    fn site_boilerplate_keeps_every_removal_accounted(
        docs in prop::collection::vec((document(), any::<bool>()), 10..30)
    ) {
        const FOOTER: &str = "Write to the Courier newsroom at any hour of the day";
        let docs: Vec<String> = docs
            .into_iter()
            .map(|(d, footer)| if footer { format!("{d}\n\n{FOOTER}") } else { d })
            .collect();
        let cleaner = Cleaner::new();
        let mut counter = SiteCounter::new();
        for d in &docs {
            counter.observe("courier", &cleaner.normalizer().normalize_document(d).paragraphs);
        }
        let found = counter.finish();
        let mut index = Index::new();
        for (i, d) in docs.iter().enumerate() {
            let mut analysis = cleaner.analyze(d);
            analysis.remove_site_boilerplate("courier", &found);
            let cleaned = cleaner.decide(&mut index, &i.to_string(), analysis);
            check_partition(d, &cleaned)?;
            if d.contains(FOOTER) && docs.iter().filter(|d| d.contains(FOOTER)).count() >= 5 {
                prop_assert!(!cleaned.text.contains(FOOTER), "the footer stays in {}", i);
            }
        }
    }

    #[test]
    fn spans_partition_the_input(text in any_text()) {
        let cleaner = Cleaner::new();
        let mut index = Index::new();
        let cleaned = cleaner.clean(&mut index, "doc", &text);
        check_partition(&text, &cleaned)?;
        prop_assert_eq!(cleaned.verify(&text), Ok(()));
        let record = DocumentRecord::new(&cleaned, &text, "doc", &index);
        prop_assert_eq!(
            record.bytes_removed,
            cleaned.removed.iter().map(|r| r.span.len()).sum::<usize>()
        );
        // The report round-trips through JSON.
        let line = serde_json::to_string(&Record::Document(record.clone())).unwrap();
        let back: Record = serde_json::from_str(&line).unwrap();
        prop_assert_eq!(back, Record::Document(record));
    }

    #[test]
    fn second_document_partitions_too(a in document(), b in document()) {
        let cleaner = Cleaner::new();
        let mut index = Index::new();
        cleaner.clean(&mut index, "a", &a);
        let cleaned = cleaner.clean(&mut index, "b", &b);
        check_partition(&b, &cleaned)?;
    }

    #[test]
    fn clean_text_is_idempotent(text in any_text()) {
        let once = clean_text(&text).into_owned();
        let twice = clean_text(&once).into_owned();
        prop_assert_eq!(twice, once);
    }

    #[test]
    fn matching_key_is_idempotent(text in any_text()) {
        let key = matching_key(&text);
        prop_assert_eq!(matching_key(&key), key.clone());
        prop_assert!(!key.starts_with(' ') && !key.ends_with(' ') && !key.contains("  "));
    }

    /// An article pasted twice comes back once, when its paragraphs are
    /// distinct and at least one is long enough to anchor the repeated run.
    #[test]
    fn article_doubled_comes_back_once(mut picks in prop::collection::vec(0..PARAGRAPHS.len(), 1..10)) {
        picks.sort_unstable();
        picks.dedup();
        let text: Vec<&str> = picks.iter().map(|&i| PARAGRAPHS[i]).collect();
        let once = text.join("\n");
        let twice = format!("{once}\n{once}");
        let cleaner = Cleaner::new();
        let single = cleaner.clean(&mut Index::new(), "a", &once);
        let anchored = single
            .text
            .split(single.layout.separator())
            .any(|p| matching_key(p).split(' ').count() >= cleaner.short_paragraph_words());
        prop_assume!(anchored);
        let doubled = cleaner.clean(&mut Index::new(), "a", &twice);
        prop_assert_eq!(doubled.text, single.text);
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 200,
        rng_seed: RngSeed::Fixed(0x6964_656d),
        ..ProptestConfig::default()
    })]

    /// Cleaning an already-cleaned corpus removes nothing more.
    #[test]
    fn cleaning_is_idempotent(docs in prop::collection::vec(document(), 1..6)) {
        let cleaner = Cleaner::new();
        let mut index = Index::new();
        let once: Vec<String> = docs
            .iter()
            .enumerate()
            .map(|(i, d)| cleaner.clean(&mut index, &i.to_string(), d).text)
            .collect();
        let mut index = Index::new();
        for (i, d) in once.iter().enumerate() {
            let again = cleaner.clean(&mut index, &i.to_string(), d);
            prop_assert!(again.removed.is_empty(), "document {} lost {:?}", i, again.removed);
            prop_assert_eq!(&again.text, d);
        }
    }
}

/// Hostile pieces for the HTML report: what could close its data block or
/// open markup.
#[cfg(feature = "html")]
fn hostile_text() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "</script>",
        "</SCRIPT >",
        "<script>",
        "<!--",
        "-->",
        "<img src=x onerror=alert(1)>",
        "\u{2028}",
        "\u{2029}",
        "\\u003c/script\\u003e",
        "&lt;/script&gt;",
        "\"",
        "'",
        "]]>",
        "\n\n",
        "\n",
        "The port stayed closed on Monday, officials said.",
        "\u{1F600}\u{e9}",
    ]);
    prop_oneof![
        prop::collection::vec(pieces, 0..12).prop_map(|p| p.concat()),
        any_text(),
    ]
}

#[cfg(feature = "html")]
proptest! {
    #![proptest_config(ProptestConfig {
        cases: 200,
        rng_seed: RngSeed::Fixed(0x6874_6d6c),
        ..ProptestConfig::default()
    })]

    /// Whatever the records hold, the HTML page has exactly its own two
    /// script elements, and its data block gives back every record's id
    /// and text unchanged.
    #[test]
    fn html_data_holds_any_text_and_cannot_be_closed(
        docs in prop::collection::vec((hostile_text(), hostile_text()), 1..5),
    ) {
        let cleaner = Cleaner::new();
        let mut index = Index::new();
        let mut page = newsdedup::html::HtmlReport::new(1 << 20);
        let mut summary = newsdedup::report::Summary::default();
        for (i, (id, text)) in docs.iter().enumerate() {
            // Ids must differ for the index's names; hostile all the same.
            let id = format!("{id}{i}");
            let cleaned = cleaner.clean(&mut index, &id, text);
            let record = DocumentRecord::new(&cleaned, text, "src", &index);
            summary.add_document(&record);
            page.document(&record, text);
        }
        let mut out = Vec::new();
        page.write(&summary, &mut out).expect("written to memory");
        let html = String::from_utf8(out).expect("UTF-8");
        let lower = html.to_ascii_lowercase();
        prop_assert_eq!(lower.matches("<script").count(), 2);
        prop_assert_eq!(lower.matches("</script").count(), 2);
        let open = "<script type=\"application/json\" id=\"nd-data\">";
        let start = html.find(open).expect("a data block") + open.len();
        let end = start + html[start..].find("</script>").expect("closed");
        let data: serde_json::Value =
            serde_json::from_str(&html[start..end]).expect("the data block is JSON");
        let articles = data.as_array().expect("an array");
        prop_assert_eq!(articles.len(), docs.len());
        for (i, (article, (id, text))) in articles.iter().zip(&docs).enumerate() {
            let want = format!("{id}{i}");
            prop_assert_eq!(article["i"].as_str(), Some(want.as_str()));
            prop_assert_eq!(article["t"].as_str(), Some(text.as_str()));
        }
    }
}
