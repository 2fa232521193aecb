//! Hostile input on the binary: every case ends in a clear error naming the
//! file and line, or in a correct result; none panics or hangs. Also: a run
//! killed mid-way leaves no partial output and never a new output beside an
//! old report.

#[macro_use]
#[path = "support/binary.rs"]
mod binary;

use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use binary::*;
use newsdedup::report::{DocumentRecord, Record};

/// Cleans `files` (name, bytes) in a temporary directory; returns the
/// report's document records with each input text, and the output.
fn clean_files(files: &[(&str, &[u8])]) -> (Vec<(DocumentRecord, String)>, String) {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    fs::create_dir(&input).unwrap();
    for (name, bytes) in files {
        fs::write(input.join(name), bytes).unwrap();
    }
    let report = tmp.path().join("r.jsonl");
    let out = run(args![input, "--report", report, "-q"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let mut docs = Vec::new();
    for line in fs::read_to_string(&report).unwrap().lines() {
        if let Record::Document(d) = serde_json::from_str(line).unwrap() {
            let text = match d.source.split_once(':') {
                Some((file, line)) => {
                    let body = fs::read_to_string(input.join(file)).unwrap();
                    let record: serde_json::Value = serde_json::from_str(
                        body.lines()
                            .nth(line.parse::<usize>().unwrap() - 1)
                            .unwrap(),
                    )
                    .unwrap();
                    record["text"].as_str().unwrap().to_string()
                }
                None => fs::read_to_string(input.join(&d.source)).unwrap(),
            };
            docs.push((d, text));
        }
    }
    (docs, String::from_utf8(out.stdout).unwrap())
}

fn texts(output: &str) -> Vec<String> {
    output
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["text"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

#[test]
fn nul_bytes_crlf_and_lone_cr() {
    let body = "The harbour reopened on Monday after the storm passed, officials said.";
    let txt = format!("First\0 line has a NUL.\r\n{body}\rThird paragraph here.\r\n\r\n{body}\r\n");
    let jsonl = "{\"id\":\"j\",\"text\":\"A\\u0000B and more text.\\r\\nSecond.\"}\n";
    let (docs, out) = clean_files(&[("a.txt", txt.as_bytes()), ("b.jsonl", jsonl.as_bytes())]);
    for (doc, input) in &docs {
        check_accounting(doc, input);
    }
    let texts = texts(&out);
    assert_eq!(
        texts[0],
        format!("First line has a NUL.\n{body}\nThird paragraph here.")
    );
    assert_eq!(texts[1], "AB and more text.\nSecond.");
    assert_eq!(docs[0].0.removed.len(), 1, "the repeated paragraph");
}

#[test]
fn empty_and_blank_records_are_written_empty() {
    let jsonl = "{\"id\":\"e\",\"text\":\"\"}\n{\"id\":\"w\",\"text\":\" \\n\\t \\u200b \"}\n\n";
    let (docs, out) = clean_files(&[
        ("empty.txt", b""),
        ("blank.jsonl", jsonl.as_bytes()),
        ("none.jsonl", b""),
    ]);
    assert_eq!(docs.len(), 3);
    assert_eq!(texts(&out), ["", "", ""]);
    for (doc, _) in &docs {
        assert_eq!((doc.paragraphs_in, doc.bytes_out), (0, 0));
    }
}

#[test]
fn scripts_emoji_and_tiny_texts_come_through() {
    let cases = [
        "\u{5E9}\u{5DC}\u{5D5}\u{5DD} \u{5E2}\u{5D5}\u{5DC}\u{5DD} \u{2014} mixed with English and \u{627}\u{644}\u{639}\u{631}\u{628}\u{64A}\u{629} text in one line.",
        "Family \u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}\u{200D}\u{1F466} and flag \u{1F3F3}\u{FE0F}\u{200D}\u{1F308} in a caption.",
        "\u{65E5}\u{672C}\u{8A9E}\u{306E}\u{6587}\u{7AE0}\u{3067}\u{3059}\u{3002}",
        "Hi.",
        "a",
    ];
    let files: Vec<(String, Vec<u8>)> = cases
        .iter()
        .enumerate()
        .map(|(i, c)| (format!("{i}.txt"), c.as_bytes().to_vec()))
        .collect();
    let refs: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    let (docs, out) = clean_files(&refs);
    for (doc, input) in &docs {
        check_accounting(doc, input);
        assert!(doc.removed.is_empty(), "{doc:?}");
    }
    assert_eq!(texts(&out), cases);
}

#[test]
fn one_word_a_million_times() {
    let line = "word ".repeat(1_000_000);
    let lines = "word\n".repeat(100_000);
    let (docs, out) = clean_files(&[
        ("a-line.txt", line.as_bytes()),
        ("b-lines.txt", lines.as_bytes()),
    ]);
    let texts = texts(&out);
    assert_eq!(texts[0], line.trim_end());
    // A one-word paragraph is short: recurring alone, it stays.
    assert_eq!(docs[1].0.paragraphs_kept, 100_000);
    assert_eq!(texts[1].lines().count(), 100_000);
}

/// Page mode over pages of 100,000 lines that would make a quadratic
/// classifier crawl: comment headings in button rows, comment bylines,
/// menus and a list after a colon.
#[test]
fn huge_pages_in_page_mode() {
    // Each page its own prose: the pages are cleaned in one run, where
    // prose shared across them (even with a word changed) would be a
    // cross-document repeat.
    let prose = |thing: &str| match thing {
        "bridge" => {
            "The council said on Tuesday that the new bridge would open before the end of the year, and that it cost less than feared.\n\
                     Engineers added that the old crossing would stay open for cyclists and walkers until the summer, when work on it begins.\n"
        }
        "tunnel" => {
            "Drivers will be able to use the tunnel under the river from March, two years later than the transport ministry first promised.\n\
                     Its builders blamed flooding in the first winter of digging and a shortage of steel for most of the delay and the rising bill.\n"
        }
        _ => {
            "The city library reopens next week after a renovation that added a children's wing, a cafe and longer hours on weekends.\n\
              Readers who borrowed books before the closure may return them at any branch without a fine until the end of the month.\n"
        }
    };
    let buttons = format!(
        "{}{}",
        prose("bridge"),
        "Comments\nPrint\nEmail\n".repeat(35_000)
    );
    let bylines = format!(
        "{}{}",
        prose("tunnel"),
        "Marta says:\nHome\n".repeat(50_000)
    );
    let list = format!(
        "{}{}Opening hours:\n{}",
        "Home\nNews\n".repeat(20_000),
        prose("library"),
        "Day 8:00 to 22:00\n".repeat(60_000)
    );
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    fs::create_dir(&input).unwrap();
    for (name, text) in [
        ("buttons.txt", &buttons),
        ("bylines.txt", &bylines),
        ("list.txt", &list),
    ] {
        fs::write(input.join(name), text).unwrap();
    }
    let out_dir = tmp.path().join("out");
    run_ok(args![input, "--mode", "page", "-o", out_dir, "-q"]);
    for name in ["buttons.txt", "bylines.txt"] {
        let cleaned = fs::read_to_string(out_dir.join(name)).unwrap();
        assert_eq!(
            cleaned.lines().count(),
            2,
            "{name}: the two paragraphs of prose are kept"
        );
    }
    let cleaned = fs::read_to_string(out_dir.join("list.txt")).unwrap();
    assert!(
        cleaned.starts_with("The city library reopens"),
        "{}",
        &cleaned[..200.min(cleaned.len())]
    );
}

#[test]
fn deep_json_and_truncated_zstd() {
    let tmp = tempfile::tempdir().unwrap();
    let nest = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
    let deep = tmp.path().join("deep.jsonl");
    fs::write(
        &deep,
        format!(
            "{{\"id\":\"ok\",\"text\":\"Fine.\",\"d\":{}}}\n{}\n",
            nest(10_000),
            nest(10_000)
        ),
    )
    .unwrap();
    let out = run(args![deep]);
    assert_fails_with(&out, "deep.jsonl:2: invalid JSON");
    let out = run(args![deep, "--on-error", "skip", "-q"]);
    assert!(out.status.success());
    let written = String::from_utf8(out.stdout).unwrap();
    assert!(
        written.contains(&nest(10_000)),
        "the nested field passes through"
    );

    let zst = tmp.path().join("cut.jsonl.zst");
    let full = zstd::encode_all(&b"{\"text\":\"x\"}\n".repeat(5000)[..], 3).unwrap();
    fs::write(&zst, &full[..full.len() / 2]).unwrap();
    let out = run(args![zst, "-q"]);
    assert_fails_with(&out, "cut.jsonl.zst:");
}

#[cfg(unix)]
#[test]
fn fifo_in_a_directory_is_skipped() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    fs::create_dir(&input).unwrap();
    fs::write(input.join("a.txt"), "A real article.\n").unwrap();
    let status = Command::new("mkfifo")
        .arg(input.join("pipe.jsonl"))
        .status();
    if !status.is_ok_and(|s| s.success()) {
        println!("skipped: mkfifo is not available");
        return;
    }
    let out = run(args![input]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("pipe.jsonl: skipped, not a regular file"));
}

/// A corpus big enough that a run takes a while.
fn big_corpus(path: &Path) {
    let mut f = std::io::BufWriter::new(fs::File::create(path).unwrap());
    for i in 0..60_000 {
        writeln!(
            f,
            "{{\"id\":\"{i}\",\"text\":\"Story {i} about the harbour, told at some length so that it counts. It goes on.\\nA second paragraph of story {} with more words in it than a heading.\"}}",
            i % 977
        )
        .unwrap();
    }
}

#[cfg(unix)]
#[test]
fn a_killed_run_leaves_no_partial_output_and_no_mismatched_report() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("big.jsonl");
    big_corpus(&input);
    let out = tmp.path().join("out.jsonl");
    let report = tmp.path().join("report.jsonl");
    fs::write(&out, "old output\n").unwrap();
    fs::write(&report, "old report\n").unwrap();
    for delay_ms in [50, 200, 600] {
        let mut child = bin()
            .args(["clean", "-q", "--threads", "2"])
            .arg(&input)
            .arg("-o")
            .arg(&out)
            .arg("--report")
            .arg(&report)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL on unix
        let _ = child.wait();
        let output = fs::read_to_string(&out).unwrap();
        let old_output = output == "old output\n";
        let report_now = fs::read_to_string(&report).ok();
        if old_output {
            assert!(
                report_now.is_none() || report_now.as_deref() == Some("old report\n"),
                "the old output stands with its own report or none"
            );
        } else {
            assert_eq!(output.lines().count(), 60_000, "a new output is whole");
            assert_ne!(
                report_now.as_deref(),
                Some("old report\n"),
                "never a new output beside an old report"
            );
        }
    }
}
