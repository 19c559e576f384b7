#!/usr/bin/env bash
# test_cli_repo.sh — exhaust repo ls|show|lineage|check|gc|stats on a small
# repository (repo_writer saves 8 models), and its errors: exit 2 for bad
# usage, 1 naming the file for a missing repository, model or corrupt blob.
set -euo pipefail
: "${EXHAUST_BIN:?set by CTest}" "${EXHAUST_REPO_WRITER:?set by CTest}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
repo="$work/models"
fail() { echo "FAIL: $*" >&2; exit 1; }
"$EXHAUST_REPO_WRITER" "$repo" 0 8 7

# Exit status and a phrase the output must hold.
expect() {
    local status=$1 phrase=$2; shift 2
    local got=0
    "$EXHAUST_BIN" repo "$@" > "$work/out.txt" 2>&1 || got=$?
    [ "$got" -eq "$status" ] ||
        { cat "$work/out.txt"; fail "repo $*: exit $got, expected $status"; }
    grep -qF -- "$phrase" "$work/out.txt" || { cat "$work/out.txt"; fail "repo $*: no '$phrase'"; }
}

expect 0 "id,parent,donor,prefix_len,quality,tensors,bytes,arch" ls "$repo" --format csv
[ "$(tail -n +2 "$work/out.txt" | wc -l)" -eq 8 ] || fail "ls: not 8 rows"
# Model 7's donor and prefix, as ls reports them, are what lineage says.
row=$(grep '^7,' "$work/out.txt")
donor=$(echo "$row" | cut -d, -f3)
prefix=$(echo "$row" | cut -d, -f4)
expect 0 "model,quality,parent,donor,prefix_len" lineage "$repo" 7 --format csv
sed -n 2p "$work/out.txt" | grep -q "^7,[^,]*,$donor,$donor,$prefix\$" ||
    fail "lineage of 7 does not start with donor $donor prefix $prefix: $(cat "$work/out.txt")"
expect 0 "cell.edge5.weight" show "$repo" 7
expect 0 '"sha256"' show "$repo" 7 --format json
# show's shapes are the index's text (an independent reader: Python's sqlite3)
expect 0 "position,name,dtype,shape" show "$repo" 7 --format csv
python3 - "$repo/index.db" "$work/out.txt" <<'EOF' || fail "show's shapes are not the index's"
import csv, sqlite3, sys
rows = {r["name"]: r["shape"] for r in csv.DictReader(open(sys.argv[2]))}
indexed = dict(sqlite3.connect(sys.argv[1]).execute(
    "SELECT name, shape FROM tensors WHERE model = 7"))
sys.exit(not rows or rows != indexed)
EOF
expect 0 "0 problems" check "$repo"
expect 0 "dedup_ratio" stats "$repo" --format csv
ratio=$(tail -1 "$work/out.txt" | cut -d, -f6)
python3 -c "import sys; sys.exit(not float('$ratio') >= 1.0)" || fail "dedup ratio $ratio < 1"

# Usage errors: exit 2.
expect 2 "which action" 
expect 2 "unknown action 'frob'" frob "$repo"
expect 2 "needs the repository folder" ls
expect 2 "non-negative integer" show "$repo" seven
expect 2 "--keep" gc "$repo"
expect 2 "--keep takes ids" gc "$repo" --keep 1,x
expect 0 "usage: exhaust repo" --help
# Failures name the file: exit 1.
expect 1 "$work/nowhere" ls "$work/nowhere"
expect 1 "99.json" show "$repo" 99
blob=$(find "$repo/blobs" -type f | sort | sed -n 1p)
printf 'garbage' > "$blob"
expect 1 "$blob" check "$repo"
expect 0 "removed 6 models" gc "$repo" --keep 0,7
expect 0 "removed 2 models" gc "$repo" --keep none
expect 0 "0 problems" check "$repo"
echo ok
