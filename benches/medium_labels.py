#!/usr/bin/env python3
"""Share of each labelled kind of paragraph that newsdedup removed, on the
medium (or large) corpus of ../shared/perf.

The corpus builder records, per article, the kind of every blank-line
paragraph (`ops`: orig, copy, edit, var, fresh, boiler, link, url) and, for
edits, their 5-gram Jaccard to the source paragraph. This script maps the
report's removed spans onto those paragraphs (a paragraph counts as removed
when one span of kind duplicate, near_duplicate or boilerplate covers it)
and prints, per kind, how many were removed and by which kind.

    target/release/newsdedup clean /tmp/newsdedup-perf/corpus-medium.jsonl \\
        -o out.jsonl --report report.jsonl -q
    python3 benches/medium_labels.py /tmp/newsdedup-perf/corpus-medium.jsonl \\
        /tmp/newsdedup-perf/corpus-medium.labels.jsonl report.jsonl

Articles whose paragraph count differs from their labels' are skipped and
counted.
"""
import collections
import json
import sys

KINDS = ("duplicate", "near_duplicate", "boilerplate")


def main(corpus, labels_path, report):
    labels = {}
    with open(labels_path) as f:
        for line in f:
            d = json.loads(line)
            labels[d["id"]] = d
    removed = {}
    with open(report) as f:
        for line in f:
            r = json.loads(line)
            if r.get("type") == "document":
                removed[r["id"]] = [
                    (x["start"], x["end"], x["kind"], x.get("coverage"))
                    for x in r.get("removed", [])
                    if x["kind"] in KINDS
                ]
    tally = collections.defaultdict(collections.Counter)
    fresh_coverage = collections.Counter()
    skipped = 0
    with open(corpus) as f:
        for line in f:
            d = json.loads(line)
            lab = labels.get(d["id"])
            if lab is None:
                continue
            spans, pos = [], 0
            for part in d["text"].encode().split(b"\n\n"):
                spans.append((pos, pos + len(part)))
                pos += len(part) + 2
            if len(spans) != len(lab["ops"]):
                skipped += 1
                continue
            rem = removed.get(d["id"], [])
            for i, (op, (s, e)) in enumerate(zip(lab["ops"], spans)):
                hit = [(k, c) for (a, b, k, c) in rem if a <= s + 1 and b >= e - 1]
                key = op
                if op == "edit":
                    j = lab["jaccard5"].get(str(i))
                    key = "edit j>=0.8" if j is not None and j >= 0.8 else "edit j<0.8"
                t = tally[key]
                t["n"] += 1
                if hit:
                    kind, coverage = hit[0]
                    t[kind] += 1
                    if op == "fresh" and kind == "near_duplicate" and coverage is not None:
                        fresh_coverage[">=0.95" if coverage >= 0.95 else "<0.95"] += 1
    print(f"{'kind':14} {'n':>8} {'exact':>8} {'near':>8} {'boiler':>8} {'removed':>8}")
    for k, t in sorted(tally.items()):
        gone = sum(t[kind] for kind in KINDS)
        print(
            f"{k:14} {t['n']:8} {t['duplicate']:8} {t['near_duplicate']:8} "
            f"{t['boilerplate']:8} {gone / t['n']:8.3f}"
        )
    print("fresh paragraphs removed as near-duplicates, by coverage:", dict(fresh_coverage))
    print("articles skipped (paragraphs do not match their labels):", skipped)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
