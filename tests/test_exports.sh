#!/usr/bin/env bash
# libexhaust exports only its public API: every dynamic symbol libexhaust.so
# defines, and every global symbol libexhaust.a defines, starts with exh_
# (symbols starting with '_' are the linker's and the compiler's: _init,
# _fini, __bss_start, _edata, _end, sanitizer hooks).
set -euo pipefail
lib=${EXHAUST_LIB:-}
if [ -z "$lib" ]; then
  lib=$(dirname "${EXHAUST_BIN:?}")/libexhaust.so
fi
static=${EXHAUST_STATIC_LIB:-$(dirname "$lib")/libexhaust.a}
command -v nm >/dev/null || { echo "SKIP: nm not found"; exit 77; }
[ -f "$lib" ] || { echo "FAIL: $lib not found"; exit 1; }
fail=0

syms=$(nm -D --defined-only "$lib" | awk 'NF >= 3 { print $3 }' | sed 's/@.*//' | sort -u)
count=$(printf '%s\n' "$syms" | grep -c '^exh_' || true)
bad=$(printf '%s\n' "$syms" | grep -v -e '^exh_' -e '^_' -e '^$' || true)
if [ -n "$bad" ]; then
  echo "FAIL: $(printf '%s\n' "$bad" | wc -l) symbols of $(basename "$lib") without the exh_ prefix:"
  printf '%s\n' "$bad" | head -50
  fail=1
fi
if [ "$count" -eq 0 ]; then
  echo "FAIL: $(basename "$lib") exports no exh_ symbol"; fail=1
fi
soname=$(objdump -p "$lib" 2>/dev/null | awk '$1 == "SONAME" { print $2 }')
case "$soname" in
  libexhaust.so.[0-9]*) ;;
  *) echo "FAIL: soname is '$soname', expected libexhaust.so.<major>"; fail=1 ;;
esac
echo "$(basename "$lib") ($soname): $count exh_ symbols exported"

if [ -f "$static" ]; then
  sbad=$(nm -g --defined-only "$static" | awk 'NF >= 3 { print $3 }' | grep -v -e '^exh_' -e '^_' | sort -u || true)
  if [ -n "$sbad" ]; then
    echo "FAIL: $(printf '%s\n' "$sbad" | wc -l) global symbols of $(basename "$static") without the exh_ prefix:"
    printf '%s\n' "$sbad" | head -50
    fail=1
  else
    echo "$(basename "$static"): every global symbol starts with exh_"
  fi
fi
[ "$fail" -eq 0 ] && echo "1 passed, 0 failed"
exit "$fail"
