#!/usr/bin/env bash
# Every test casebridge has, as CI runs it (README's test command):
#   1. default build (RelWithDebInfo) + ctest --preset default
#   2. ASan+UBSan build (preset asan) + ctest --preset asan
#   3. libFuzzer build (preset fuzz, clang) + tests/fuzz/run_fuzzers.sh
# Stops at the first failing part and prints how long each part took.
# Environment: FUZZ_SECONDS (per fuzz target, default 60); CASEBRIDGE_PARTS
# (space-separated subset of "default asan fuzz", default all three).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

parts="${CASEBRIDGE_PARTS:-default asan fuzz}"
timings=()

step() {
  local name="$1"
  shift
  local start=$SECONDS
  echo "=== ${name}: $*"
  "$@"
  timings+=("${name}: $((SECONDS - start))s")
}

report() {
  echo "=== timings"
  local t
  for t in "${timings[@]}"; do echo "  ${t}"; done
}
trap report EXIT

for part in ${parts}; do
  case "${part}" in
    default)
      step "default configure" cmake --preset default
      step "default build" cmake --build --preset default
      step "default tests" ctest --preset default
      ;;
    asan)
      step "asan configure" cmake --preset asan
      step "asan build" cmake --build --preset asan
      step "asan tests" ctest --preset asan
      ;;
    fuzz)
      step "fuzz configure" cmake --preset fuzz
      step "fuzz build" cmake --build --preset fuzz
      step "fuzz run" tests/fuzz/run_fuzzers.sh build-fuzz
      ;;
    *)
      echo "run_all: unknown part ${part}" >&2
      exit 2
      ;;
  esac
done
