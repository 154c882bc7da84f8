#!/usr/bin/env bash
# The casebridge connector benchmark: ONE server, ONE run, concurrency 16.
# BENCH_ROUNDS rounds, each of two back-to-back loadgen steps:
#   1. Health/Check QPS (the baseline)
#   2. ExecuteConnector QPS through the plugin host to a no-op plugin
#      (.test-echo from tests/integration/plugins/test_connectors.cc)
# then the host-side cost of one plugin call through the C ABI, in ns.
# The ratio of a round compares two steps seconds apart, so drift of the
# shared machine's speed cancels out; the verdict uses the median round.
# Target: ExecuteConnector >= 0.6x Health. Exit status is 1 on errors only;
# a target miss is reported, not fatal (the numbers are noisy on shared VMs).
#
# Usage: run_connector_bench.sh [--smoke] SERVER LOADGEN ABI_BENCH PLUGIN_SO
#   --smoke: one round of 1 s steps (a ctest check that everything works).
# Env: BENCH_SECONDS (3 per step), BENCH_ROUNDS (5), BENCH_CONCURRENCY (16).
set -euo pipefail

smoke=0
if [[ "${1:-}" == --smoke ]]; then
  smoke=1
  shift
fi
if (($# != 4)); then
  sed -n '2,16p' "$0"
  exit 2
fi
server_bin=$1
# Benchmarks measure the service, not TLS: plaintext, anonymous superuser.
export CASEBRIDGE_TLS_MODE=plaintext CASEBRIDGE_AUTH_ANONYMOUS_ROLES=superuser
loadgen=$2
abi_bench=$3
plugin_so=$4

secs=${BENCH_SECONDS:-3}
rounds=${BENCH_ROUNDS:-5}
warmup=0.5
conc=${BENCH_CONCURRENCY:-16}
abi_calls=200000
if ((smoke)); then
  secs=1
  rounds=1
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
ratios=()
health_sum=0 execute_sum=0 health_cpu=0 execute_cpu=0
for ((r = 1; r <= rounds; r++)); do
  cpu_run "health#${r}" "${timed[@]}" --mode=health
  cpu_run "execute#${r}" "${timed[@]}" --mode=execute --connector-type=.test-echo --sub-action=echo
  ratios+=("$(awk -v a="${qps[execute#${r}]}" -v b="${qps[health#${r}]}" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "nan" }')")
  read -r health_sum execute_sum health_cpu execute_cpu < <(awk \
    -v hs="${health_sum}" -v es="${execute_sum}" -v hc="${health_cpu}" -v ec="${execute_cpu}" \
    -v h="${qps[health#${r}]}" -v e="${qps[execute#${r}]}" \
    -v hu="${cpu_us[health#${r}]}" -v eu="${cpu_us[execute#${r}]}" \
    'BEGIN { print hs + h, es + e, hc + hu, ec + eu }')
done
abi_line=$("${abi_bench}" "${plugin_so}" "${abi_calls}")
echo "${abi_line}"
abi_ns=$(sed -n 's/.*abi_execute_ns=\([0-9.]*\).*/\1/p' <<<"${abi_line}")

median=$(printf '%s\n' "${ratios[@]}" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) printf "%.2f", v[(NR + 1) / 2]; else printf "%.2f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
verdict=$(awk -v r="${median}" 'BEGIN { print (r >= 0.6) ? "meets" : "MISSES" }')
mean() { awk -v s="$1" -v n="${rounds}" 'BEGIN { printf "%.1f", s / n }'; }
echo
echo "== casebridge connector benchmark (concurrency ${conc}, ${rounds} rounds of ${secs} s steps$( ((smoke)) && echo ', SMOKE: numbers meaningless'))"
printf '%-36s %10s\n' "Health/Check QPS (mean)" "$(mean "${health_sum}")"
printf '%-36s %10s\n' "ExecuteConnector QPS (no-op, mean)" "$(mean "${execute_sum}")"
printf '%-36s %10s\n' "ExecuteConnector / Health by round" "${ratios[*]}"
printf '%-36s %10s  target >= 0.6  %s\n' "ExecuteConnector / Health (median)" "${median}" "${verdict}"
printf '%-36s %10s ns\n' "plugin call through the ABI (host)" "${abi_ns}"
printf '%-36s %10s us\n' "server CPU per Health/Check" "$(mean "${health_cpu}")"
printf '%-36s %10s us\n' "server CPU per ExecuteConnector" "$(mean "${execute_cpu}")"
