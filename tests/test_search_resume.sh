#!/usr/bin/env bash
# Kill a running search with SIGKILL at 20 random points, resume it from its
# trace each time, and check that no finished evaluation was lost or repeated
# and that the trace still passes the independent validity checks.
set -euo pipefail
bin=${EXHAUST_BIN:?}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
RANDOM=2026 # the kill points are random, but the same every run

# A "training" command: quality = sum of the architecture's digits, 20 ms each.
command='sleep 0.01; echo {arch_seq} | awk -F, "{s=0; for(i=1;i<=NF;i++) s+=\$i; print s}"'
options=(--space nb201 --evaluator command --command "$command" --workers 4
         --population 20 --sample 5 --candidates 800 --seed 7 --store store.db --search-name killed)

records() { [ -f "$1" ] && { grep -v '^#' "$1" | tail -n +2 | grep -c . || true; } || echo 0; }
# Wait (up to 30 s: sanitizer builds start slowly) until the trace has a record.
wait_for_records() {
  for _ in $(seq 300); do
    [ "$(records trace.csv)" -ge 1 ] && return 0
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
}

"$bin" search "${options[@]}" --trace trace.csv >/dev/null 2>&1 &
pid=$!
kills=0
for kill_point in $(seq 20); do
  wait_for_records
  delay=0.$((RANDOM % 3))$((RANDOM % 10))
  sleep "$delay"
  if kill -0 "$pid" 2>/dev/null; then
    kill -9 "$pid"; wait "$pid" 2>/dev/null || true
    kills=$((kills + 1))
    before=$(records trace.csv)
    # Every complete line written before the kill must survive unchanged.
    head -n "$(wc -l < trace.csv)" trace.csv > "before-$kills.csv"
    "$bin" search "${options[@]}" --resume trace.csv >/dev/null 2>resume.log &
    pid=$!
    echo "kill $kill_point after ${delay}s: $before records; resuming"
  fi
done
wait "$pid"
[ "$kills" -ge 1 ] || { echo "FAIL: the search ended before it could be killed"; exit 1; }

for saved in before-*.csv; do
  size=$(wc -c < "$saved")
  cmp -s "$saved" <(head -c "$size" trace.csv) ||
    { echo "FAIL: records finished before a kill changed ($saved)"; exit 1; }
done

total=$(records trace.csv)
ids=$(grep -v '^#' trace.csv | tail -n +2 | cut -d, -f1 | sort -u | wc -l)
archs=$(grep -v '^#' trace.csv | tail -n +2 | cut -d'"' -f2 | sort -u | wc -l)
echo "final trace: $total records, $ids distinct job ids, $archs distinct architectures"
[ "$total" -eq 800 ] || { echo "FAIL: expected 800 evaluations in all"; exit 1; }
[ "$ids" -eq 800 ] || { echo "FAIL: a job id repeats"; exit 1; }
[ "$archs" -eq 800 ] || { echo "FAIL: an architecture was evaluated twice"; exit 1; }
[ "$kills" -ge 15 ] || { echo "FAIL: only $kills kills landed before the search ended"; exit 1; }
# Each evaluation's quality is the digit sum of its architecture.
bad=$(grep -v '^#' trace.csv | tail -n +2 | awk -F'"' '{n=split($2,d,", "); s=0; for(i=1;i<=n;i++){gsub(/[^0-9]/,"",d[i]); s+=d[i]} split($3,f,","); if (f[2]+0 != s) print}' | wc -l)
[ "$bad" -eq 0 ] || { echo "FAIL: $bad records have the wrong quality"; exit 1; }
# The store got the same records as the CSV, none twice.
stored=$(python3 -c 'import sqlite3; db = sqlite3.connect("store.db"); print(*db.execute("SELECT count(*), count(DISTINCT job_id), count(DISTINCT arch_seq) FROM trace_records WHERE search = ?", ("killed",)).fetchone())')
echo "store: $stored (records, job ids, architectures)"
[ "$stored" = "800 800 800" ] || { echo "FAIL: the store should hold the 800 evaluations once each"; exit 1; }
python3 "$here/trace_check.py" trace.csv 20
echo "1 passed, 0 failed"
