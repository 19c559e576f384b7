#!/usr/bin/env bash
# An MPI search: rank 0 coordinates, the other ranks evaluate. Checks that
# every evaluation is in the trace once and that every worker rank worked.
set -euo pipefail
bin=${EXHAUST_BIN:?}
if ! command -v mpirun >/dev/null 2>&1; then
  echo "SKIP: mpirun not found (install openmpi-bin)"; exit 77
fi
# Not `--help | grep -q`: grep stops at the first match, exhaust gets SIGPIPE,
# and pipefail would read that as "no --mpi".
if ! "$bin" search --help 2>&1 | grep -c -- "--mpi" >/dev/null; then
  echo "SKIP: exhaust has no --mpi"; exit 77
fi
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 # Open MPI's own allocations
command='echo {arch_seq} | awk -F, "{s=0; for(i=1;i<=NF;i++) s+=\$i; print s}"'
if ! mpirun --oversubscribe -np 4 "$bin" search --mpi --space nb201 --evaluator command \
       --command "$command" --population 20 --candidates 120 --seed 3 --trace trace.csv > out.txt 2> err.txt; then
  if grep -q "built without MPI" err.txt; then echo "SKIP: exhaust built without MPI"; exit 77; fi
  cat err.txt; echo "FAIL: mpirun failed"; exit 1
fi
cat out.txt
records=$(grep -v '^#' trace.csv | tail -n +2 | wc -l)
ids=$(grep -v '^#' trace.csv | tail -n +2 | cut -d, -f1 | sort -u | wc -l)
workers=$(grep -v '^#' trace.csv | tail -n +2 | sed 's/"[^"]*"//' | cut -d, -f7 | sort -u | tr '\n' ' ')
echo "trace: $records records, $ids job ids, worker ranks: $workers"
[ "$records" -eq 120 ] && [ "$ids" -eq 120 ] || { echo "FAIL: expected 120 distinct evaluations"; exit 1; }
[ "$workers" = "1 2 3 " ] || { echo "FAIL: expected ranks 1, 2 and 3 to evaluate"; exit 1; }
grep -q "with 3 workers" out.txt || { echo "FAIL: the summary should count 3 workers"; exit 1; }
python3 "$here/trace_check.py" trace.csv 20
echo "1 passed, 0 failed"
