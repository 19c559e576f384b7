#!/usr/bin/env bash
# exhaust search --screen M on the real NB201 table: bad values refused
# naming the option; M = 1 is the search without it, byte for byte; M = 5
# adds m:screened / m:predicted, which pandas, trace_check.py and analyze
# read; the sidecar records the screen and --resume refuses another one.
set -euo pipefail
bin=${EXHAUST_BIN:?}
data=${EXHAUST_DATA:-}
here=$(cd "$(dirname "$0")" && pwd)
if [ ! -f "$data/nb201/archs.csv" ]; then
  echo "SKIP: real data not found (EXHAUST_DATA=$data); this test needs ../shared/data"; exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
search() { "$bin" search --space nb201 --table "$data/nb201/archs.csv" --clock simulated \
             --workers 8 --population 30 --seed 5 --no-fsync "$@"; }

for bad in 0 2.5 -3 x; do
  if search --candidates 10 --screen "$bad" >out.txt 2>err.txt; then
    echo "FAIL: --screen $bad was accepted"; exit 1
  fi
  grep -q -- "--screen" err.txt ||
    { echo "FAIL: --screen $bad: no option named in:"; cat err.txt; exit 1; }
done
echo "refused: --screen 0, 2.5, -3, x ($(head -1 err.txt))"

search --candidates 300 --trace plain.csv >/dev/null
search --candidates 300 --screen 1 --trace one.csv >/dev/null
cmp plain.csv one.csv || { echo "FAIL: --screen 1 changed the trace"; exit 1; }
echo "--screen 1: the same trace as without it"

search --candidates 300 --screen 5 --trace five.csv >/dev/null
/usr/bin/python3 - <<'EOF'
import csv, json
rows = list(csv.DictReader(open("five.csv")))
assert len(rows) == 300, len(rows)
screened = [r for r in rows if r["m:screened"] != "0"]
for r in rows:
    random = r["m:parent_id"] == "-1"
    assert r["m:screened"] == ("0" if random else "5"), r
    assert (r["m:predicted"] == "") == random, r
    if not random:
        assert 0 < float(r["m:predicted"]) < 100, r
side = json.load(open("five.csv.json"))
assert (side["screen"], side["k"]) == (5, 5), side
assert json.load(open("one.csv.json"))["screen"] == 1
print("--screen 5: %d of %d jobs screened; sidecar screen 5, k 5" % (len(screened), len(rows)))
EOF
if /usr/bin/python3 -c 'import pandas' 2>/dev/null; then
  /usr/bin/python3 -c 'import pandas
f = pandas.read_csv("five.csv")
assert f["m:screened"].dtype.kind == "i" and f["m:predicted"].dtype.kind == "f"
assert f["m:predicted"].isna().sum() == (f["m:screened"] == 0).sum()
print("pandas reads the screen columns")'
fi
/usr/bin/python3 "$here/trace_check.py" five.csv 30
"$bin" analyze five.csv --space nb201 --out an >/dev/null
[ -s an/summary.json ] || { echo "FAIL: analyze wrote no summary"; exit 1; }
echo "analyze reads the screened trace"

if search --resume five.csv --candidates 350 --screen 3 >out.txt 2>err.txt; then
  echo "FAIL: --resume with another --screen was accepted"; exit 1
fi
grep -q -- "--screen 3 (the trace has 5)" err.txt ||
  { echo "FAIL: unclear refusal:"; cat err.txt; exit 1; }
search --resume five.csv --candidates 350 >/dev/null 2>err.txt
/usr/bin/python3 -c 'import csv
rows = list(csv.DictReader(open("five.csv")))
assert len(rows) == 350 and all(r["m:screened"] == "5" for r in rows[300:]), len(rows)
print("--resume: another --screen refused; the same screen appends 50 screened jobs")'
# Logged runs inform the screen: --logs changes its choices; a --store
# without runs adds nothing (the trace as with no store).
/usr/bin/python3 -c 'import json, random
g = random.Random(4)
for i in range(40):
    arch = "".join(str(g.randrange(5)) for _ in range(6))
    print(json.dumps({"key": "cell%d" % i, "space": "nb201", "arch": arch,
                      "dataset": "cifar10-valid", "epochs": [{"epoch": 200,
                      "val_accuracy": 80 + g.random() * 12}]}))' > logged.jsonl
"$bin" ingest logged.jsonl --store logged.db >/dev/null
search --candidates 200 --screen 5 --trace own.csv >/dev/null
search --candidates 200 --screen 5 --trace logs.csv --logs logged.db >/dev/null
search --candidates 200 --screen 5 --trace store.csv --store fresh.db >/dev/null
cmp -s own.csv logs.csv && { echo "FAIL: --logs did not change the screen"; exit 1; }
cmp own.csv store.csv || { echo "FAIL: a store without runs changed the screen"; exit 1; }
echo "--logs: 40 logged cells change the screen's choices; an empty --store does not"
echo "1 passed, 0 failed"
