//! `clean --index DIR`: runs one after another decide as one run over all
//! their records; a run killed at any moment leaves the index as it was or
//! as it is after; other settings, a second run at once and damaged files
//! are refused with errors that say what and where.

#[macro_use]
#[path = "support/binary.rs"]
mod binary;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use binary::*;

/// The input's lines split into `parts` files of about equal size in
/// `dir`, in order.
fn split(input: &Path, dir: &Path, parts: usize) -> Vec<PathBuf> {
    let text = fs::read_to_string(input).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    lines
        .chunks(lines.len().div_ceil(parts))
        .enumerate()
        .map(|(i, chunk)| {
            let path = dir.join(format!("part-{i}.jsonl"));
            fs::write(&path, chunk.join("\n") + "\n").unwrap();
            path
        })
        .collect()
}

/// The output lines and the report's document lines (by record) of a
/// run: what the guarantee speaks of.
fn lines(dir: &Path, name: &str) -> (Vec<String>, Vec<String>) {
    let output = fs::read_to_string(dir.join(format!("{name}.jsonl"))).unwrap();
    let report = fs::read_to_string(dir.join(format!("{name}.report.jsonl"))).unwrap();
    let documents = report
        .lines()
        .filter(|line| line.starts_with(r#"{"type":"document""#))
        .map(str::to_string)
        .collect();
    (output.lines().map(str::to_string).collect(), documents)
}

/// `clean INPUTS -o DIR/NAME.jsonl --report DIR/NAME.report.jsonl`, with
/// `extra` arguments.
fn clean(inputs: &[&Path], dir: &Path, name: &str, extra: &[&str]) {
    let mut args = args![
        "-o",
        dir.join(format!("{name}.jsonl")),
        "--report",
        dir.join(format!("{name}.report.jsonl")),
        "-q"
    ];
    args.extend(inputs.iter().map(|p| p.as_os_str().to_owned()));
    args.extend(extra.iter().map(Into::into));
    run_ok(args);
}

/// How the runs of [`parts_decide_as_one_run`] hold the index, in turn:
/// read in place through the default cache, through a cache of 1 MiB
/// (far below the index: most lookups read the file), and read whole
/// into memory. Each reads a file the one before wrote.
const STORES: [&[&str]; 3] = [&[], &["--index-cache", "1"], &["--index-in-memory"]];

/// Splits `input` in `parts`, cleans them in one run, and in a run each
/// against one index directory (on 1, then 2 threads, alternately, and
/// holding the index in each of the [`STORES`] ways in turn); the parts'
/// outputs and document records, put together, must be the one run's.
fn parts_decide_as_one_run(input: &Path, parts: usize, extra: &[&str]) -> usize {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let files = split(input, dir, parts);
    let inputs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    clean(&inputs, dir, "whole", extra);
    let index = dir.join("index");
    let index_arg = index.to_str().unwrap();
    let mut got = (Vec::new(), Vec::new());
    for (i, part) in files.iter().enumerate() {
        let threads = if i % 2 == 0 { "1" } else { "2" };
        let mut args = vec!["--index", index_arg, "--threads", threads];
        args.extend(STORES[i % STORES.len()]);
        args.extend(extra);
        let name = format!("run-{i}");
        clean(&[part], dir, &name, &args);
        let (output, documents) = lines(dir, &name);
        got.0.extend(output);
        got.1.extend(documents);
    }
    let want = lines(dir, "whole");
    assert_eq!(got.0.len(), want.0.len());
    for (i, (got, want)) in got.0.iter().zip(&want.0).enumerate() {
        assert_eq!(got, want, "output line {i}");
    }
    assert_eq!(got.1.len(), want.1.len());
    for (i, (got, want)) in got.1.iter().zip(&want.1).enumerate() {
        assert_eq!(got, want, "report document {i}");
    }
    let stats = run_ok(vec!["index".into(), "stats".into(), index.into_os_string()]);
    let stats: serde_json::Value = serde_json::from_slice(&stats.stdout).unwrap();
    assert_eq!(stats["runs"], parts);
    // Copies of an earlier run's paragraphs, named there.
    want.1
        .iter()
        .filter(|line| line.contains(r#""kind":"near_duplicate""#))
        .count()
}

#[test]
fn reuters_in_two_runs_is_cleaned_as_in_one() {
    let Some(reuters) = shared("data/reuters21578.jsonl") else {
        return;
    };
    let near = parts_decide_as_one_run(&reuters, 2, &[]);
    assert!(near > 100, "{near} documents with near-duplicates");
}

#[test]
fn a_corpus_in_four_runs_is_cleaned_as_in_one_with_site_boilerplate() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = tmp.path().join("gen.jsonl");
    generated_corpus(&corpus, 2_000);
    parts_decide_as_one_run(&corpus, 4, &["--one-site"]);
}

#[test]
fn other_settings_a_second_run_and_damaged_files_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let corpus = dir.join("gen.jsonl");
    generated_corpus(&corpus, 200);
    let index = dir.join("index");
    let clean_with = |extra: &[&str]| {
        let mut args = args![corpus, "-o", dir.join("out.jsonl"), "--index", index, "-q"];
        args.extend(extra.iter().map(Into::into));
        run(args)
    };
    assert!(clean_with(&[]).status.success());
    let file = index.join("segment-000001.ndx");
    let built = fs::read(&file).unwrap();
    let manifest = index.join("manifest");
    let manifest_built = fs::read(&manifest).unwrap();

    let out = clean_with(&["--shingle-words", "4"]);
    assert_fails_with(&out, "the index was built with near.shingle_words = 5");
    assert!(stderr(&out).contains("this run has near.shingle_words = 4"));
    assert_fails_with(&clean_with(&["--no-near"]), "near = {");
    assert_fails_with(&clean_with(&["--keep-links"]), "remove_links = true");
    assert_fails_with(&clean_with(&["--one-site"]), "sites.one_site = false");

    // A second run while one holds the lock.
    let lock = fs::File::open(index.join("lock")).unwrap();
    lock.lock().unwrap();
    assert_fails_with(
        &clean_with(&[]),
        "another newsdedup run is using this index",
    );
    lock.unlock().unwrap();

    // Nothing refused changed the index.
    assert_eq!(fs::read(&file).unwrap(), built);
    assert_eq!(fs::read(&manifest).unwrap(), manifest_built);

    // A bit of the checksum flipped: what a flip anywhere comes to when
    // no check of the contents sees it first.
    let mut changed = built.clone();
    let at = changed.len() - 3;
    changed[at] ^= 0x10;
    fs::write(&file, &changed).unwrap();
    let out = clean_with(&[]);
    assert_fails_with(
        &out,
        "segment-000001.ndx: not a newsdedup index of format 2",
    );
    assert!(stderr(&out).contains("checksum"), "{}", stderr(&out));

    fs::write(&file, &built[..built.len() / 3]).unwrap();
    assert_fails_with(
        &clean_with(&[]),
        "segment-000001.ndx: not a newsdedup index",
    );
    fs::write(&file, "something else entirely\n".repeat(20)).unwrap();
    let out = clean_with(&[]);
    assert_fails_with(
        &out,
        "segment-000001.ndx: not a newsdedup index of format 2",
    );
    assert!(stderr(&out).contains("do not fit it"), "{}", stderr(&out));
    fs::write(&file, &built).unwrap();

    // The manifest damaged, or a segment it names missing.
    let mut changed = manifest_built.clone();
    changed[30] ^= 0x01;
    fs::write(&manifest, &changed).unwrap();
    assert_fails_with(
        &clean_with(&[]),
        "manifest: not a newsdedup index of format 2",
    );
    fs::write(&manifest, &manifest_built).unwrap();
    fs::rename(&file, index.join("elsewhere")).unwrap();
    assert_fails_with(&clean_with(&[]), "segment-000001.ndx: No such file");
    fs::rename(index.join("elsewhere"), &file).unwrap();
    assert!(clean_with(&[]).status.success());

    // An index of format 1 (one file) is refused, and named.
    let old = dir.join("old");
    fs::create_dir(&old).unwrap();
    fs::write(old.join("index.ndx"), &built).unwrap();
    let out = run(args![
        corpus,
        "-o",
        dir.join("out.jsonl"),
        "--index",
        old,
        "-q"
    ]);
    assert_fails_with(&out, "index.ndx: not a newsdedup index of format 2");
    assert!(
        stderr(&out).contains("it is of format 1"),
        "{}",
        stderr(&out)
    );

    let out = run(vec![
        "index".into(),
        "stats".into(),
        dir.join("nothing").into(),
    ]);
    assert_fails_with(&out, "holds no index");
}

/// The files of the index in `dir`: its manifest, and each segment file
/// the manifest names, with their bytes.
fn index_state(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let manifest = fs::read(dir.join("manifest")).unwrap();
    // The magic bytes and version, the header's length, the header.
    let len = u64::from_le_bytes(manifest[20..28].try_into().unwrap()) as usize;
    let header: serde_json::Value = serde_json::from_slice(&manifest[28..28 + len]).unwrap();
    let mut state = vec![("manifest".to_string(), manifest.clone())];
    for segment in header["segments"].as_array().unwrap() {
        let name = segment["file"].as_str().unwrap().to_string();
        let bytes = fs::read(dir.join(&name)).unwrap();
        state.push((name, bytes));
    }
    state
}

/// Whether `dir` holds files a killed run left: a temporary manifest, or
/// a segment file the manifest does not name.
fn left_by_a_killed_run(dir: &Path) -> bool {
    let named: Vec<String> = index_state(dir).into_iter().map(|(name, _)| name).collect();
    fs::read_dir(dir).unwrap().any(|entry| {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        name == "manifest.tmp" || name.starts_with("segment-") && !named.contains(&name)
    })
}

/// Copies the files of directory `from` into a new directory `to`.
fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

#[test]
fn a_run_killed_at_any_moment_leaves_the_index_before_or_after() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    // Reuters, whose index takes a tenth of a run to write, so that kills
    // land in the commit too; without ../shared, a generated corpus.
    let corpus = shared("data/reuters21578.jsonl").unwrap_or_else(|| {
        let corpus = dir.join("gen.jsonl");
        generated_corpus(&corpus, 60_000);
        corpus
    });
    // Two runs before, of equal size: the killed run's load merges their
    // segments while it goes on, so that kills land in the merge too.
    let parts = split(&corpus, dir, 3);
    let before = dir.join("before");
    for (part, name) in parts[..2].iter().zip(["a0", "a1"]) {
        clean(&[part], dir, name, &["--index", before.to_str().unwrap()]);
    }
    let index_before = index_state(&before);

    // The uninterrupted run of the second part, timed: the fastest of
    // three.
    let mut took = Duration::MAX;
    let mut index_after = Vec::new();
    for i in 0..3 {
        let after = dir.join(format!("after-{i}"));
        copy_dir(&before, &after);
        let started = Instant::now();
        clean(
            &[&parts[2]],
            dir,
            "b",
            &["--index", after.to_str().unwrap()],
        );
        took = took.min(started.elapsed());
        index_after = index_state(&after);
    }
    let want = fs::read(dir.join("b.jsonl")).unwrap();
    assert_ne!(index_before, index_after);
    // The manifest, the two segments merged, the killed run's segment.
    assert_eq!(index_before.len(), 3);
    assert_eq!(index_after.len(), 3);
    assert_ne!(index_before[1], index_after[1]);

    // Kills at points spread over the run's span (a low-discrepancy
    // sequence), until 24 have stopped a run that was going; a run that
    // ended before its kill says the machine is faster now, and the span
    // shrinks to what it took. The last run is not killed: it commits.
    let wanted = 24;
    let (mut saw_before, mut saw_after, mut killed) = (0, 0, 0);
    let (mut points, mut writing) = (0, 0);
    for k in 0.. {
        let last = killed == wanted || k == 100;
        let index = dir.join(format!("killed-{k}"));
        copy_dir(&before, &index);
        let output = dir.join(format!("killed-{k}.jsonl"));
        let mut child = bin()
            .args(args![parts[2], "-o", output, "--index", index, "-q"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        if !last {
            // Every other point in the last sixth, where the index is
            // written.
            let spread = (k as f64 * 0.618_034).fract();
            let at = if k % 2 == 0 {
                spread
            } else {
                5.0 / 6.0 + spread / 6.0
            };
            let wait = took.mul_f64(at);
            let started = Instant::now();
            std::thread::sleep(wait);
            points += 1;
            if child.try_wait().unwrap().is_none() {
                // SIGKILL: no handler, no clean-up.
                child.kill().unwrap();
                killed += 1;
            } else {
                took = took.min(started.elapsed());
            }
        }
        child.wait().unwrap();
        // Killed while it wrote the new index.
        writing += usize::from(left_by_a_killed_run(&index));
        let left = index_state(&index);
        if left == index_before {
            saw_before += 1;
            // Run again: what an uninterrupted run writes.
            let again = dir.join(format!("again-{k}.jsonl"));
            run_ok(args![parts[2], "-o", again, "--index", index, "-q"]);
            assert_eq!(fs::read(&again).unwrap(), want, "kill point {k}");
            assert!(index_state(&index) == index_after, "kill point {k}");
        } else {
            assert!(
                left == index_after,
                "kill point {k}: neither before nor after"
            );
            saw_after += 1;
            // The index is committed last: the output was in place.
            assert_eq!(fs::read(&output).unwrap(), want, "kill point {k}");
            // Killed after the manifest was renamed, but before the
            // segments it replaced were removed: the next run removes
            // them (a run of no records, which keeps the index).
            let empty = dir.join("empty.jsonl");
            fs::write(&empty, "").unwrap();
            let nothing = dir.join(format!("nothing-{k}.jsonl"));
            run_ok(args![empty, "-o", nothing, "--index", index, "-q"]);
        }
        // A half-written file of the killed run is gone, removed by the
        // next run or never there.
        assert!(!left_by_a_killed_run(&index), "kill point {k}");
        if last {
            break;
        }
    }
    println!(
        "{killed} of {points} kill points over {took:?} stopped the run \
         ({writing} while it wrote the index): {saw_before} indexes before, {saw_after} after"
    );
    assert_eq!(killed, wanted, "kills that stopped a run");
}

#[test]
fn an_exported_index_imports_to_one_that_decides_the_same() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let corpus = dir.join("gen.jsonl");
    generated_corpus(&corpus, 3_000);
    let parts = split(&corpus, dir, 3);
    let index = dir.join("index");
    let index_arg = index.to_str().unwrap();
    clean(&[&parts[0]], dir, "a", &["--index", index_arg]);
    clean(&[&parts[1]], dir, "b", &["--index", index_arg]);
    let index_cmd = |args: &[&std::ffi::OsStr]| {
        let mut all = vec![std::ffi::OsString::from("index")];
        all.extend(args.iter().map(|a| a.to_os_string()));
        run(all)
    };
    let export = dir.join("export.jsonl.zst");
    let out = index_cmd(&[
        "export".as_ref(),
        index.as_ref(),
        "-o".as_ref(),
        export.as_ref(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let copy = dir.join("copy");
    let out = index_cmd(&["import".as_ref(), export.as_ref(), copy.as_ref()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("imported: 2000 documents"),
        "{}",
        stderr(&out)
    );

    // Exported again, the copy gives the same export, line for line.
    let first = index_cmd(&["export".as_ref(), index.as_ref()]).stdout;
    let again = index_cmd(&["export".as_ref(), copy.as_ref()]).stdout;
    assert!(first == again, "the exports differ");
    let text = String::from_utf8(first.clone()).unwrap();
    for kind in [
        "header",
        "document",
        "source",
        "paragraph",
        "short_line",
        "end",
    ] {
        assert!(
            text.contains(&format!(r#"{{"type":"{kind}""#)),
            "no {kind} record"
        );
    }
    // And the third part is cleaned against it as against the original.
    clean(&[&parts[2]], dir, "c", &["--index", index_arg]);
    clean(
        &[&parts[2]],
        dir,
        "c-copy",
        &["--index", copy.to_str().unwrap()],
    );
    assert_eq!(lines(dir, "c"), lines(dir, "c-copy"));

    // Into a directory that holds an index: refused.
    let out = index_cmd(&["import".as_ref(), export.as_ref(), copy.as_ref()]);
    assert_fails_with(&out, "holds an index already");
    // A cut export, a damaged line, a foreign file: refused, by line.
    let lines: Vec<&str> = text.lines().collect();
    let cut = dir.join("cut.jsonl");
    fs::write(&cut, lines[..lines.len() - 1].join("\n")).unwrap();
    let out = index_cmd(&["import".as_ref(), cut.as_ref(), dir.join("d1").as_ref()]);
    assert_fails_with(&out, "cut short");
    let mut damaged = lines.clone();
    damaged[3] = r#"{"type":"document","doc":"x"}"#;
    let bad = dir.join("bad.jsonl");
    fs::write(&bad, damaged.join("\n")).unwrap();
    let out = index_cmd(&["import".as_ref(), bad.as_ref(), dir.join("d2").as_ref()]);
    assert_fails_with(
        &out,
        "bad.jsonl: not a newsdedup index export of version 1: line 4:",
    );
    let mut reordered = lines.clone();
    reordered.swap(1, lines.len() - 2);
    fs::write(&bad, reordered.join("\n")).unwrap();
    let out = index_cmd(&["import".as_ref(), bad.as_ref(), dir.join("d3").as_ref()]);
    assert_fails_with(&out, "out of order");
    let out = index_cmd(&["import".as_ref(), corpus.as_ref(), dir.join("d4").as_ref()]);
    assert_fails_with(&out, "line 1:");
}
