#!/usr/bin/env bash
# Progress of the long commands (issue 12): with stderr in a file (not a
# terminal) each of eval, predict --method lstm, fit-penalties, search and
# analyze writes plain progress lines ("exhaust CMD: DONE/TOTAL WHAT (P%),
# M:SS elapsed..."), no "\r"; --quiet silences them; stdout is the same
# either way. EXHAUST_PROGRESS_INTERVAL=0 makes every update a line, so
# these short runs show some.
set -euo pipefail
bin=${EXHAUST_BIN:?}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
fail() { echo "FAIL: $*"; exit 1; }

# Twelve NB201 cells (as in test_cli.sh) to evaluate, fit and train on.
for cell in 000001 000003 000033 000333 003333 033333 333333 111111 222222 444444 300000 330000; do
  n3=$(echo "$cell" | tr -cd 3 | wc -c)
  echo "{\"key\": \"c$cell\", \"space\": \"nb201\", \"arch\": \"$cell\"," \
       "\"dataset\": \"cifar10-valid\"," \
       "\"epochs\": [{\"epoch\": 1, \"val_accuracy\": $((50 + 5 * n3)), \"epoch_seconds\": 10}]}"
done > cells.jsonl
printf '#!/bin/sh\necho 50\n' > evaluate && chmod +x evaluate
"$bin" ingest cells.jsonl --store p.db --quiet > /dev/null || fail "ingest"
"$bin" search --space nb201 --evaluator command --command 'echo {job_id}' --population 4 \
  --sample 2 --candidates 12 --seed 1 --trace t.csv --quiet > /dev/null 2>&1 || fail "search"

# Each row: the command's name, what it counts, then its arguments.
while IFS='|' read -r name what args; do
  # shellcheck disable=SC2086
  EXHAUST_PROGRESS_INTERVAL=0 "$bin" $args > loud.out 2> loud.err ||
    fail "$name: $(cat loud.err)"
  grep -Eq "^exhaust $name: [0-9]+/[0-9]+ $what \([0-9]+%\), [0-9]+:[0-9]{2} elapsed" loud.err ||
    fail "$name: no progress line in: $(cat loud.err)"
  ! grep -q $'\r' loud.err || fail "$name: a terminal's \\r in a file"
  # shellcheck disable=SC2086
  EXHAUST_PROGRESS_INTERVAL=0 "$bin" $args --quiet > quiet.out 2> quiet.err ||
    fail "$name --quiet: $(cat quiet.err)"
  ! grep -q "^exhaust $name: [0-9]" quiet.err || fail "$name --quiet: $(cat quiet.err)"
  "$bin" "$name" --help > help.out
  grep -q -- "--quiet" help.out || fail "$name --help does not list --quiet"
  # summaries name the time they took; the rest must match
  timeless='s)$\|seconds\|wall time'
  diff <(grep -v "$timeless" loud.out) <(grep -v "$timeless" quiet.out) > /dev/null ||
    fail "$name: progress changed stdout"
  echo "ok: $name shows $what, --quiet silences it"
done <<'ROWS'
eval|splits|eval --store p.db --models 12 --repeats 2 --top3-repeats 1 --no-lstm
eval|repeats|eval --store p.db --repeats 2 --top3-repeats 0 --train-sizes 4,8 --no-lstm
predict|epochs|predict 333330 --store p.db --method lstm --quick
fit-penalties|entries|fit-penalties --store p.db --k 2 --rounds 1 --out f.json
search|evaluations|search --evaluator command --command ./evaluate --population 5 --candidates 12
analyze|parts|analyze t.csv --out report
ROWS

# The default interval (5 s) writes nothing for a run this short.
"$bin" eval --store p.db --models 12 --repeats 1 --top3-repeats 0 --no-lstm > /dev/null \
  2> default.err || fail "eval: $(cat default.err)"
! grep -q "^exhaust eval: [0-9]" default.err ||
  fail "a short eval printed progress: $(cat default.err)"
echo "ok: a short run prints no progress at the default interval"
echo "1 passed, 0 failed"
