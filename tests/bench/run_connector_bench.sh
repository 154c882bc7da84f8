#!/usr/bin/env bash
# The casebridge connector benchmark: ONE server, ONE run, concurrency 16.
#   1. Health/Check QPS (the baseline)
#   2. ExecuteConnector QPS through the plugin host to a no-op plugin
#      (.test-echo from tests/integration/plugins/test_connectors.cc)
#   3. Health/Check QPS again (to show the drift of the baseline)
#   4. the host-side cost of one plugin call through the C ABI, in ns
# Target: ExecuteConnector >= 0.6x Health. Exit status is 1 on errors only;
# a target miss is reported, not fatal (the numbers are noisy on shared VMs).
#
# Usage: run_connector_bench.sh [--smoke] SERVER LOADGEN ABI_BENCH PLUGIN_SO
#   --smoke: 1 s runs (a ctest check that everything works).
# Env: BENCH_SECONDS (5), BENCH_CONCURRENCY (16).
set -euo pipefail

smoke=0
if [[ "${1:-}" == --smoke ]]; then
  smoke=1
  shift
fi
if (($# != 4)); then
  sed -n '2,13p' "$0"
  exit 2
fi
server_bin=$1
# Benchmarks measure the service, not TLS: plaintext, anonymous superuser.
export CASEBRIDGE_TLS_MODE=plaintext CASEBRIDGE_AUTH_ANONYMOUS_ROLES=superuser
loadgen=$2
abi_bench=$3
plugin_so=$4

secs=${BENCH_SECONDS:-5}
warmup=0.5
conc=${BENCH_CONCURRENCY:-16}
abi_calls=200000
if ((smoke)); then
  secs=1
  warmup=0.2
  abi_calls=2000
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/casebridge-cbench.XXXXXX")
source "$(dirname "${BASH_SOURCE[0]}")/bench_lib.sh"
trap bench_cleanup EXIT

mkdir -p "${tmp}/plugins"
cp "${plugin_so}" "${tmp}/plugins/"
# A throwaway key: the benchmark's connector has no secrets worth keeping.
CASEBRIDGE_ENCRYPTION_KEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n') \
  "${server_bin}" --listen 127.0.0.1:0 --data-dir "${tmp}/data" --plugin-dir "${tmp}/plugins" \
  --log-level warn >"${tmp}/stdout" 2>"${tmp}/stderr" </dev/null &
server_pid=$!
bench_wait_for_server

# Server CPU (user + sys) per call of one loadgen run, in microseconds: the
# CPU the server burnt during the whole run (warm-up included) over the calls
# of the whole run (the measured calls scaled by (seconds + warm-up) / seconds).
# Less sensitive to other load on the machine than QPS.
declare -A cpu_us
server_cpu_ticks() {
  awk '{ print $14 + $15 }' "/proc/${server_pid}/stat"
}
cpu_run() {
  local label=$1
  shift
  local before after
  before=$(server_cpu_ticks)
  run "${label}" "$@"
  after=$(server_cpu_ticks)
  cpu_us[${label}]=$(awk -v t="$((after - before))" -v hz="$(getconf CLK_TCK)" \
    -v q="${qps[${label}]}" -v s="${secs}" -v w="${warmup}" \
    'BEGIN { n = q * (s + w); if (n > 0) printf "%.1f", t * 1e6 / hz / n; else print "nan" }')
}

timed=(--concurrency="${conc}" --seconds="${secs}" --warmup="${warmup}")
cpu_run health "${timed[@]}" --mode=health
cpu_run execute "${timed[@]}" --mode=execute --connector-type=.test-echo --sub-action=echo
cpu_run health_end "${timed[@]}" --mode=health
abi_line=$("${abi_bench}" "${plugin_so}" "${abi_calls}")
echo "${abi_line}"
abi_ns=$(sed -n 's/.*abi_execute_ns=\([0-9.]*\).*/\1/p' <<<"${abi_line}")

ratio=$(awk -v a="${qps[execute]}" -v b="${qps[health]}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "nan" }')
verdict=$(awk -v r="${ratio}" 'BEGIN { print (r >= 0.6) ? "meets" : "MISSES" }')
echo
echo "== casebridge connector benchmark (concurrency ${conc}, ${secs} s per run$( ((smoke)) && echo ', SMOKE: numbers meaningless'))"
printf '%-36s %10s\n' "Health/Check QPS (baseline)" "${qps[health]}"
printf '%-36s %10s\n' "Health/Check QPS (at the end)" "${qps[health_end]}"
printf '%-36s %10s\n' "ExecuteConnector QPS (no-op plugin)" "${qps[execute]}"
printf '%-36s %10s  target >= 0.6  %s\n' "ExecuteConnector / Health" "${ratio}" "${verdict}"
printf '%-36s %10s ns\n' "plugin call through the ABI (host)" "${abi_ns}"
printf '%-36s %10s us\n' "server CPU per Health/Check" "${cpu_us[health]}"
printf '%-36s %10s us\n' "server CPU per ExecuteConnector" "${cpu_us[execute]}"
