#!/usr/bin/env bash
# The casebridge case benchmark: ONE server, ONE run, concurrency 16.
#   1. Health/Check QPS (the baseline)
#   2. seed 10k cases; GetCase QPS; FindCases QPS over 10k (20 per page,
#      status + tag filter)
#   3. CreateCase QPS (into another owner, so the FindCases owner keeps its size)
#   4. seed up to 100k cases; FindCases QPS over 100k
#   5. ratios against the targets and the server's peak RSS (VmHWM)
# Targets: GetCase >= 0.7x Health, CreateCase >= 0.4x, FindCases >= 0.2x,
# FindCases@100k >= 0.8x FindCases@10k. Exit status is 1 on RPC errors only;
# target misses are reported, not fatal (the numbers are noisy on shared VMs).
#
# Usage: run_case_bench.sh [--smoke] SERVER_BINARY LOADGEN_BINARY
#   --smoke: tiny seeds and 1 s runs (a ctest check that everything works).
# Env: BENCH_SECONDS (5), BENCH_CONCURRENCY (16), BENCH_SMALL (10000),
#      BENCH_LARGE (100000), BENCH_SEED_CONCURRENCY (64), BENCH_DATA_DIR (temp).
set -euo pipefail

smoke=0
if [[ "${1:-}" == --smoke ]]; then
  smoke=1
  shift
fi
if (($# != 2)); then
  sed -n '2,16p' "$0"
  exit 2
fi
server_bin=$1
# Benchmarks measure the service, not TLS: plaintext, anonymous superuser.
export CASEBRIDGE_TLS_MODE=plaintext CASEBRIDGE_AUTH_ANONYMOUS_ROLES=superuser
loadgen=$2

secs=${BENCH_SECONDS:-5}
warmup=0.5
conc=${BENCH_CONCURRENCY:-16}
small=${BENCH_SMALL:-10000}
large=${BENCH_LARGE:-100000}
seed_conc=${BENCH_SEED_CONCURRENCY:-64}
if ((smoke)); then
  secs=1
  warmup=0.2
  small=200
  large=400
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/casebridge-bench.XXXXXX")
data_dir=${BENCH_DATA_DIR:-${tmp}/data}
source "$(dirname "${BASH_SOURCE[0]}")/bench_lib.sh"
trap bench_cleanup EXIT

# Plain command (not a subshell) so $! is the server.
"${server_bin}" --listen 127.0.0.1:0 --data-dir "${data_dir}" --log-level warn \
  >"${tmp}/stdout" 2>"${tmp}/stderr" </dev/null &
server_pid=$!
bench_wait_for_server
echo "server pid ${server_pid} on ${address}; data dir ${data_dir}"

timed=(--concurrency="${conc}" --seconds="${secs}" --warmup="${warmup}")
seed() {  # seed COUNT
  local t0 t1
  t0=$(date +%s.%N)
  run "seed+$1" --mode=seed --count="$1" --concurrency="${seed_conc}" --owner=bench
  t1=$(date +%s.%N)
  awk -v a="${t0}" -v b="${t1}" -v n="$1" 'BEGIN { printf "  seeded %d cases in %.1f s\n", n, b - a }'
}

# Server CPU (user+sys) per call of a timed run: steadier than QPS on a
# shared machine. Approximate: the CPU of the whole loadgen run (warm-up
# included) over qps * (seconds + warm-up).
declare -A cpu_us
ticks=$(getconf CLK_TCK)
server_cpu() { awk '{ print $14 + $15 }' "/proc/${server_pid}/stat"; }
measure() {  # measure LABEL ARGS... : run + server CPU per call
  local label=$1 c0 c1
  c0=$(server_cpu)
  run "$@"
  c1=$(server_cpu)
  cpu_us[${label}]=$(awk -v a="${c0}" -v b="${c1}" -v t="${ticks}" -v q="${qps[${label}]}" \
    -v s="${secs}" -v w="${warmup}" 'BEGIN { n = q * (s + w); if (n > 0) printf "%.0f", (b - a) / t / n * 1e6; else print "nan" }')
}

measure health "${timed[@]}" --mode=health
seed "${small}"
measure get "${timed[@]}" --mode=get --owner=bench-get
measure find_small "${timed[@]}" --mode=find --owner=bench
measure create "${timed[@]}" --mode=create --owner=bench-create
seed $((large - small))
measure find_large "${timed[@]}" --mode=find --owner=bench
measure health_end "${timed[@]}" --mode=health

rss_kb=$(awk '/^VmHWM:/ { print $2 }' "/proc/${server_pid}/status")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "nan" }'; }
verdict() { awk -v r="$1" -v t="$2" 'BEGIN { print (r >= t) ? "meets" : "MISSES" }'; }

echo
echo "== casebridge case benchmark (concurrency ${conc}, ${secs} s per run$( ((smoke)) && echo ', SMOKE: numbers meaningless'))"
printf '%-34s %10s  server CPU/call %s us\n' "Health/Check QPS (baseline)" "${qps[health]}" "${cpu_us[health]}"
printf '%-34s %10s  server CPU/call %s us\n' "Health/Check QPS (at the end)" "${qps[health_end]}" "${cpu_us[health_end]}"
printf '%-34s %10s  server CPU/call %s us\n' "GetCase QPS" "${qps[get]}" "${cpu_us[get]}"
printf '%-34s %10s  server CPU/call %s us\n' "CreateCase QPS" "${qps[create]}" "${cpu_us[create]}"
printf '%-34s %10s  server CPU/call %s us\n' "FindCases QPS @${small}" "${qps[find_small]}" "${cpu_us[find_small]}"
printf '%-34s %10s  server CPU/call %s us\n' "FindCases QPS @${large}" "${qps[find_large]}" "${cpu_us[find_large]}"
r_get=$(ratio "${qps[get]}" "${qps[health]}")
r_create=$(ratio "${qps[create]}" "${qps[health]}")
r_find=$(ratio "${qps[find_small]}" "${qps[health]}")
r_scale=$(ratio "${qps[find_large]}" "${qps[find_small]}")
printf '%-34s %10s  target >= 0.7  %s\n' "GetCase / Health" "${r_get}" "$(verdict "${r_get}" 0.7)"
printf '%-34s %10s  target >= 0.4  %s\n' "CreateCase / Health" "${r_create}" "$(verdict "${r_create}" 0.4)"
printf '%-34s %10s  target >= 0.2  %s\n' "FindCases@${small} / Health" "${r_find}" "$(verdict "${r_find}" 0.2)"
printf '%-34s %10s  target >= 0.8  %s\n' "FindCases@${large} / @${small}" "${r_scale}" "$(verdict "${r_scale}" 0.8)"
printf '%-34s %10s kB (%s MB)\n' "server peak RSS (VmHWM)" "${rss_kb}" "$((rss_kb / 1024))"
