#!/usr/bin/env bash
# The installed library as a user meets it: cmake --install into a temporary
# prefix, then examples/c/ compiled against that tree alone with
# `pkg-config --cflags --libs exhaust` (shared) and `--static` (libexhaust.a),
# and run: ingest a log and predict a cell, run a short search and read its
# trace. Also find_package(exhaust) from a CMake project.
set -euo pipefail
source_dir=${EXHAUST_SOURCE:?}
bin=${EXHAUST_BIN:?}
build_dir=$(dirname "$bin")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
fail() { echo "FAIL: $*"; exit 1; }
command -v pkg-config >/dev/null || { echo "SKIP: pkg-config is not installed"; exit 77; }
if [ -n "${EXHAUST_SANITIZED:-}" ]; then # a sanitized library needs its runtime in every user
  echo "SKIP: the installed library is checked in the normal build"; exit 77
fi

cmake --install "$build_dir" --prefix "$work/prefix" > install.log || fail "cmake --install: $(cat install.log)"
export PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig"
[ -f "$PKG_CONFIG_PATH/exhaust.pc" ] || fail "no exhaust.pc under prefix/lib/pkgconfig"
[ "$(pkg-config --modversion exhaust)" = "$("$bin" --version | cut -d' ' -f2)" ] ||
  fail "exhaust.pc's version is not exhaust --version's"
[ -x "$work/prefix/bin/exhaust" ] || fail "the exhaust command is installed"

# Twelve logged NB201 cells: accuracy = 50 + 5 x (number of 3x3 convs).
for cell in 000001 000003 000033 000333 003333 033333 333333 111111 222222 444444 300000 330000; do
  n3=$(echo "$cell" | tr -cd 3 | wc -c)
  echo "{\"key\": \"c$cell\", \"space\": \"nb201\", \"arch\": \"$cell\", \"dataset\": \"toy\", \"epochs\": [{\"epoch\": 1, \"val_accuracy\": $((50 + 5 * n3))}]}"
done > cells.jsonl

cc=${CC:-cc}
for example in ingest_and_predict search_and_read_trace analyze_trace; do
  # shellcheck disable=SC2046
  $cc -std=c11 -Wall -Werror "$source_dir/examples/c/$example.c" -o "$example" \
    $(pkg-config --cflags --libs exhaust) || fail "$example against the installed library"
  # shellcheck disable=SC2046
  $cc -std=c11 -Wall -Werror "$source_dir/examples/c/$example.c" -o "$example-static" \
    $(pkg-config --cflags exhaust) "$work/prefix/lib/libexhaust.a" \
    $(pkg-config --static --libs-only-l --libs-only-L exhaust | sed 's/-lexhaust//') ||
    fail "$example against libexhaust.a"
done
export LD_LIBRARY_PATH="$work/prefix/lib"
ldd ./ingest_and_predict > ldd.txt # (grep -q on a pipe would SIGPIPE ldd under pipefail)
grep -q "$work/prefix/lib/libexhaust.so" ldd.txt || fail "linked the installed .so: $(cat ldd.txt)"
./ingest_and_predict cells.jsonl s.db toy 333330 > predict.txt || fail "ingest_and_predict: $(cat predict.txt)"
grep -q "ingested 12 runs" predict.txt || fail "ingest through the library: $(cat predict.txt)"
# 3-NN: 333333 (80%, distance 3), 033333 (75%, 6), 222222 (50%, 8), weights
# 1/3, 1/6, 1/8: (80/3 + 75/6 + 50/8) / (1/3 + 1/6 + 1/8) = 72.667.
grep -q "predicted best validation accuracy: 72.667" predict.txt || fail "prediction: $(cat predict.txt)"
./search_and_read_trace s.db toy t.csv > search.txt || fail "search: $(cat search.txt)"
grep -q "^40 evaluations, .*the trace holds 40 records" search.txt || fail "search: $(cat search.txt)"
./search_and_read_trace-static s.db toy t2.csv > search2.txt || fail "static search"
./analyze_trace t.csv report > analyze.txt || fail "analyze_trace: $(cat analyze.txt)"
grep -q "^40 records, 0 failed; the best improved [1-9][0-9]* times" analyze.txt ||
  fail "analyze_trace: $(cat analyze.txt)"
grep -q "hit rate [01]\.[0-9]" analyze.txt || fail "analyze_trace's cache line: $(cat analyze.txt)"
[ -s report/index.html ] || fail "analyze_trace wrote no report/index.html"
cmp -s <(cut -d, -f1-3 t.csv) <(cut -d, -f1-3 t2.csv) || fail "the static and shared builds differ"

# The README's C excerpt (the heart of ingest_and_predict.c) compiles and runs
# as quoted, wrapped in a main that declares what the excerpt leaves out.
awk '/^The heart of `examples\/c\/ingest_and_predict.c`/ {on = 1; next}
     on && /^```c/ {inside = 1; next}
     inside && /^```/ {exit}
     inside {print}' "$source_dir/README.md" > excerpt.inc
[ "$(wc -l < excerpt.inc)" -ge 8 ] || fail "no C excerpt found in the README"
cat > readme_example.c <<'C'
#include <stdio.h>
#include <exhaust/eval.h>
#include <exhaust/ingest.h>
int main(void)
{
    exh_error err;
    exh_ingest_stats stats;
    exh_eval_dataset *logged = NULL;
    exh_knn_repository *repository = NULL;
    exh_knn_prediction prediction;
    exh_knn_prediction_init(&prediction);
    exh_arch cell;
#include "excerpt.inc"
    exh_knn_prediction_clear(&prediction);
    exh_knn_repository_free(repository);
    exh_eval_dataset_free(logged);
    exh_store_close(store);
    return 0;
}
C
# shellcheck disable=SC2046
$cc -std=c11 -Wall -Werror readme_example.c -o readme_example $(pkg-config --cflags --libs exhaust) ||
  fail "the README's C excerpt does not compile"
./readme_example > readme.txt || fail "the README's C excerpt: $(cat readme.txt)"
grep -q "^c333333: distance 3, weight 0.533" readme.txt || fail "the README's C excerpt: $(cat readme.txt)"

if command -v cmake >/dev/null; then
  mkdir project && cat > project/CMakeLists.txt <<CMAKE
cmake_minimum_required(VERSION 3.20)
project(user C)
find_package(exhaust 0 REQUIRED)
add_executable(predict $source_dir/examples/c/ingest_and_predict.c)
target_link_libraries(predict exhaust::exhaust)
CMAKE
  cmake -S project -B project/build -DCMAKE_PREFIX_PATH="$work/prefix" > cmake.log 2>&1 ||
    fail "find_package(exhaust): $(tail -5 cmake.log)"
  cmake --build project/build > cmake.log 2>&1 || fail "build with exhaust::exhaust: $(tail -5 cmake.log)"
  project/build/predict cells.jsonl s2.db toy 333330 > cmake-predict.txt || fail "the CMake-built example"
  grep -q "72.667" cmake-predict.txt || fail "the CMake-built example: $(cat cmake-predict.txt)"
fi
echo "1 passed, 0 failed"
