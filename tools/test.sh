#!/usr/bin/env bash
# Runs the whole test suite: the release build in build/ (tools/bootstrap.sh makes it), then
# the same suite built with AddressSanitizer + UndefinedBehaviorSanitizer in build-asan/, then
# the libFuzzer smoke runs built with clang in build-fuzz/. Ends with one line
# "N passed, N failed" and a non-zero status if anything failed.
#   tools/test.sh            everything
#   tools/test.sh --quick    the release build only
set -uo pipefail
cd "$(dirname "$0")/.."
quick=0
[ "${1:-}" = "--quick" ] && quick=1

passed=0
failed=0
run_suite() {  # run_suite BUILDDIR [meson test args...]
  local dir=$1; shift
  local log
  log=$(mktemp)
  meson test -C "$dir" --print-errorlogs --num-processes 2 "$@" 2>&1 | tee "$log"
  local ok fail
  ok=$(sed -n 's/^Ok:[[:space:]]*\([0-9]*\).*/\1/p' "$log" | tail -1)
  fail=$(awk '/^(Fail|Unexpected Pass|Timeout):/ {n += $2} END {print n + 0}' "$log")
  if [ -z "$ok" ]; then  # meson itself failed (build error): count the suite as failed
    fail=$((fail + 1))
    ok=0
  fi
  passed=$((passed + ok))
  failed=$((failed + fail))
  rm -f "$log"
}

if ! ninja -C build; then
  echo "0 passed, 1 failed"
  exit 1
fi
run_suite build

if [ $quick = 0 ]; then
  if [ ! -f build-asan/build.ninja ]; then
    meson setup build-asan -Dsanitize=true -Dbenchmarks=disabled --buildtype=debugoptimized >/dev/null
  fi
  if ninja -C build-asan; then
    ASAN_OPTIONS=abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      run_suite build-asan --no-suite fuzz
  else
    failed=$((failed + 1))
  fi
  if [ ! -f build-fuzz/build.ninja ]; then
    CXX=clang++ CC=clang meson setup build-fuzz -Dfuzz=true -Dbenchmarks=disabled >/dev/null
  fi
  if ninja -C build-fuzz tests/fuzz/fuzz_parse tests/fuzz/fuzz_lflow; then
    run_suite build-fuzz --suite fuzz --no-rebuild
  else
    failed=$((failed + 1))
  fi
fi

echo "${passed} passed, ${failed} failed"
[ "$failed" -eq 0 ]
