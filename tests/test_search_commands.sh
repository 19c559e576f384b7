#!/usr/bin/env bash
# Training commands are processes the search owns (issue 11):
#  - an evaluation ends when its command exits, not when its output ends
#    (`sleep 5 & echo 1` with --timeout 2 is ok, not a timeout), and what it
#    left running in its process group is ended with it;
#  - SIGTERM of a search ends every running command's whole process group
#    (TERM, then KILL after the grace period for one that ignores TERM):
#    no process of the search remains, and the trace is whole;
#  - a quoted placeholder ('{arch}') is refused; usage errors name the option.
set -euo pipefail
bin=${EXHAUST_BIN:?}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
fail() { echo "FAIL: $*"; exit 1; }
# A marker no other process on the machine has in its command line: `sleep`
# under a name holding it, so the sleeping processes carry it too.
tag="exhaust-test-$$-$RANDOM"
sleeper="$work/sleep-$tag"
ln -s "$(command -v sleep)" "$sleeper"
# Processes whose command line holds the tag (shells and sleepers).
left() { pgrep -f "$tag" || true; }
common=(--space nb201 --evaluator command --population 2 --sample 1 --seed 1)

# 1. A command that backgrounds a long process and prints its quality: ok in
#    well under the timeout, and its background process ended with it.
start=$(date +%s)
"$bin" search "${common[@]}" --candidates 2 --workers 1 --timeout 2 \
  --command "$sleeper 30 & echo 1" --trace bg.csv > bg.out 2> bg.err ||
  fail "the background search failed: $(cat bg.err)"
took=$(( $(date +%s) - start ))
statuses=$(grep -v '^#' bg.csv | tail -n +2 | awk -F, '{print $(NF-2)}' | sort | uniq -c | xargs)
[ "$statuses" = "2 ok" ] || fail "statuses '$statuses' (want 2 ok): end of output is not the end"
[ "$took" -lt 10 ] || fail "took ${took}s"
sleep 0.5
[ -z "$(left)" ] || fail "a backgrounded process of an evaluation remains: $(left)"
echo "ok: the evaluation ended with its command (${took}s), its background process too"

# 2. SIGTERM while 3 commands sleep (one ignores TERM): all end, no process
#    remains, exit status 128 + 15, every trace line whole.
"$bin" search "${common[@]}" --population 3 --candidates 50 --workers 3 \
  --command "if [ {job_id} = 1 ]; then trap '' TERM; fi; $sleeper 300; echo 1" \
  --trace term.csv > term.out 2> term.err &
pid=$!
sleeping() { pgrep -f "^$sleeper" | wc -l; }
for _ in $(seq 200); do
  [ "$(sleeping)" -ge 3 ] && break
  sleep 0.1
done
[ "$(sleeping)" -ge 3 ] || fail "the 3 commands did not start: $(sleeping) sleeping"
kill -TERM "$pid"
status=0
wait "$pid" || status=$?
[ "$status" -eq 143 ] || fail "exit status $status after SIGTERM (want 143): $(cat term.err)"
[ -z "$(left)" ] || fail "processes of the search remain after SIGTERM: $(ps -o pid,pgid,args -p "$(left | xargs | tr ' ' ,)")"
grep -q "stopped by signal 15" term.err || fail "no word of the signal: $(cat term.err)"
[ -z "$(tail -c 1 term.csv)" ] || fail "the trace's last line is torn"
echo "ok: SIGTERM ended every command's process group; exit 143"

# 3. A command inherits no descriptor of the search (O_CLOEXEC): not the
#    trace, not another worker's pipe (which kept that one's output open).
#    It lists its descriptors past 2; those this script passed down are fine.
for f in /proc/$$/fd/*; do readlink "$f" || true; done | sort -u > inherited.txt
"$bin" search "${common[@]}" --population 4 --candidates 12 --workers 4 \
  --command 'for f in /proc/$$/fd/*; do [ "${f##*/}" -gt 2 ] && readlink "$f" >&2; done; echo 1' \
  --trace fds.csv > fds.out 2> fds.err || fail "fd search: $(cat fds.err)"
leaked=$(grep -v -x -F -f inherited.txt fds.err | grep -E 'pipe:|fds.csv' | sort -u || true)
[ -z "$leaked" ] || fail "a training command inherited: $leaked"
echo "ok: training commands inherit neither the trace nor other commands' pipes"

# 4. A quoted placeholder would reach the shell unquoted: refused.
if "$bin" search "${common[@]}" --candidates 2 --command "echo '{arch}'" > q.out 2> q.err; then
  fail "a quoted placeholder was accepted"
fi
grep -q "already shell-quoted" q.err || fail "quoted placeholder message: $(cat q.err)"

# 5. Usage errors exit 2 and name the option, not only its value.
usage() { # expected-text args...
  local want=$1 rc=0
  shift
  "$bin" search "$@" > u.out 2> u.err || rc=$?
  [ "$rc" -eq 2 ] || fail "'$*' exit $rc (want 2): $(cat u.err)"
  grep -q -- "$want" u.err || fail "'$*': no '$want' in: $(cat u.err)"
}
usage "--candidates" --candidates 0
usage "--candidates" --candidates=0
usage "--workers" --workers 3e9
usage "--population" --population 1e300
usage "--sample 10 is more than --population 5" --sample 10 --population 5
# An empty table file says so (the message was empty).
: > empty.csv
rc=0
"$bin" search --table empty.csv --candidates 2 > e.out 2> e.err || rc=$?
[ "$rc" -eq 1 ] || fail "empty table: exit $rc"
grep -q "empty.csv: empty file" e.err || fail "empty table message: '$(cat e.err)'"
echo "ok: quoted placeholder refused; usage errors exit 2 naming the option"
echo "1 passed, 0 failed"
