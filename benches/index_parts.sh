#!/usr/bin/env bash
# A corpus cut into ten daily parts, each cleaned against one index
# directory (`clean --index`); then part ten against the index of nine
# beside part ten alone in memory (no index), interleaved. Checks that the
# parts' outputs and report documents, put together, are those of one run
# over the ten parts. Part ten is run against the index of nine read in
# place (the default cache, and a cache far below the index, with the
# file in the page cache and dropped from it), read whole into memory,
# and alone. The README's "Runs against an archive" figures come from it.
#
#   benches/index_parts.sh [CORPUS.jsonl] [THREADS]
#   (CACHE_MIB, SMALL_CACHE_MIB: the caches, 256 and 8 MiB by default)
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
# The index files out of the operating system's page cache: the next read
# of them comes from the disk.
uncache() { for f in "$1"/*.ndx; do dd if="$f" iflag=nocache count=0 status=none; done; }
# Bytes of the files in directory $1.
bytes() { find "$1" -maxdepth 1 -type f -printf '%s\n' | awk '{ n += $1 } END { print n + 0 }'; }
cache_mib=${CACHE_MIB:-256}
small_mib=${SMALL_CACHE_MIB:-8}

echo "part  input_MB  wall_s  peak_RSS_MiB  index_MB  written_MB  segments   (read in place, --index-cache $cache_mib)"
mkdir idx
for i in 0 1 2 3 4 5 6 7 8 9; do
    if [ "$i" = 9 ]; then cp -r idx idx9; fi
    had=$(ls idx)
    timed "$bin" clean "part-$i.jsonl" -o "out-$i.jsonl" --report "rep-$i.jsonl" \
        --index idx --index-cache "$cache_mib" --threads "$threads" -q
    # The segment the commit wrote (the other files it kept or removed).
    written=0
    for f in idx/segment-*.ndx; do
        [ -e "$f" ] || continue
        grep -qx "$(basename "$f")" <<< "$had" || written=$((written + $(stat -c %s "$f")))
    done
    awk -v part=$((i + 1)) -v input="$(stat -c %s "part-$i.jsonl")" -v wall="$wall" \
        -v rss="$rss" -v stored="$(bytes idx)" -v written="$written" \
        -v segments="$(find idx -name 'segment-*.ndx' | wc -l)" \
        'BEGIN { printf "%4d  %8.1f  %6.2f  %12d  %8.1f  %10.1f  %8d\n", part, input / 1e6, wall, rss / 1024, stored / 1e6, written / 1e6, segments }'
done
# Part ten against the index of nine, each way in turn, three rounds.
part_ten() {
    local name=$1
    shift
    rm -rf again && cp -r idx9 again
    if [ "$name" = cold ]; then uncache again; fi
    timed "$@"
    cmp again.jsonl out-9.jsonl
    echo "  $name: $wall s, $((rss / 1024)) MiB"
}
for round in 1 2 3; do
    echo "round $round, part ten:"
    part_ten "in place, $cache_mib MiB cache" "$bin" clean part-9.jsonl -o again.jsonl \
        --index again --index-cache "$cache_mib" --threads "$threads" -q
    part_ten "in place, $small_mib MiB cache" "$bin" clean part-9.jsonl -o again.jsonl \
        --index again --index-cache "$small_mib" --threads "$threads" -q
    part_ten cold "$bin" clean part-9.jsonl -o again.jsonl \
        --index again --index-cache "$small_mib" --threads "$threads" -q
    part_ten "in memory" "$bin" clean part-9.jsonl -o again.jsonl \
        --index again --index-in-memory --threads "$threads" -q
    timed "$bin" clean part-9.jsonl -o alone.jsonl --threads "$threads" -q
    echo "  alone (no index): $wall s, $((rss / 1024)) MiB"
done
echo "(cold: the $small_mib MiB cache, the index file dropped from the page cache first)"
# An index larger than the memory there is: the run in a memory cgroup
# (v1; root) of LIMIT_MIB, page cache included, so that misses read the
# disk. Held in memory, the index does not fit.
limit_mib=${LIMIT_MIB:-100}
group=/sys/fs/cgroup/memory/newsdedup-index-parts
if mkdir -p "$group" 2>/dev/null && echo $((limit_mib << 20)) > "$group/memory.limit_in_bytes"; then
    limited() {
        rm -rf again && cp -r idx9 again && sync && uncache again
        status=ok
        sh -c 'echo $$ > "$0/cgroup.procs"; shift; exec "$@"' "$group" x \
            /usr/bin/time -f "%e %M" -o time "$@" || status="failed ($(head -1 time))"
        read -r wall rss < <(tail -1 time)
    }
    for round in 1 2 3; do
        for mib in "$small_mib" "$((small_mib * 3))"; do
            limited "$bin" clean part-9.jsonl -o again.jsonl --index again \
                --index-cache "$mib" --threads "$threads" -q
            cmp again.jsonl out-9.jsonl
            echo "within $limit_mib MiB, round $round, in place, $mib MiB cache: $wall s, $((rss / 1024)) MiB, $status"
        done
        limited "$bin" clean part-9.jsonl -o again.jsonl --index again \
            --index-in-memory --threads "$threads" -q
        echo "within $limit_mib MiB, round $round, in memory: $wall s, $((rss / 1024)) MiB, $status"
    done
    rmdir "$group" 2>/dev/null || true
else
    echo "(no memory cgroup here: the run within $limit_mib MiB is skipped)"
fi
timed "$bin" clean part-?.jsonl -o all.jsonl --report all.rep --threads "$threads" -q
echo "one run over the ten parts: $wall s, $((rss / 1024)) MiB"
cat out-?.jsonl | cmp - all.jsonl
grep -h '"type":"document"' rep-?.jsonl | cmp - <(grep '"type":"document"' all.rep)
echo "the ten runs' outputs and report documents are the single run's"
: > empty.jsonl
"$bin" index stats idx
rm -rf again && cp -r idx again
timed "$bin" clean empty.jsonl -o /dev/null --index again -q
echo "loading and committing the index alone (in place): ${wall} s, $((rss / 1024)) MiB"
for mib in "$cache_mib" "$small_mib"; do
    rm -rf again && cp -r idx9 again
    "$bin" clean part-9.jsonl -o /dev/null --index again --index-cache "$mib" \
        --threads "$threads" 2>&1 | grep 'in place' || true
done
