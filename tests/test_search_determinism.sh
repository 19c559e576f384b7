#!/usr/bin/env bash
# Same seed, same trace, byte for byte (simulated clock, NB201 table); another
# seed, another trace; both traces pass the independent validity checks.
set -euo pipefail
bin=${EXHAUST_BIN:?}
data=${EXHAUST_DATA:-}
if [ ! -f "$data/nb201/archs.csv" ]; then
  echo "SKIP: real data not found (EXHAUST_DATA=$data); this test needs ../shared/data"; exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
run() { "$bin" search --space nb201 --table "$data/nb201/archs.csv" --clock simulated \
          --workers 64 --population 100 --sample 5 --candidates 1000 --seed "$1" --trace "$2" >/dev/null; }
run 7 "$work/a.csv"
run 7 "$work/b.csv"
run 8 "$work/c.csv"
cmp "$work/a.csv" "$work/b.csv" || { echo "FAIL: the same seed gave different traces"; exit 1; }
if cmp -s "$work/a.csv" "$work/c.csv"; then echo "FAIL: another seed gave the same trace"; exit 1; fi
echo "seed 7 twice: identical ($(wc -c < "$work/a.csv") bytes); seed 8: different"
python3 "$(dirname "$0")/trace_check.py" "$work/a.csv" 100
python3 "$(dirname "$0")/trace_check.py" "$work/c.csv" 100
echo "1 passed, 0 failed"
