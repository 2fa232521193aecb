//! The HTML report in a real browser: Debian's `chromium`, headless, loads
//! the page with JavaScript on, and the test reads the DOM it rendered. It
//! checks that the overview counts equal the JSONL summary, that every
//! removal of a chosen article is marked with its rule, that the link to a
//! kept copy lands on that paragraph, that a page cut down by its size
//! limit says so and still holds, and that hostile records render as text
//! and run nothing.
//!
//! Without chromium the tests print that they skip, except under CI (`CI`
//! set), where `.ci/run` installs it and its absence fails them.

#[macro_use]
#[allow(unused_macros)]
#[path = "support/binary.rs"]
mod binary;

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use binary::*;
use newsdedup::report::{DocumentRecord, Record, Summary};
use scraper::{Html, Selector};

/// The browser, or `None` (and a message) when it is absent outside CI.
fn chromium() -> Option<PathBuf> {
    let found = ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .filter_map(|name| {
            std::env::var_os("PATH").and_then(|paths| {
                std::env::split_paths(&paths)
                    .map(|dir| dir.join(name))
                    .find(|path| path.is_file())
            })
        })
        .next();
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "chromium is missing: .ci/run installs it"
        );
        println!("skipped: no chromium on PATH");
    }
    found
}

/// The DOM the browser rendered for `page` at `fragment`.
fn render(browser: &Path, page: &Path, fragment: &str) -> Html {
    let url = format!("file://{}#{fragment}", page.display());
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--virtual-time-budget=10000",
            "--dump-dom",
        ])
        .arg(&url)
        .output()
        .expect("chromium runs");
    assert!(out.status.success(), "chromium failed on {url}");
    let dom = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        dom.contains("data-ready=\"true\""),
        "the page's script did not finish on {url}"
    );
    Html::parse_document(&dom)
}

fn select<'a>(dom: &'a Html, css: &str) -> Vec<scraper::ElementRef<'a>> {
    let selector = Selector::parse(css).expect("a valid selector");
    dom.select(&selector).collect()
}

fn text_of(dom: &Html, css: &str) -> String {
    select(dom, css)
        .first()
        .unwrap_or_else(|| panic!("no {css}"))
        .text()
        .collect()
}

/// Runs `clean` on `inputs` with a JSONL and an HTML report (and `extra`
/// arguments); returns the report records and the page's path.
fn clean(dir: &Path, inputs: &[PathBuf], extra: &[&str]) -> (Vec<Record>, PathBuf) {
    let report = dir.join("report.jsonl");
    let page = dir.join("report.html");
    let mut args: Vec<OsString> = vec!["clean".into()];
    args.extend(inputs.iter().map(OsString::from));
    for a in [
        "-o".as_ref(),
        dir.join("out").as_os_str(),
        "--report".as_ref(),
        report.as_os_str(),
        "--html".as_ref(),
        page.as_os_str(),
        "-q".as_ref(),
    ] {
        args.push(a.to_owned());
    }
    args.extend(extra.iter().map(OsString::from));
    run_ok(args);
    (read_report(&report), page)
}

/// The overview's counts are the summary's.
fn check_overview(dom: &Html, summary: &Summary) {
    let removals: u64 = summary.removed.values().map(|t| t.count).sum();
    for (id, want) in [
        ("records-in", summary.records_in),
        ("records-written", summary.records_written),
        ("records-skipped", summary.records_skipped),
        ("records-dropped", summary.records_dropped),
        ("duplicate-documents", summary.duplicate_documents),
        ("paragraphs-in", summary.paragraphs_in),
        ("paragraphs-kept", summary.paragraphs_kept),
        ("bytes-in", summary.bytes_in),
        ("bytes-out", summary.bytes_out),
        ("removals", removals),
    ] {
        assert_eq!(text_of(dom, &format!("#ov-{id}")), want.to_string(), "{id}");
    }
    for (kind, tally) in &summary.removed {
        let row = select(dom, "#kinds-table tbody tr")
            .into_iter()
            .map(|tr| tr.text().collect::<Vec<_>>())
            .find(|cells| cells.first() == Some(&kind.as_str()))
            .unwrap_or_else(|| panic!("no row for {kind}"));
        assert_eq!(row[1], tally.count.to_string(), "{kind}");
    }
}

/// Opens `doc` (by its id) and checks that each of
/// its removals is marked, in order, with its kind's mark and its rule;
/// then follows its first link to a kept copy and checks that it lands on
/// that paragraph. Returns whether there was such a link.
fn check_article(browser: &Path, page: &Path, doc: &DocumentRecord) -> bool {
    let dom = render(browser, page, &format!("id={}", percent_encode(&doc.id)));
    assert_eq!(text_of(&dom, "#article-view h3"), doc.id);
    let marks = select(&dom, "#article-view p.para mark[data-kind]");
    assert_eq!(marks.len(), doc.removed.len(), "marks of {}", doc.id);
    for (mark, removal) in marks.iter().zip(&doc.removed) {
        let rule = removal.rule.as_deref().unwrap_or_default();
        assert_eq!(mark.value().attr("data-rule"), Some(rule), "{}", doc.id);
        let text: String = mark.text().collect();
        assert!(
            text.contains(removal.text.trim()),
            "mark {text:?} shows {:?}",
            removal.text
        );
        assert!(
            mark.value().attr("title").is_some_and(|t| t.contains(rule)),
            "the rule is shown on hover"
        );
        assert_eq!(mark.value().attr("tabindex"), Some("0"), "and on focus");
    }
    let Some(link) = select(&dom, "#article-view a.kept-link").into_iter().next() else {
        return false;
    };
    let removal = doc
        .removed
        .iter()
        .find(|r| r.duplicate_of.is_some())
        .expect("a link stands for a removal with a kept copy");
    let of = removal.duplicate_of.as_ref().expect("found with one");
    let href = link.value().attr("href").expect("a link");
    let fragment = href.strip_prefix('#').expect("an in-page link");
    assert!(
        fragment.ends_with(&format!("&p={}", of.paragraph)),
        "{href}"
    );
    let target = render(browser, page, fragment);
    assert_eq!(text_of(&target, "#article-view h3"), of.id);
    let paragraph = select(&target, &format!("#article-view p#p-{}", of.paragraph));
    let paragraph = paragraph.first().expect("the kept paragraph is shown");
    assert!(
        paragraph.value().classes().any(|c| c == "target"),
        "the link lands on the kept paragraph"
    );
    true
}

/// `text` with every byte but ASCII letters and digits percent-encoded.
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[test]
fn the_sample_report_shows_every_removal_and_links_kept_copies() {
    let Some(browser) = chromium() else { return };
    let dir = tempfile::tempdir().expect("a temporary directory");
    let (report, page) = clean(dir.path(), &[repo("tests/data/sample")], &[]);
    let dom = render(&browser, &page, "");
    check_overview(&dom, summary(&report));
    let docs = documents(&report);
    let pasted = docs
        .iter()
        .find(|d| d.id == "05-pasted-twice.txt")
        .expect("the sample's pasted body");
    assert!(check_article(&browser, &page, pasted), "it repeats itself");
    // The list filters by kind and rule (set from the address as from the
    // controls) and searches by id.
    for (fragment, keep) in [
        (
            "kind=link",
            &(|d: &DocumentRecord| d.removed.iter().any(|r| r.kind.as_str() == "link"))
                as &dyn Fn(&DocumentRecord) -> bool,
        ),
        ("rule=comment-form", &|d: &DocumentRecord| {
            d.removed
                .iter()
                .any(|r| r.rule.as_deref() == Some("comment-form"))
        }),
        ("q=pasted", &|d: &DocumentRecord| d.id.contains("pasted")),
    ] {
        let dom = render(&browser, &page, fragment);
        let listed: Vec<String> = select(&dom, "#article-list a[data-index]")
            .into_iter()
            .map(|a| a.text().skip(1).collect())
            .collect();
        let want: Vec<String> = docs
            .iter()
            .filter(|d| keep(d))
            .map(|d| d.id.clone())
            .collect();
        assert!(!want.is_empty(), "{fragment} matches some article");
        assert_eq!(listed, want, "{fragment}");
    }
    // A screenshot, as a person would see the article.
    let shot = dir.path().join("shot.png");
    let status = Command::new(&browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
        ])
        .arg("--window-size=1280,2900")
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!(
            "file://{}#id={}",
            page.display(),
            percent_encode(&pasted.id)
        ))
        .output()
        .expect("chromium runs");
    assert!(status.status.success());
    assert!(fs::metadata(&shot).expect("a screenshot").len() > 10_000);
}

#[test]
fn the_page_is_the_same_bytes_for_any_thread_count() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut pages = Vec::new();
    for threads in ["1", "2"] {
        let run = dir.path().join(threads);
        fs::create_dir(&run).expect("a directory");
        let (_, page) = clean(
            &run,
            &[repo("tests/data/wire.jsonl")],
            &["--threads", threads],
        );
        pages.push(fs::read(page).expect("written"));
    }
    assert!(pages[0] == pages[1], "the pages differ");
}

/// The page draws an article paragraph by paragraph: every removal must
/// lie inside one of the paragraphs `paragraph::split` finds.
fn check_removals_lie_in_paragraphs(report: &[Record], texts: &[String]) {
    for (doc, text) in documents(report).into_iter().zip(texts) {
        let spans = newsdedup::paragraph::split(text).spans;
        for r in &doc.removed {
            assert!(
                spans.iter().any(|s| s.start <= r.start && r.end <= s.end),
                "{}: removal {}..{} lies outside every paragraph",
                doc.id,
                r.start,
                r.end
            );
        }
    }
}

#[test]
fn every_removal_lies_in_a_paragraph() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let Some(input) = reuters(dir.path(), 3000) else {
        return;
    };
    let (report, _) = clean(dir.path(), std::slice::from_ref(&input), &[]);
    let texts: Vec<String> = fs::read_to_string(&input)
        .expect("written")
        .lines()
        .map(|line| {
            let value: serde_json::Value = serde_json::from_str(line).expect("JSON");
            value["text"].as_str().expect("a text").to_string()
        })
        .collect();
    check_removals_lie_in_paragraphs(&report, &texts);
}

/// The first `n` records of the Reuters dev set, as a JSONL file in `dir`.
fn reuters(dir: &Path, n: usize) -> Option<PathBuf> {
    let path = shared("data/dupdev/reuters-dupdev.jsonl")?;
    let text = fs::read_to_string(&path).expect("readable");
    let subset: Vec<&str> = text.lines().take(n).collect();
    let out = dir.join("reuters.jsonl");
    fs::write(&out, subset.join("\n") + "\n").expect("written");
    Some(out)
}

/// The article with the most removals, one of them a copy of a kept
/// paragraph.
fn busiest<'a>(docs: &[&'a DocumentRecord]) -> &'a DocumentRecord {
    docs.iter()
        .filter(|d| d.removed.iter().any(|r| r.duplicate_of.is_some()))
        .max_by_key(|d| (d.removed.len(), std::cmp::Reverse(d.id.clone())))
        .expect("an article with a repeat")
}

#[test]
fn a_reuters_report_holds_in_full_and_cut_down_by_its_size_limit() {
    let Some(browser) = chromium() else { return };
    let dir = tempfile::tempdir().expect("a temporary directory");
    let Some(input) = reuters(dir.path(), 3000) else {
        return;
    };
    let (report, page) = clean(dir.path(), std::slice::from_ref(&input), &[]);
    let dom = render(&browser, &page, "");
    check_overview(&dom, summary(&report));
    let docs = documents(&report);
    assert_eq!(select(&dom, "#left-out").len(), 0, "all of it fits");
    assert!(check_article(&browser, &page, busiest(&docs)));

    // One megabyte holds about a third of these articles.
    let cut = dir.path().join("cut");
    fs::create_dir(&cut).expect("a directory");
    let (report, page) = clean(&cut, &[input], &["--html-max-mb", "1"]);
    assert!(fs::metadata(&page).expect("written").len() < 1_300_000);
    let dom = render(&browser, &page, "");
    check_overview(&dom, summary(&report));
    let note = text_of(&dom, "#left-out");
    let listed = text_of(&dom, "#articles-count");
    let shown: usize = listed
        .split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .expect("a count");
    let left: usize = note
        .split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .expect("a count");
    assert!(left > 0 && shown > 0);
    assert_eq!(
        shown + left,
        documents(&report).len(),
        "every article counted"
    );
    assert!(check_article(&browser, &page, busiest(&documents(&report))));
}

#[test]
fn hostile_records_render_as_text_and_run_nothing() {
    let Some(browser) = chromium() else { return };
    let dir = tempfile::tempdir().expect("a temporary directory");
    let payloads = [
        "<script>document.title='pwned';document.body.id='pwned'</script>",
        "</script><script>document.title='pwned'</script>",
        "<img src=x onerror=\"document.title='pwned'\">",
        "<!-- ]]> <a href=\"javascript:document.title='pwned'\">click</a>",
        "\u{2028}\u{2029} \\u003c/script\\u003e",
    ];
    let mut lines = Vec::new();
    for (i, payload) in payloads.iter().enumerate() {
        let text = format!(
            "A paragraph about the port of Halvard and its {payload} strike, which \
             closed the terminal for three days last week.\n\nAnother paragraph."
        );
        for copy in 0..2 {
            let record = serde_json::json!({
                "id": format!("\"><img src=x onerror=alert({i})></script>{copy}"),
                "url": "javascript:document.title='pwned'",
                "text": text,
            });
            lines.push(record.to_string());
        }
    }
    let input = dir.path().join("hostile.jsonl");
    fs::write(&input, lines.join("\n") + "\n").expect("written");
    let (report, page) = clean(dir.path(), &[input], &[]);
    let raw = fs::read_to_string(&page).expect("written");
    assert!(raw.contains("Content-Security-Policy"));
    assert_eq!(raw.matches("<script").count(), 2, "only the page's own");
    for k in 0..documents(&report).len() {
        let dom = render(&browser, &page, &format!("article={k}"));
        assert_eq!(text_of(&dom, "title"), "newsdedup report");
        assert!(select(&dom, "#pwned").is_empty());
        assert!(select(&dom, "img").is_empty(), "no image element");
        assert!(select(&dom, "main script").is_empty());
        for link in select(&dom, "a[href]") {
            let href = link.value().attr("href").unwrap_or_default();
            assert!(href.starts_with('#'), "only in-page links: {href}");
        }
        let shown: String = select(&dom, "#article-view")
            .first()
            .expect("the article")
            .text()
            .collect();
        assert!(shown.contains(payloads[k / 2]), "shown as text: {shown}");
    }
    check_overview(&render(&browser, &page, ""), summary(&report));
}
