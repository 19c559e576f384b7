#!/usr/bin/env bash
# A real search trace (NB201 table, simulated clock) is a pure CSV that
# pandas.read_csv reads as it is; the settings are in TRACE.json, which
# analyze and --resume read. Older traces (settings in '#' lines, no
# sidecar) and bare ones (DeepHyper's: neither) are still analysed. RQ1's
# theory follows the search's --mutation-exponent.
set -euo pipefail
bin=${EXHAUST_BIN:?}
data=${EXHAUST_DATA:-}
here=$(cd "$(dirname "$0")" && pwd)
if [ ! -f "$data/nb201/archs.csv" ]; then
  echo "SKIP: real data not found (EXHAUST_DATA=$data); this test needs ../shared/data"; exit 77
fi
if ! /usr/bin/python3 -c 'import pandas' 2>/dev/null; then
  echo "SKIP: /usr/bin/python3 has no pandas"; exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
search() { "$bin" search --space nb201 --table "$data/nb201/archs.csv" --clock simulated \
             --workers 64 --sample 5 --seed 3 "$@" >/dev/null 2>search.log; }
# The value of a key of analyze's summary.json.
summary() { /usr/bin/python3 -c 'import json, sys
d = json.load(open(sys.argv[1] + "/summary.json"))
for k in sys.argv[2].split("."): d = d[k]
print(d)' "$@"; }

# P = 50 and x = 2: neither is a default, so analyze must take them from the sidecar.
search --population 50 --mutation-exponent 2 --candidates 600 --trace w.csv
/usr/bin/python3 - <<'EOF'
import json, pandas
frame = pandas.read_csv("w.csv")  # no comment='#', no skiprows
assert len(frame) == 600 and frame["job_id"].is_unique, len(frame)
assert frame["objective"].dtype.kind == "f"
assert list(frame.columns[:3]) == ["job_id", "p:arch_seq", "objective"]
# Doubles in their shortest round-trip digits (Python's repr is the shortest):
# 36.028, not 36.027999999999999.
import csv
for row in csv.DictReader(open("w.csv")):
    for column in ("objective", "m:timestamp_gather", "m:cost"):
        raw = row[column]
        assert repr(float(raw)) in (raw, raw + ".0"), "%s: %s is not shortest" % (column, raw)
side = json.load(open("w.csv.json"))
assert side["format"] == "exhaust-trace" and side["version"] == 1
for key in ("space", "dataset", "evaluator", "population", "sample", "seed", "workers",
            "candidates", "clock", "transfer_from", "mutation_exponent", "settings_lines"):
    assert key in side, key
assert (side["population"], side["sample"], side["seed"], side["mutation_exponent"]) == (50, 5, 3, 2)
print("pandas: %d rows; sidecar: population %d, sample %d" % (len(frame), side["population"], side["sample"]))
EOF

"$bin" analyze w.csv --space nb201 --out an >/dev/null
[ "$(summary an population)" = 50 ] || { echo "FAIL: analyze did not read the sidecar's population"; exit 1; }
expected=$(summary an structure.expected_mean_prefix_length)
/usr/bin/python3 -c "import sys; e = float(sys.argv[1]); assert abs(e - 350 / 91) < 1e-9, e" "$expected" ||
  { echo "FAIL: RQ1 expects $expected, not E[i] under weights (i+1)^2 = 350/91"; exit 1; }
echo "analyze: population 50 and expected prefix $expected from the sidecar"

# An older trace: the settings in a '#' line, no sidecar. analyze skips the
# line for the records and reads the settings from it.
{ echo "# exhaust search: space=nb201 evaluator=table population=50 sample=5 mutation_exponent=2"
  cat w.csv; } > old.csv
"$bin" analyze old.csv --space nb201 --out old >/dev/null
[ "$(summary old population)" = 50 ] && [ "$(summary old records)" = 600 ] &&
  [ "$(summary old structure.expected_mean_prefix_length)" = "$expected" ] ||
  { echo "FAIL: an older trace's '#' settings were not read"; exit 1; }
# No settings at all (DeepHyper's results.csv): the options, else P=100, S=5.
cp w.csv bare.csv
"$bin" analyze bare.csv --space nb201 --out bare >/dev/null
[ "$(summary bare population)" = 100 ] || { echo "FAIL: the default population is not 100"; exit 1; }
"$bin" analyze bare.csv --space nb201 --population 30 --sample 3 --out bare30 >/dev/null
[ "$(summary bare30 population)" = 30 ] && [ "$(summary bare30 sample)" = 3 ] ||
  { echo "FAIL: --population/--sample were not used"; exit 1; }
echo "older and bare traces: analysed"

# --resume takes the sidecar's settings (P = 50 and x = 2 not given again)
# and goes on to --candidates.
"$bin" search --table "$data/nb201/archs.csv" --resume w.csv --candidates 1000 >/dev/null 2>resume.log
/usr/bin/python3 -c 'import json, pandas
frame = pandas.read_csv("w.csv")
assert len(frame) == 1000 and frame["job_id"].is_unique, len(frame)
assert json.load(open("w.csv.json"))["candidates"] == 1000' ||
  { echo "FAIL: the resumed trace"; cat resume.log; exit 1; }
python3 "$here/trace_check.py" w.csv 50
echo "1 passed, 0 failed"
