#!/usr/bin/env bash
# A corpus cut into ten daily parts, each cleaned against one index
# directory (`clean --index`); then part ten against the index of nine
# beside part ten alone in memory (no index), interleaved. Checks that the
# parts' outputs and report documents, put together, are those of one run
# over the ten parts. The README's "Runs against an archive" figures come
# from it.
#
#   benches/index_parts.sh [CORPUS.jsonl] [THREADS]
#
# CORPUS defaults to the medium corpus of ../shared/perf (build it with
# `../shared/perf/run.sh --build-only --sizes medium`); the binary is
# target/release/newsdedup (`cargo build --release --features cli`).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
corpus=$(realpath "${1:-${PERF_DATA:-/tmp/newsdedup-perf}/corpus-medium.jsonl}")
threads=${2:-2}
bin=${NEWSDEDUP_BIN:-$root/target/release/newsdedup}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

lines=$(wc -l < "$corpus")
split -d -a 1 -l $(( (lines + 9) / 10 )) "$corpus" part-
for f in part-?; do mv "$f" "$f.jsonl"; done

timed() { /usr/bin/time -f "%e %M" -o time "$@"; read -r wall rss < time; }

echo "part  input_MB  wall_s  peak_RSS_MiB  index_MB"
for i in 0 1 2 3 4 5 6 7 8 9; do
    if [ "$i" = 9 ]; then cp -r idx idx9; fi
    timed "$bin" clean "part-$i.jsonl" -o "out-$i.jsonl" --report "rep-$i.jsonl" \
        --index idx --threads "$threads" -q
    awk -v part=$((i + 1)) -v input="$(stat -c %s "part-$i.jsonl")" -v wall="$wall" \
        -v rss="$rss" -v stored="$(stat -c %s idx/index.ndx)" \
        'BEGIN { printf "%4d  %8.1f  %6.2f  %12d  %8.1f\n", part, input / 1e6, wall, rss / 1024, stored / 1e6 }'
done
for round in 1 2 3; do
    rm -rf again && cp -r idx9 again
    timed "$bin" clean part-9.jsonl -o again.jsonl --index again --threads "$threads" -q
    indexed="$wall s, $((rss / 1024)) MiB"
    timed "$bin" clean part-9.jsonl -o alone.jsonl --threads "$threads" -q
    echo "round $round: part ten against the index of nine $indexed;" \
        "alone in memory $wall s, $((rss / 1024)) MiB"
done
timed "$bin" clean part-?.jsonl -o all.jsonl --report all.rep --threads "$threads" -q
echo "one run over the ten parts: $wall s, $((rss / 1024)) MiB"
cat out-?.jsonl | cmp - all.jsonl
grep -h '"type":"document"' rep-?.jsonl | cmp - <(grep '"type":"document"' all.rep)
echo "the ten runs' outputs and report documents are the single run's"
: > empty.jsonl
timed "$bin" clean empty.jsonl -o /dev/null --index idx -q
echo "loading and committing the index alone: ${wall} s"
"$bin" index stats idx
