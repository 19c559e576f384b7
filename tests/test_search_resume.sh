#!/usr/bin/env bash
# Kill a running search with SIGKILL at 20 random points, resume it from its
# trace each time, and check that no finished evaluation was lost or repeated
# and that the trace still passes the independent validity checks. On the
# way (issue 11): torn last lines (a record cut after its ']"', which would
# parse) are left behind after some kills, a second --resume of a trace that
# is being written is refused (the lock), a resume with other settings is
# refused naming each, the store is held by another process for over 5 s,
# and a search runs out of disk on a small tmpfs. Each time the trace ends
# with exactly --candidates unique records and no dangling parent, and
# pandas reads it as it is.
set -euo pipefail
bin=${EXHAUST_BIN:?}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
mounted=
cleanup() { [ -z "$mounted" ] || umount "$mounted" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
cd "$work"
RANDOM=2026 # the kill points are random, but the same every run

# A "training" command: quality = sum of the architecture's digits, 30 ms
# each; shell builtins but the sleep, so a loaded machine still runs it fast.
command='sleep 0.03; a={arch_seq}; IFS=,; set -- $a; echo $(($1 + $2 + $3 + $4 + $5 + $6))'
options=(--space nb201 --evaluator command --command "$command" --workers 4
         --population 20 --sample 5 --candidates 300 --seed 7 --store store.db --search-name killed)
candidates=300

records() { [ -f "$1" ] && { grep -v '^#' "$1" | tail -n +2 | grep -c . || true; } || echo 0; }
# Wait (up to 30 s: sanitizer builds start slowly) until the trace has a record.
wait_for_records() {
  for _ in $(seq 300); do
    [ "$(records trace.csv)" -ge 1 ] && return 0
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
}
# Exactly N unique records, no architecture twice, every parent and donor a
# record of the trace, and the independent checks of trace_check.py (one
# Python start: they are slow on a loaded machine). With a 4th argument,
# pandas reads it as it is (no comment= needed).
check_trace() { # TRACE N POPULATION [pandas]
  /usr/bin/python3 - "$here" "$@" <<'EOF'
import csv, sys
sys.path.insert(0, sys.argv[1])
import trace_check
path, n, population = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
text = open(path).read()
assert text.endswith("\n"), "the trace ends with a torn line"
assert not text.startswith("#"), "the trace starts with '#' lines"
rows = list(csv.DictReader(text.splitlines()))
ids = {int(r["job_id"]) for r in rows}
archs = {r["p:arch_seq"] for r in rows}
dangling = [r["job_id"] for r in rows
            if int(r["m:parent_id"]) >= 0 and int(r["m:parent_id"]) not in ids
            or int(r["m:donor_id"]) >= 0 and int(r["m:donor_id"]) not in ids]
print("%s: %d records, %d job ids, %d architectures, %d dangling parents"
      % (path, len(rows), len(ids), len(archs), len(dangling)))
assert len(rows) == n and len(ids) == n, "expected %d unique records" % n
assert len(archs) == n, "an architecture was evaluated twice"
assert not dangling, "parents not in the trace: %s" % dangling[:5]
failed = [r["job_id"] for r in rows if r["m:status"] != "ok"]
assert not failed, "the command never fails, yet jobs %s did" % failed[:5]
if trace_check.main(path, population) != 0:
    sys.exit(1)
if len(sys.argv) < 6:
    sys.exit(0)
try:
    import pandas
except ImportError:
    print("pandas not installed: read_csv not checked"); sys.exit(0)
frame = pandas.read_csv(path)
assert len(frame) == n and frame["job_id"].is_unique, "pandas read %d rows" % len(frame)
assert frame["objective"].dtype.kind in "if", "objective is not numeric"
print("pandas: %d rows" % len(frame))
EOF
}

"$bin" search "${options[@]}" --trace trace.csv >/dev/null 2>&1 &
pid=$!
kills=0 torn=0 locked=0
for kill_point in $(seq 20); do
  wait_for_records
  delay=0.$((RANDOM % 2))$((RANDOM % 10))
  sleep "$delay"
  if kill -0 "$pid" 2>/dev/null; then
    if [ "$kills" -eq 4 ]; then
      # Wait until the resumed search is writing (so it holds the lock).
      started=$(records trace.csv)
      for _ in $(seq 200); do
        [ "$(records trace.csv)" -gt "$started" ] && break; sleep 0.05
      done
      # The lock: a second resume while this search writes is refused, and
      # leaves the trace alone.
      if "$bin" search "${options[@]}" --resume trace.csv >/dev/null 2>second.log; then
        echo "FAIL: a second --resume ran beside the first"; exit 1
      fi
      grep -q "another search is writing this trace" second.log ||
        { echo "FAIL: no clear message for the locked trace:"; cat second.log; exit 1; }
      locked=1
    fi
    kill -9 "$pid"; wait "$pid" 2>/dev/null || true
    kills=$((kills + 1))
    before=$(records trace.csv)
    # Every complete line written before the kill must survive unchanged.
    head -n "$(wc -l < trace.csv)" trace.csv > "before-$kills.csv"
    if [ $((kills % 3)) -eq 0 ]; then
      # A torn record: what a writer killed mid-line leaves, cut after the
      # closing ']"' (it would parse, as a failed evaluation, if it were read).
      printf '%s' "99999$kills,\"[1, 2, 3, 4, 0, 1]\"" >> trace.csv
      torn=$((torn + 1))
    fi
    "$bin" search "${options[@]}" --resume trace.csv >/dev/null 2>resume.log &
    pid=$!
    echo "kill $kill_point after ${delay}s: $before records; resuming"
  fi
done
wait "$pid"
[ "$kills" -ge 15 ] || { echo "FAIL: only $kills kills landed before the search ended"; exit 1; }
[ "$locked" -eq 1 ] || { echo "FAIL: the lock was never tried"; exit 1; }
grep -q "cut a torn last record" resume.log ||
  [ $((kills % 3)) -ne 0 ] || { echo "FAIL: the last torn record was not reported"; exit 1; }

for saved in before-*.csv; do
  size=$(wc -c < "$saved")
  cmp -s "$saved" <(head -c "$size" trace.csv) ||
    { echo "FAIL: records finished before a kill changed ($saved)"; exit 1; }
done
if grep -q '^99999' trace.csv; then echo "FAIL: a torn record was kept"; exit 1; fi
echo "$kills kills, $torn torn tails"
check_trace trace.csv "$candidates" 20 pandas
[ -f trace.csv.json ] || { echo "FAIL: no settings sidecar"; exit 1; }
# Each evaluation's quality is the digit sum of its architecture.
bad=$(tail -n +2 trace.csv | awk -F'"' '{n=split($2,d,", "); s=0; for(i=1;i<=n;i++){gsub(/[^0-9]/,"",d[i]); s+=d[i]} split($3,f,","); if (f[2]+0 != s) print}' | wc -l)
[ "$bad" -eq 0 ] || { echo "FAIL: $bad records have the wrong quality"; exit 1; }
# The store got the same records as the CSV, none twice.
stored() { python3 -c 'import sqlite3, sys; db = sqlite3.connect("store.db"); print(*db.execute("SELECT count(*), count(DISTINCT job_id), count(DISTINCT arch_seq) FROM trace_records WHERE search = ?", (sys.argv[1],)).fetchone())' "$1"; }
counts=$(stored killed)
echo "store: $counts (records, job ids, architectures)"
[ "$counts" = "$candidates $candidates $candidates" ] ||
  { echo "FAIL: the store should hold the $candidates evaluations once each"; exit 1; }

# Other settings than the trace's: refused (usage, exit 2), each one named.
set +e
"$bin" search "${options[@]}" --resume trace.csv --population 21 --seed 8 \
  >/dev/null 2>mismatch.log
status=$?
set -e
[ "$status" -eq 2 ] || { echo "FAIL: a resume with other settings exited $status"; cat mismatch.log; exit 1; }
grep -q -- "--population 21 (the trace has 20)" mismatch.log && grep -q -- "--seed 8 (the trace has 7)" mismatch.log ||
  { echo "FAIL: the differences are not named:"; cat mismatch.log; exit 1; }

# The store held (BEGIN EXCLUSIVE) by another process for 5.5 s, longer
# than SQLite's 5 s wait: the search goes on and the store catches up.
python3 -c 'import sqlite3, time, sys
db = sqlite3.connect("store.db", isolation_level=None); db.execute("BEGIN EXCLUSIVE")
open("held", "w").close(); time.sleep(5.5); db.execute("COMMIT")' &
holder=$!
for _ in $(seq 100); do [ -f held ] && break; sleep 0.05; done
"$bin" search "${options[@]}" --candidates 40 --search-name busy --trace busy.csv >/dev/null 2>busy.log ||
  { echo "FAIL: a busy store stopped the search:"; cat busy.log; exit 1; }
wait "$holder"
check_trace busy.csv 40 20
counts=$(stored busy)
echo "busy store: $counts (records, job ids, architectures)"
[ "$counts" = "40 40 40" ] || { echo "FAIL: the store did not catch up"; cat busy.log; exit 1; }

# A full disk: a 200 KiB tmpfs nearly filled, so the trace runs out of space
# mid-search. The search fails (exit 1, saying why); once there is room
# again, the resume cuts the torn line and completes the search.
mkdir disk
if mount -t tmpfs -o size=200k tmpfs disk 2>/dev/null; then
  mounted=$work/disk
  dd if=/dev/zero of=disk/filler bs=4k count=48 2>/dev/null || true # leaves 8 KiB
  disk_options=(--space nb201 --evaluator command --command "$command" --workers 4
                --population 20 --sample 5 --candidates 80 --seed 7) # no store
  if "$bin" search "${disk_options[@]}" --trace disk/trace.csv >/dev/null 2>disk.log; then
    echo "FAIL: the search did not notice the full disk"; exit 1
  fi
  grep -q "No space left" disk.log || { echo "FAIL: the full disk is not named:"; cat disk.log; exit 1; }
  echo "full disk after $(records disk/trace.csv) records: $(tail -n 1 disk.log)"
  rm disk/filler
  "$bin" search "${disk_options[@]}" --resume disk/trace.csv >/dev/null 2>disk-resume.log ||
    { echo "FAIL: the resume after a full disk failed:"; cat disk-resume.log; exit 1; }
  check_trace disk/trace.csv 80 20
else
  echo "SKIPPED the full-disk part: cannot mount a tmpfs here (needs root)"
fi
echo "1 passed, 0 failed"
