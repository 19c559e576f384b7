#!/usr/bin/env bash
# Run every fuzz target in BUILD_DIR for SECONDS each, starting from the seeds
# in fuzz/corpus/<target>/ plus small slices of the real data when it is
# present. New inputs go to a temporary corpus; the repository is not touched.
# Fails when a target finds a crash or any sanitizer report: the targets are
# built with -fno-sanitize-recover=all, and halt_on_error makes sure a UBSan
# report ends the run (by default UBSan prints and goes on, and the run passed).
set -euo pipefail
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
build=$(cd "${1:?usage: fuzz/run.sh BUILD_DIR SECONDS}" && pwd)
seconds=${2:-10}
here=$(cd "$(dirname "$0")" && pwd)
data=${EXHAUST_DATA:-$here/../../shared/data}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

seed_from_data() { # target corpus_dir
  [ -d "$data" ] || return 0
  case $1 in
    fuzz_ingest_nb201) head -c 3000 "$data/nb201/archs.csv" > "$2/real-head" ;;
    fuzz_ingest_nb201_epochs) head -c 3000 "$data/nb201/nats-3cells-epochs.csv" > "$2/real-head" ;;
    fuzz_ingest_tfevents)
      find "$data/tfevents" -path '*validation*' -name 'events.out.tfevents.*' |
        head -n 2 | while read -r f; do head -c 4000 "$f" > "$2/real-$(basename "$(dirname "$(dirname "$f")")")"; done ;;
    fuzz_ingest_nlp) { head -c 2000 "$data/nas-bench-nlp/runs.csv"; printf '\0';
        head -c 2000 "$data/nas-bench-nlp/epochs.csv"; } > "$2/real-head" ;;
    fuzz_space_parse) cut -d, -f2 "$data/nb201/archs.csv" | sed -n '2,20p' |
        while read -r a; do printf '\x00%s' "$a" > "$2/nb201-$RANDOM"; done ;;
  esac
}

status=0
for target in "$build"/fuzz_*; do
  [ -x "$target" ] || continue
  name=$(basename "$target")
  corpus=$work/$name
  mkdir -p "$corpus"
  [ -d "$here/corpus/$name" ] && cp "$here/corpus/$name"/* "$corpus"/ 2>/dev/null || true
  seed_from_data "$name" "$corpus"
  echo "fuzz: $name for ${seconds}s"
  if ! (cd "$work" && "$target" -max_total_time="$seconds" -rss_limit_mb=2048 \
          -max_len=65536 -print_final_stats=0 "$corpus" > "$work/$name.log" 2>&1); then
    echo "fuzz: $name FAILED"; tail -n 40 "$work/$name.log"; status=1
  else
    grep -E '^#[0-9]+.*DONE' "$work/$name.log" | tail -n 1 || true
  fi
done
exit $status
