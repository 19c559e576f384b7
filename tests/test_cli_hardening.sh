#!/usr/bin/env bash
# The CLI on hostile or unusual input (issue 11):
#  - summary, runs and show open the store read-only: the file is not
#    changed, not even switched to WAL;
#  - control bytes from logs (a run key with ESC) are escaped in tables,
#    show and error messages;
#  - ingest refuses an invalid --arch (exit 2);
#  - analyze refuses a sidecar population larger than the trace before
#    allocating for it;
#  - analyze --out DIR does not write through a link planted at index.html;
#  - integer options refuse non-integers, out-of-range values and trailing
#    junk (exit 2) with a message naming the option.
set -euo pipefail
bin=${EXHAUST_BIN:?}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
fail() { echo "FAIL: $*"; exit 1; }
py=/usr/bin/python3
[ -x "$py" ] || py=python3

# A store with a run whose key holds ESC [2J (clear screen) and a newline.
printf '{"key": "evil\\u001b[2J\\nkey", "space": "nb201", "arch": "302141", %s}\n' \
  '"epochs": [{"epoch": 1, "val_accuracy": 50}]' > runs.jsonl
"$bin" ingest runs.jsonl --store s.db --quiet > ingest.out || fail "ingest: $(cat ingest.out)"
# Back to a rollback journal, as another tool may have left it.
"$py" -c 'import sqlite3; c = sqlite3.connect("s.db")
c.execute("PRAGMA journal_mode=DELETE"); c.close()'
before=$(md5sum < s.db)

"$bin" summary --store s.db > summary.out 2>&1 || fail "summary: $(cat summary.out)"
"$bin" runs --store s.db > runs.out 2>&1 || fail "runs: $(cat runs.out)"
"$bin" show --store s.db 1 > show.out 2>&1 || fail "show: $(cat show.out)"
[ "$(md5sum < s.db)" = "$before" ] || fail "a read-only command changed the store file"
[ ! -e s.db-wal ] || fail "a read-only command created s.db-wal"
mode=$("$py" -c 'import sqlite3
print(sqlite3.connect("s.db").execute("PRAGMA journal_mode").fetchone()[0])')
[ "$mode" = delete ] || fail "journal mode is now $mode"
echo "ok: summary, runs and show leave the store as it was"

esc=$(printf '\033')
for f in runs.out show.out; do
  ! grep -q "$esc" "$f" || fail "$f holds a raw ESC byte"
  grep -qF 'evil\x1b[2J\x0akey' "$f" || fail "$f does not show the key escaped: $(cat "$f")"
done
rc=0
"$bin" show --store s.db "$(printf 'no\033[2Jsuch')" > err.out 2>&1 || rc=$?
[ "$rc" -ne 0 ] || fail "show of a missing run succeeded"
! grep -q "$esc" err.out || fail "an error message holds a raw ESC byte: $(cat -v err.out)"
echo "ok: control bytes are escaped in tables, show and errors"

# ingest --arch that is not an architecture of --space: a usage error.
printf 'epoch,accuracy,loss\n0,0.5,1.0\n' > log.csv
rc=0
"$bin" ingest log.csv --store k.db --space nb201 --arch 'not-a-cell' > arch.out 2>&1 || rc=$?
[ "$rc" -eq 2 ] || fail "invalid --arch: exit $rc (want 2): $(cat arch.out)"
grep -q -- "--arch" arch.out || fail "the message does not name --arch: $(cat arch.out)"
echo "ok: an invalid --arch exits 2"

# A trace to analyze, written by a short search with a command evaluator.
"$bin" search --space nb201 --evaluator command --command 'echo {job_id}' --population 4 \
  --sample 2 --candidates 12 --seed 1 --trace t.csv > search.out 2>&1 ||
  fail "search: $(cat search.out)"
# Its sidecar claims a population of a billion: refused before allocating.
cp t.csv huge.csv
sed 's/"population": *4,/"population": 1000000000,/' t.csv.json > huge.csv.json
grep -q '"population": 1000000000' huge.csv.json || fail "the sidecar has no population to change"
rc=0
"$bin" analyze huge.csv --out huge > huge.out 2>&1 || rc=$?
[ "$rc" -eq 1 ] || fail "analyze of a population=1e9 sidecar: exit $rc: $(tail -3 huge.out)"
grep -q "population 1000000000 is more than the trace's 12 records" huge.out ||
  fail "message: $(cat huge.out)"
echo "ok: a sidecar population past the trace is refused"

# A link planted at DIR/index.html must not be followed.
mkdir report
echo "precious" > victim.txt
ln -s "$work/victim.txt" report/index.html
"$bin" analyze t.csv --out report > analyze.out 2>&1 || true
[ "$(cat victim.txt)" = precious ] || fail "analyze --out wrote through report/index.html"
echo "ok: analyze --out does not follow a planted link"

# Integer options: one checked parser. Each row: the option as the message
# names it, then the command line (the store is missing: an option that
# were accepted would fail with exit 1, not 2).
while IFS='|' read -r want args; do
  rc=0
  # shellcheck disable=SC2086
  "$bin" $args > int.out 2>&1 || rc=$?
  [ "$rc" -eq 2 ] || fail "'$args': exit $rc (want 2): $(cat int.out)"
  grep -q -- "$want needs an integer" int.out || fail "'$args': $(cat int.out)"
done <<'EOF'
--models|eval --store none.db --models 2.5
--repeats|eval --store none.db --repeats 3e10
--seed|eval --store none.db --seed 7x
--k|predict 302141 --store none.db --k 2.5
--top|rank c.txt --store none.db --top 3e10
--seed|predict 302141 --store none.db --seed 99999999999
--train-models|predict 302141 --store none.db --method lstm --train-models 1e3
--k|fit-penalties --store none.db --out p.json --k 4.0
--rounds|fit-penalties --store none.db --out p.json --rounds=0x10
--seed|fit-penalties --store none.db --out p.json --seed -1
--seed|fit-penalties --store none.db --out p.json --seed 18446744073709551616
--limit|runs --store none.db --limit 10abc
--limit|runs --store none.db --limit 0
--population|analyze t.csv --out r2 --population 2.5
--workers|analyze t.csv --out r2 --workers 3e10
--threads|analyze t.csv --out r2 --threads 1e9
--window|analyze t.csv --out r2 --window=
--candidates|search --candidates 3e10
--population|search --population 2.5
--seed|search --seed 1.5
--workers|search --workers 12x
--k|search --k 0
--screen|search --screen 2.5
EOF
echo "ok: integer options refuse 2.5, 3e10, junk and out-of-range values, naming the option"
echo "1 passed, 0 failed"
