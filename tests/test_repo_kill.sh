#!/usr/bin/env bash
# test_repo_kill.sh — a writer killed (SIGKILL) at 20 seeded random moments
# leaves a consistent model repository: after each kill `exhaust repo check`
# passes (every blob matches its hash, every manifest's blobs exist, the
# index equals the manifests); leftover temp files are reported, and
# `check --repair` then gc remove them.
set -euo pipefail
: "${EXHAUST_BIN:?set by CTest}" "${EXHAUST_REPO_WRITER:?set by CTest}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
repo="$work/models"
RANDOM=2024 # seeded: the same kill points every run
# Sanitizers make the writer several times slower: give it the same progress.
scale=1
[ -n "${EXHAUST_SANITIZED:-}" ] && scale=4
fail() { echo "FAIL: $*" >&2; exit 1; }

temps_seen=0 # temp files left by the kills (check without --repair keeps them)
reconciled=0
for round in $(seq 1 20); do
    "$EXHAUST_REPO_WRITER" "$repo" $((round * 100000)) 1000000 "$round" &
    pid=$!
    # 10..250 ms: from inside the first open to a few dozen models in.
    ms=$(((RANDOM % 240 + 10) * scale))
    sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
    kill -9 "$pid" 2>/dev/null || fail "round $round: the writer ended before its kill"
    wait "$pid" 2>/dev/null || true
    "$EXHAUST_BIN" repo check "$repo" > "$work/check.txt" 2>&1 ||
        { cat "$work/check.txt"; fail "round $round: check failed after the kill"; }
    grep -q ' 0 problems' "$work/check.txt" || fail "round $round: $(cat "$work/check.txt")"
    temps=$(sed -n 's/.* \([0-9]*\) temp files.*/\1/p' "$work/check.txt")
    temps_seen=$temps
    fixed=$(sed -n 's/.* \([0-9]*\) index rows.*/\1/p' "$work/check.txt")
    reconciled=$((reconciled + fixed))
done

models=$(ls "$repo/manifests" | grep -c '\.json$' || true)
[ "$models" -gt 20 ] || fail "only $models models were saved in 20 rounds"
# Every model is listed by the index and loads whole (show maps and verifies).
listed=$("$EXHAUST_BIN" repo ls "$repo" --format csv | tail -n +2 | wc -l)
[ "$listed" -eq "$models" ] || fail "ls lists $listed models, manifests/ holds $models"
last=$(ls "$repo/manifests" | sed 's/\.json$//' | sort -n | tail -1)
"$EXHAUST_BIN" repo show "$repo" "$last" > /dev/null || fail "model $last does not load"
"$EXHAUST_BIN" repo check "$repo" --repair > /dev/null
[ -z "$(ls -A "$repo/tmp")" ] || fail "check --repair left temp files"
echo "ok: 20 kills, $models models; kills left $temps_seen temp files (reported, not errors)" \
    "and $reconciled manifests ahead of the index (indexed by the next open)"
