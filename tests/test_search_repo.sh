#!/usr/bin/env bash
# test_search_repo.sh — exhaust search --repo: the command gets {repo} and
# {donor_id}; a training command that moves tensors through the repository
# (tests/repo_fake_train.py, exhaust.Repo) fills the trace's m:repo_* columns
# with exactly the traffic its transfers imply (checked by a Python reading
# of the trace: a child reads its donor's first prefix_len tensors from the
# store and writes only the rest; the prefix is deduplicated); `exhaust repo
# check` passes; a corrupt donor blob is recorded as m:repo_error -7
# (EXH_ERR_CORRUPT) and the search finishes; with --repo-fast-dir the hits
# the trainers measure are the coordinator's cache's.
set -euo pipefail
: "${EXHAUST_BIN:?set by CTest}" "${EXHAUST_SOURCE:?set by CTest}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
search() {
    "$EXHAUST_BIN" search --space nb201 --evaluator command --clock real --workers 1 \
        --population 4 --sample 2 --seed 7 --transfer-from any "$@"
}

# 1. The placeholders: {repo} is the folder, {donor_id} equals the trace's m:donor_id.
search --candidates 8 --repo "$work/r1" --trace "$work/t1.csv" \
    --command "echo {job_id} {donor_id} {prefix_len} {repo} >> $work/seen; echo 1" > /dev/null
[ -f "$work/r1/index.db" ] || fail "--repo did not create the repository"
/usr/bin/python3 - "$work" <<'PY' || fail "placeholders"
import csv, sys
work = sys.argv[1]
seen = {int(l.split()[0]): l.split()[1:] for l in open(f"{work}/seen")}
rows = list(csv.DictReader(open(f"{work}/t1.csv")))
assert len(rows) == 8 and len(seen) == 8, (len(rows), len(seen))
assert any(int(r["m:donor_id"]) >= 0 for r in rows), "no transfer at all"
for r in rows:
    donor, prefix, repo = seen[int(r["job_id"])]
    assert donor == r["m:donor_id"] and prefix == r["m:prefix_len"], (r, donor, prefix)
    assert repo == f"{work}/r1", repo
    assert r["m:repo_fast_hits"] == "" and r["m:repo_error"] == "", r  # no manifest saved
PY
# A resumed search keeps writing the m:repo_* columns, and reads them back.
search --candidates 10 --repo "$work/r1" --resume "$work/t1.csv" \
    --command "echo {job_id} {donor_id} {prefix_len} {repo} >> $work/seen; echo 1" > /dev/null
/usr/bin/python3 - "$work/t1.csv" <<'PY' || fail "resume with the repo columns"
import sys
import pandas as pd
t = pd.read_csv(sys.argv[1])
assert len(t) == 10 and "m:repo_error" in t.columns and t["m:repo_error"].isna().all(), t
PY

# The fast tier's options: bad values are usage errors naming the option;
# good ones are recorded in the sidecar's "repo_cache".
for bad in "--repo-cache-window 0" "--repo-cache-donations x" "--repo-cache-epsilon 2" \
    "--repo-cache-policy nope"; do
    set +e
    search --candidates 2 --repo "$work/r5" --repo-fast-dir "$work/f5" --repo-cache-bytes 64 \
        $bad --command "echo 1" > /dev/null 2> "$work/bad.txt"
    code=$?
    set -e
    [ "$code" = 2 ] && grep -q -- "${bad%% *}" "$work/bad.txt" || fail "$bad: exit $code"
done
search --candidates 3 --repo "$work/r5" --repo-fast-dir "$work/f5" --repo-cache-bytes 64 \
    --repo-cache-policy tier --repo-cache-window 3 --repo-cache-donations 1 \
    --repo-cache-epsilon 0.2 --trace "$work/t5.csv" --command "echo 1" > /dev/null
/usr/bin/python3 - "$work/t5.csv.json" <<'PY' || fail "repo_cache in the sidecar"
import json, sys
c = json.load(open(sys.argv[1]))["repo_cache"]
assert c == {"policy": "tier", "bytes": 64, "window": 3, "donations": 1, "epsilon": 0.2}, c
PY

# The rest runs a Python trainer over libexhaust.so: not under sanitizers.
if [ -n "${EXHAUST_SANITIZED:-}" ] || ! /usr/bin/python3 -c "import numpy" 2>/dev/null; then
    echo "skip: the fake trainer needs NumPy and an uninstrumented libexhaust.so"
    exit 77
fi
export EXHAUST_LIBRARY="${EXHAUST_LIB:-$EXHAUST_SOURCE/build/libexhaust.so.0}"
train="/usr/bin/python3 $EXHAUST_SOURCE/tests/repo_fake_train.py {repo} {job_id} {donor_id} {prefix_len} {arch_seq}"

# 2. The traffic columns, against what each transfer must have moved.
# With --repo-keep population: only the final population's 4 models stay.
search --candidates 10 --repo "$work/r2" --trace "$work/t2.csv" --command "$train" \
    --repo-keep population > "$work/out2.txt" ||
    fail "search with the fake trainer: $(cat "$work/out2.txt")"
grep -q "repository: $work/r2: 4 models" "$work/out2.txt" || fail "$(cat "$work/out2.txt")"
grep -q "removed 6 models" "$work/out2.txt" || fail "$(cat "$work/out2.txt")"
kept=$(cd "$work/r2/manifests" && ls | sed 's/.json//' | sort -n | tr '\n' ' ')
want=$(/usr/bin/python3 -c "import csv,sys; r=list(csv.DictReader(open(sys.argv[1])))
print(' '.join(sorted([x['job_id'] for x in r if x['m:status'] == 'ok'][-4:], key=int)))" \
    "$work/t2.csv")
[ "$kept" = "$want " ] || fail "--repo-keep population kept '$kept', the population is '$want'"
/usr/bin/python3 - "$work/t2.csv" <<'PY' || fail "traffic columns"
import sys
import pandas as pd
t = pd.read_csv(sys.argv[1])
assert len(t) == 10 and (t["m:status"] == "ok").all()
B = 16 * 4  # bytes of one fake tensor
for _, r in t.iterrows():
    prefix = r["m:prefix_len"] if r["m:donor_id"] >= 0 else 0
    assert r["m:repo_fast_hits"] == 0 and r["m:repo_read_bytes_fast"] == 0, r
    assert r["m:repo_store_reads"] == prefix, r
    assert r["m:repo_read_bytes_store"] == prefix * B, r
    # the prefix is the donor's bytes: deduplicated, only the rest is new
    assert r["m:repo_write_bytes"] == (6 - prefix) * B, r
    assert r["m:repo_error"] == 0 and r["m:repo_seconds"] >= 0, r
assert (t["m:prefix_len"] > 0).sum() >= 3, "too few transfers to test"
PY
"$EXHAUST_BIN" repo check "$work/r2" > /dev/null || fail "repo check after the search"

# 3. A corrupt donor blob: recorded, the search goes on to the end.
FAKE_CORRUPT=1 search --candidates 6 --repo "$work/r3" --trace "$work/t3.csv" \
    --command "$train" > "$work/out3.txt" 2> "$work/err3.txt" ||
    fail "the search stopped: $(cat "$work/err3.txt")"
grep -q "corrupt" "$work/err3.txt" || fail "no corruption reported: $(cat "$work/err3.txt")"
/usr/bin/python3 - "$work/t3.csv" <<'PY' || fail "m:repo_error"
import sys
import pandas as pd
t = pd.read_csv(sys.argv[1])
assert len(t) == 6 and (t["m:status"] == "ok").all()
assert (t["m:repo_error"] == -7).sum() >= 1, t["m:repo_error"].tolist()
assert set(t["m:repo_error"]) <= {0, -7}
PY
# 4. The live fast tier: the coordinator's cache (the replay's code) keeps the
# folder; with one worker the hits the trainers measured (files found there)
# are the hits the coordinator's cache counted, and the folder never holds
# more than its capacity.
search --candidates 8 --repo "$work/r4" --repo-fast-dir "$work/fast" \
    --repo-cache-bytes 640 --repo-cache-policy threshold --trace "$work/t4.csv" \
    --command "$train" > "$work/out4.txt" ||
    fail "search with a fast tier: $(cat "$work/out4.txt")"
coordinator=$(sed -n 's/^fast tier: the coordinator.s cache: \([0-9]*\) hits.*/\1/p' "$work/out4.txt")
[ -n "$coordinator" ] && [ "$coordinator" -gt 0 ] || fail "no fast-tier hits: $(cat "$work/out4.txt")"
/usr/bin/python3 - "$work/t4.csv" "$coordinator" "$work/fast" <<'PY' || fail "fast tier"
import os, sys
import pandas as pd
t = pd.read_csv(sys.argv[1])
assert t["m:repo_fast_hits"].sum() == int(sys.argv[2]), (t["m:repo_fast_hits"].tolist(), sys.argv[2])
prefix = t["m:prefix_len"].where(t["m:donor_id"] >= 0, 0)
assert (t["m:repo_fast_hits"] + t["m:repo_store_reads"] == prefix).all()
assert (t["m:repo_read_bytes_fast"] == 64 * t["m:repo_fast_hits"]).all()
files = os.listdir(sys.argv[3])
assert not [f for f in files if f.startswith(".tmp")], files
assert sum(os.path.getsize(os.path.join(sys.argv[3], f)) for f in files) <= 640
PY
# exhaust analyze sums what the trainers measured into summary.json.
"$EXHAUST_BIN" analyze "$work/t4.csv" --out "$work/analysis" > /dev/null 2>&1 ||
    fail "analyze of a trace with m:repo_* columns"
# ... and beside it the replay of the same trace under the sidecar's policy
# and capacity: with every position one 64-byte blob (the measured mean), the
# replay's hits are the measured ones; the page shows both.
/usr/bin/python3 - "$work/analysis" "$coordinator" "$work/t4.csv.json" <<'PY' || fail "summary.json"
import json, sys
m = json.load(open(sys.argv[1] + "/summary.json"))["repo_measured"]
assert m["records"] == 8 and m["fast_hits"] == int(sys.argv[2]) and m["errors"] == 0, m
assert m["read_bytes_fast"] == 64 * m["fast_hits"], m
cache = json.load(open(sys.argv[3]))["repo_cache"]
assert cache["policy"] == "threshold" and cache["bytes"] == 640, cache
s = m["simulated"]
assert s["policy"] == "threshold" and s["capacity_bytes"] == 640 and s["tensor_bytes"] == 64, s
r = s["measured_sizes"]
assert r["hits"] == m["fast_hits"] and r["accesses"] == m["fast_hits"] + m["store_reads"], (r, m)
page = open(sys.argv[1] + "/index.html").read()
assert "The live fast tier: measured and simulated" in page
assert f"{m['fast_hits']} of {r['accesses']}" in page and "every position 64 bytes" in page
PY
echo "ok"
