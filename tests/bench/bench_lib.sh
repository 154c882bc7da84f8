# Shared by the benchmark drivers (sourced, not run): the server's life cycle
# and loadgen runs. The caller sets `tmp` (a temp dir it owns), starts the
# server with stdout in ${tmp}/stdout and sets `server_pid`, and sets
# `loadgen`.

server_pid=
address=
declare -A qps

# Stops the server and removes ${tmp}; installed as the EXIT trap.
bench_cleanup() {
  if [[ -n "${server_pid}" ]] && kill -0 "${server_pid}" 2>/dev/null; then
    kill -TERM "${server_pid}" 2>/dev/null || true
    wait "${server_pid}" 2>/dev/null || true
  fi
  rm -rf "${tmp}"
}

# Waits for the server's LISTENING line and sets `address`; exits 1 with the
# server's stderr when it does not come up.
bench_wait_for_server() {
  for _ in $(seq 1 1500); do
    if line=$(grep -m1 '^LISTENING ' "${tmp}/stdout" 2>/dev/null); then
      address=127.0.0.1:${line##*:}
      return 0
    fi
    kill -0 "${server_pid}" 2>/dev/null || break
    sleep 0.02
  done
  echo "server did not start:" >&2
  cat "${tmp}/stderr" >&2
  exit 1
}

# run LABEL ARGS... : runs the loadgen, echoes its RESULT line, stores qps.
run() {
  local label=$1
  shift
  local out
  if ! out=$("${loadgen}" --target="${address}" "$@"); then
    echo "loadgen failed for ${label}: ${out}" >&2
    exit 1
  fi
  local result
  result=$(grep '^RESULT' <<<"${out}")
  printf '%-14s %s\n' "${label}" "${result}"
  qps[${label}]=$(sed -n 's/.* qps=\([0-9.]*\).*/\1/p' <<<"${result}")
}
