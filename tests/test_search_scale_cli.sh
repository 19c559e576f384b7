#!/usr/bin/env bash
# exhaust search against the size of its space (issue 16): --candidates past
# NB201's 15,625 cells is refused naming --allow-duplicates (before any
# training command runs); with it the search runs to N; a search that runs
# out of new children exits 1 saying how far it got, its trace whole and
# without a repeat.
set -euo pipefail
bin=${EXHAUST_BIN:?}
data=${EXHAUST_DATA:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
fail() { echo "FAIL: $*"; exit 1; }
# records CSV: the number of records, and of distinct architectures
records() { tail -n +2 "$1" | wc -l; }
distinct() { tail -n +2 "$1" | cut -d'"' -f2 | sort -u | wc -l; }

# 1. Refused up front, whatever the evaluator: no command ran, no record.
rc=0
"$bin" search --space nb201 --evaluator command --command "touch ran; echo 1" \
  --candidates 15626 --trace refused.csv > r.out 2> r.err || rc=$?
[ "$rc" -eq 1 ] || fail "15626 candidates: exit $rc, want 1: $(cat r.err)"
grep -q -- "exceed the 15625 distinct architectures of space nb201: pass --allow-duplicates" \
  r.err || fail "the refusal does not name --allow-duplicates: $(cat r.err)"
[ ! -e ran ] || fail "a training command ran before the refusal"
echo "ok: --candidates past the space refused naming --allow-duplicates"

if [ ! -f "$data/nb201/archs.csv" ]; then
  echo "SKIP: real data not found (EXHAUST_DATA=$data); the table searches need ../shared/data"
  exit 77
fi
table=(--space nb201 --table "$data/nb201/archs.csv" --clock simulated --population 10
       --sample 3 --seed 5 --no-fsync)

# 2. With --allow-duplicates it runs to N, repeats and all.
"$bin" search "${table[@]}" --workers 16 --candidates 16000 --allow-duplicates \
  --trace dup.csv > d.out 2> d.err || fail "--allow-duplicates: $(cat d.err)"
[ "$(records dup.csv)" -eq 16000 ] || fail "dup.csv: $(records dup.csv) records, want 16000"
[ "$(distinct dup.csv)" -lt 16000 ] || fail "dup.csv: past the space, yet no repeat"
echo "ok: --allow-duplicates runs past the space"

# 3. The whole space without repeats: it stops when no new child is found,
#    after finishing the running jobs, and says how many it proposed.
for workers in 1 64; do
  rc=0
  "$bin" search "${table[@]}" --workers "$workers" --candidates 15625 --trace ex.csv \
    > e.out 2> e.err || rc=$?
  [ "$rc" -eq 1 ] || fail "exhaustion with $workers workers: exit $rc: $(cat e.err)"
  n=$(records ex.csv)
  said="search stopped after $n of 15625 candidates: no new architecture in 100 draws"
  said+=" ($n distinct proposed; $((15625 - n)) of the 15625 in space nb201 were never proposed)"
  grep -qF "$said" e.err ||
    fail "exhaustion message with $workers workers ($n records): $(cat e.err)"
  [ "$(distinct ex.csv)" -eq "$n" ] || fail "ex.csv: repeats in $n records"
  rm -f ex.csv ex.csv.json
done
echo "ok: a search out of new children stops with its counts, trace whole"
echo "3 passed, 0 failed"
