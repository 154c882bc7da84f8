#!/usr/bin/env bash
# Runs every libFuzzer target of a fuzz build (cmake --preset fuzz &&
# cmake --build --preset fuzz) for a bounded time each, starting from the
# seed corpus in tests/fuzz/corpus/<target>/. Fails (exit 1) when a target
# crashes, trips ASan/UBSan, fails one of its checks, times out on an input
# or runs out of memory; the reproducer is left in $FUZZ_ARTIFACTS.
#
# Usage: tests/fuzz/run_fuzzers.sh [BUILD_DIR] [TARGET...]
# Environment:
#   FUZZ_SECONDS    seconds per target (default 60)
#   FUZZ_ARTIFACTS  where crash reproducers and logs go
#                   (default BUILD_DIR/fuzz-artifacts)
# Text seeds (*.txtpb) are encoded with protoc first; the corpus the run
# grows stays in the artifacts directory, never in the source tree.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${1:-${repo}/build-fuzz}"
shift || true
targets=("$@")
if ((${#targets[@]} == 0)); then
  targets=(case_requests_fuzzer plugin_output_fuzzer plugin_schema_fuzzer)
fi
seconds="${FUZZ_SECONDS:-60}"
artifacts="${FUZZ_ARTIFACTS:-${build}/fuzz-artifacts}"
mkdir -p "${artifacts}"

# Leaks are checked per input too (-detect_leaks=1 is libFuzzer's default).
export ASAN_OPTIONS="${ASAN_OPTIONS:-halt_on_error=1:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"

failed=()
for target in "${targets[@]}"; do
  binary="${build}/tests/fuzz/${target}"
  if [[ ! -x "${binary}" ]]; then
    echo "run_fuzzers: ${binary} is missing (build with: cmake --build --preset fuzz)" >&2
    exit 2
  fi
  seeds="${repo}/tests/fuzz/corpus/${target}"
  corpus="${artifacts}/${target}/corpus"
  crashes="${artifacts}/${target}/crashes"
  rm -rf "${corpus}"
  mkdir -p "${corpus}" "${crashes}"
  for seed in "${seeds}"/*; do
    name="$(basename "${seed}")"
    if [[ "${seed}" == *.txtpb ]]; then
      protoc -I "${repo}/tests/fuzz" -I "${repo}/proto" \
        --encode=casebridge.fuzz.FuzzCaseRequest \
        "${repo}/tests/fuzz/fuzz_requests.proto" \
        < "${seed}" > "${corpus}/${name%.txtpb}"
    else
      cp "${seed}" "${corpus}/${name}"
    fi
  done

  log="${artifacts}/${target}/fuzz.log"
  echo "run_fuzzers: ${target} for ${seconds}s (log: ${log})"
  start=$(date +%s)
  if "${binary}" -max_total_time="${seconds}" -timeout=25 -rss_limit_mb=2560 \
      -max_len=8192 -print_final_stats=1 -artifact_prefix="${crashes}/" \
      "${corpus}" > "${log}" 2>&1; then
    echo "run_fuzzers: ${target} OK after $(($(date +%s) - start))s:" \
      "$(grep -E '^stat::number_of_executed_units' "${log}" | awk '{print $2}') runs," \
      "$(ls "${corpus}" | wc -l) corpus entries"
  else
    echo "run_fuzzers: ${target} FAILED; reproducer(s):" >&2
    ls -1 "${crashes}" >&2 || true
    grep -E -A30 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|fuzz check failed' \
      "${log}" | head -80 >&2 || tail -50 "${log}" >&2
    failed+=("${target}")
  fi
done

if ((${#failed[@]} > 0)); then
  echo "run_fuzzers: failed: ${failed[*]}" >&2
  exit 1
fi
echo "run_fuzzers: all ${#targets[@]} targets ran ${seconds}s each without a finding"
