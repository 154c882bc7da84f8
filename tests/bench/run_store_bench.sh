#!/usr/bin/env bash
# Store benchmark: CreateCase and GetCase QPS on SQLite vs PostgreSQL in one
# run, and PostgreSQL with two server replicas on one database (two loadgens,
# one per replica, half the concurrency each; QPS summed).
#   1. SQLite:      health, get, create
#   2. PostgreSQL:  health, get, create  (a throwaway cluster, fsync off,
#                   unix socket; see tests/pg/pg_cluster.sh)
#   3. PostgreSQL, 2 replicas: get, create
# Exit status is 1 on RPC errors only; numbers are reported, not judged.
#
# Usage: run_store_bench.sh [--smoke] SERVER_BINARY LOADGEN_BINARY
# Env: BENCH_SECONDS (3), BENCH_CONCURRENCY (16).
set -euo pipefail

smoke=0
if [[ "${1:-}" == --smoke ]]; then
  smoke=1
  shift
fi
if (($# != 2)); then
  sed -n '2,12p' "$0"
  exit 2
fi
server_bin=$1
# Benchmarks measure the service, not TLS: plaintext, anonymous superuser.
export CASEBRIDGE_TLS_MODE=plaintext CASEBRIDGE_AUTH_ANONYMOUS_ROLES=superuser
loadgen=$2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
secs=${BENCH_SECONDS:-3}
warmup=0.5
conc=${BENCH_CONCURRENCY:-16}
if ((smoke)); then
  secs=1
  warmup=0.2
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/casebridge-sbench.XXXXXX")
source "${here}/bench_lib.sh"
extra_pids=()
pg_state=${tmp}/pg
cleanup() {
  for p in "${extra_pids[@]}"; do kill -TERM "${p}" 2>/dev/null || true; wait "${p}" 2>/dev/null || true; done
  [[ -f "${pg_state}/cluster" ]] && bash "${here}/../pg/pg_cluster.sh" stop "${pg_state}" || true
  bench_cleanup
}
trap cleanup EXIT

stop_server() {
  kill -TERM "${server_pid}" 2>/dev/null || true
  wait "${server_pid}" 2>/dev/null || true
  server_pid=
}

# start_server NAME [ENV...]: starts a server (stdout in ${tmp}/stdout) and
# waits for it; sets server_pid and address.
start_server() {
  local name=$1
  shift
  mkdir -p "${tmp}/${name}"
  env "$@" "${server_bin}" --listen 127.0.0.1:0 --data-dir "${tmp}/${name}" \
    --log-level warn >"${tmp}/stdout" 2>"${tmp}/stderr" </dev/null &
  server_pid=$!
  bench_wait_for_server
}

timed=(--concurrency="${conc}" --seconds="${secs}" --warmup="${warmup}")

echo "== SQLite"
start_server sqlite CASEBRIDGE_STORE=sqlite
run sqlite_health "${timed[@]}" --mode=health
run sqlite_get "${timed[@]}" --mode=get --owner=bench-get
run sqlite_create "${timed[@]}" --mode=create --owner=bench-create
stop_server

echo "== PostgreSQL"
admin_dsn=$(bash "${here}/../pg/pg_cluster.sh" start "${pg_state}")
psql "${admin_dsn}" -qc "CREATE DATABASE casebridge_bench" >/dev/null
dsn="${admin_dsn% dbname=*} dbname=casebridge_bench"
pg_env=(CASEBRIDGE_STORE=postgres "CASEBRIDGE_POSTGRES_DSN=${dsn}")
start_server pg1 "${pg_env[@]}"
run pg_health "${timed[@]}" --mode=health
run pg_get "${timed[@]}" --mode=get --owner=bench-get
run pg_create "${timed[@]}" --mode=create --owner=bench-create
first_pid=${server_pid}
first_address=${address}

echo "== PostgreSQL, two replicas on one database"
cp "${tmp}/stdout" "${tmp}/stdout.pg1"
start_server pg2 "${pg_env[@]}"
second_address=${address}
extra_pids+=("${server_pid}")
server_pid=${first_pid}
half=$(( (conc + 1) / 2 ))
two() {  # two LABEL ARGS...: one loadgen per replica at once, QPS summed
  local label=$1
  shift
  "${loadgen}" --target="${first_address}" "$@" >"${tmp}/lg1" &
  local p1=$!
  "${loadgen}" --target="${second_address}" "$@" >"${tmp}/lg2" &
  local p2=$!
  wait "${p1}" || { cat "${tmp}/lg1" >&2; exit 1; }
  wait "${p2}" || { cat "${tmp}/lg2" >&2; exit 1; }
  local a b
  a=$(sed -n 's/^RESULT.* qps=\([0-9.]*\).*/\1/p' "${tmp}/lg1")
  b=$(sed -n 's/^RESULT.* qps=\([0-9.]*\).*/\1/p' "${tmp}/lg2")
  qps[${label}]=$(awk -v a="${a}" -v b="${b}" 'BEGIN { printf "%.1f", a + b }')
  printf '%-14s replica1 qps=%s replica2 qps=%s total=%s\n' "${label}" "${a}" "${b}" "${qps[${label}]}"
}
two pg2_get --concurrency="${half}" --seconds="${secs}" --warmup="${warmup}" --mode=get --owner=bench-get2
two pg2_create --concurrency="${half}" --seconds="${secs}" --warmup="${warmup}" --mode=create --owner=bench-create2

echo
echo "== store benchmark (concurrency ${conc}, ${secs} s per run$( ((smoke)) && echo ', SMOKE: numbers meaningless'))"
printf '%-30s %10s %10s %12s\n' "" "SQLite" "PostgreSQL" "PG 2 replicas"
printf '%-30s %10s %10s %12s\n' "Health/Check QPS" "${qps[sqlite_health]}" "${qps[pg_health]}" "-"
printf '%-30s %10s %10s %12s\n' "GetCase QPS" "${qps[sqlite_get]}" "${qps[pg_get]}" "${qps[pg2_get]}"
printf '%-30s %10s %10s %12s\n' "CreateCase QPS" "${qps[sqlite_create]}" "${qps[pg_create]}" "${qps[pg2_create]}"
