#!/usr/bin/env bash
# bench_search_scale.sh — the cost of `exhaust search` and `exhaust analyze`
# against N (issue 16): the table evaluator on NAS-Bench-201, the simulated
# clock, P=100, S=5, 64 workers at N=1e3 and 1e4, 4,096 at 1e5 and up (past
# the space's 15,625 cells with --allow-duplicates, as it must be). Per N:
# wall time, CPU time (user + system) and peak RSS of each process, from
# /usr/bin/time (medians of 3 runs at N <= 1e6, one run above). Beside it, in
# the same run, a plain Python regularized evolution (bench/bench_search.py:
# dict lookups, the random module, a heap of running jobs) at N=1000.
#
# usage: bench/bench_search_scale.sh [BUILD_DIR] [DATA_DIR] [--big]
#   defaults: build ../shared/data. --big adds N=1e7 when `free` shows more
#   than 6 GB available (it needs ~2-3 GB and minutes); else says skipped.
set -euo pipefail
build=${1:-build}
data=${2:-../shared/data}
big=${3:-}
bin=$build/exhaust
archs=$data/nb201/archs.csv
[ -x "$bin" ] || { echo "bench_search_scale: no $bin (make build first)" >&2; exit 1; }
[ -f "$archs" ] || { echo "bench_search_scale: skipped: $archs not found" >&2; exit 0; }
[ -x /usr/bin/time ] || { echo "bench_search_scale: needs /usr/bin/time" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# measure LABEL CMD...: runs CMD under /usr/bin/time; prints "wall cpu rss_kib"
measure() {
    /usr/bin/time -f '%e %U %S %M' -o "$work/time" "$@" > "$work/out" 2> "$work/err" ||
        { echo "bench_search_scale: failed: $*" >&2; cat "$work/err" >&2; exit 1; }
    awk '{printf "%s %.2f %s\n", $1, $2 + $3, $4}' "$work/time"
}

# median3 "w c r" lines on stdin: the median of each column
median3() {
    awk '{w[NR]=$1; c[NR]=$2; r[NR]=$3} END {
        n = NR; for (k = 1; k <= 3; k++) {
            for (i = 1; i <= n; i++) v[i] = (k == 1 ? w[i] : k == 2 ? c[i] : r[i]);
            for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
                if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
            out[k] = v[int((n + 1) / 2)] }
        print out[1], out[2], out[3] }'
}

workers_for() { if [ "$1" -ge 100000 ]; then echo 4096; else echo 64; fi; }

sizes=(1000 10000 100000 1000000)
available_gb=$(free -g | awk '/^Mem:/ {print $7}')
if [ "$big" = "--big" ] && [ "$available_gb" -gt 6 ]; then
    sizes+=(10000000)
    note="N=1e7 included (${available_gb} GB available)"
elif [ "$big" = "--big" ]; then
    note="N=1e7 skipped: only ${available_gb} GB available (needs > 6)"
else
    note="N=1e7 skipped (not asked for: --big)"
fi

echo "exhaust search + analyze vs N: NAS-Bench-201 table, simulated clock, P=100, S=5"
echo "(64 workers at N <= 1e4, 4096 above; medians of 3 runs at N <= 1e6; $note)"
echo "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores" \
     "(wall time waits for the CPU on a shared machine: CPU time is the steadier figure)"
printf '%-9s %-7s | %8s %8s %9s %9s | %8s %8s %9s %9s\n' N workers \
    "search s" "cpu s" "peak MiB" "B/record" "analyze" "cpu s" "peak MiB" "B/record"
for n in "${sizes[@]}"; do
    runs=1
    [ "$n" -le 1000000 ] && runs=3
    workers=$(workers_for "$n")
    args=(--table "$archs" --clock simulated --population 100 --sample 5 --seed 1
          --workers "$workers" --candidates "$n" --no-fsync)
    [ "$n" -gt 15625 ] && args+=(--allow-duplicates)
    : > "$work/s"; : > "$work/a"
    for ((i = 0; i < runs; i++)); do
        measure "$bin" search "${args[@]}" --trace "$work/t.csv" >> "$work/s"
        measure "$bin" analyze "$work/t.csv" --space nb201 --out "$work/an" >> "$work/a"
        rm -rf "$work/an"
    done
    read -r sw sc sr <<< "$(median3 < "$work/s")"
    read -r aw ac ar <<< "$(median3 < "$work/a")"
    printf '%-9s %-7s | %8.2f %8.2f %9.0f %9.0f | %8.2f %8.2f %9.0f %9.0f\n' "$n" \
        "$workers" "$sw" "$sc" "$(echo "$sr / 1024" | bc -l)" "$(echo "$sr * 1024 / $n" | bc -l)" \
        "$aw" "$ac" "$(echo "$ar / 1024" | bc -l)" "$(echo "$ar * 1024 / $n" | bc -l)"
    if [ "$n" = 1000 ]; then exhaust_1000=$sw; fi
    rm -f "$work/t.csv" "$work/t.csv.json"
done

# The reference at N=1000, 64 workers, both ways. The search alone, in
# process: bench_search times the library (median of 51 searches) and runs
# bench_search.py (median of 20 seeds) in the same run. Whole processes: the
# CLI above (start, table load, search, trace) against Python's (start, table
# load, one search), medians of 3.
if [ -x "$build/bench_search" ]; then
    echo
    echo "search alone, in process (build/bench_search):"
    "$build/bench_search" "$data" | grep -E '^speed:|python RE: median' | sed 's/^/  /'
fi
: > "$work/p"
for i in 1 2 3; do
    measure /usr/bin/python3 bench/bench_search.py "$archs" --repeats 1 --workers 64 \
        --candidates 1000 >> "$work/p"
done
read -r pw pc pr <<< "$(median3 < "$work/p")"
echo "whole processes, N=1000: exhaust search ${exhaust_1000} s; plain Python RE" \
     "$(printf '%.2f s, peak %.0f MiB' "$pw" "$(echo "$pr / 1024" | bc -l)")" \
     "$(printf -- '-> %.1fx' "$(echo "$pw / $exhaust_1000" | bc -l)")"
