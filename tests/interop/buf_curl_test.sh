#!/usr/bin/env bash
# Interop: buf curl (gRPC protocol, plaintext h2c) through server reflection.
# Lists services and methods, calls grpc.health.v1.Health/Check, and creates
# and reads back a case with JSON bodies.
#
# Usage: buf_curl_test.sh SERVER_BINARY BUF_BINARY
set -euo pipefail

server_bin=$1
buf=$2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/casebridge-bufcurl.XXXXXX")
server_pid=
cleanup() {
  if [[ -n "${server_pid}" ]] && kill -0 "${server_pid}" 2>/dev/null; then
    kill -TERM "${server_pid}" 2>/dev/null || true
    wait "${server_pid}" 2>/dev/null || true
  fi
  rm -rf "${tmp}"
}
trap cleanup EXIT

failures=0
check() {  # check DESCRIPTION COMMAND...
  local what=$1
  shift
  if "$@"; then
    echo "ok   ${what}"
  else
    echo "FAIL ${what}"
    failures=$((failures + 1))
  fi
}

# Plain command, not a subshell, so $! is the server itself.
"${server_bin}" --listen 127.0.0.1:0 --data-dir "${tmp}/data" >"${tmp}/stdout" 2>"${tmp}/stderr" </dev/null &
server_pid=$!
address=
for _ in $(seq 1 1500); do
  if line=$(grep -m1 '^LISTENING ' "${tmp}/stdout" 2>/dev/null); then
    address=${line#LISTENING }
    break
  fi
  kill -0 "${server_pid}" 2>/dev/null || break
  sleep 0.02
done
if [[ -z "${address}" ]]; then
  echo "server did not start:"
  cat "${tmp}/stderr"
  exit 1
fi
url="http://127.0.0.1:${address##*:}"

bcurl() { "${buf}" curl --protocol grpc --http2-prior-knowledge "$@"; }

services=$(bcurl --list-services "${url}")
echo "${services}"
for s in grpc.health.v1.Health casebridge.v1.CaseService casebridge.v1.ConnectorService; do
  check "reflection lists ${s}" grep -qx "${s}" <<<"${services}"
done

methods=$(bcurl --list-methods "${url}")
for m in grpc.health.v1.Health/Check casebridge.v1.CaseService/CreateCase \
  casebridge.v1.CaseService/FindCaseActivity casebridge.v1.ConnectorService/ExecuteConnector; do
  check "reflection lists method ${m}" grep -qx "${m}" <<<"${methods}"
done

health=$(bcurl "${url}/grpc.health.v1.Health/Check" -d '{}')
check "Health/Check is SERVING" test "$(jq -r .status <<<"${health}")" = SERVING
health=$(bcurl "${url}/grpc.health.v1.Health/Check" -d '{"service":"casebridge.v1.CaseService"}')
check "Health/Check CaseService is SERVING" test "$(jq -r .status <<<"${health}")" = SERVING

created=$(bcurl "${url}/casebridge.v1.CaseService/CreateCase" \
  -d '{"title":"From buf curl","description":"JSON over gRPC","tags":["buf"],"owner":"bufcurl","severity":"CASE_SEVERITY_MEDIUM"}' \
  || true)
echo "${created}"
id=$(jq -r '.case.id // empty' <<<"${created}" 2>/dev/null || true)
check "CreateCase returns an id" test -n "${id}"
check "CreateCase keeps the severity" test "$(jq -r .case.severity <<<"${created}" 2>/dev/null)" = CASE_SEVERITY_MEDIUM

if [[ -n "${id}" ]]; then
  got=$(bcurl "${url}/casebridge.v1.CaseService/GetCase" -d "{\"id\":\"${id}\"}" || true)
  check "GetCase reads the title back" test "$(jq -r .case.title <<<"${got}" 2>/dev/null)" = "From buf curl"
  check "GetCase status is open" test "$(jq -r .case.status <<<"${got}" 2>/dev/null)" = CASE_STATUS_OPEN
fi

# An invalid request: buf curl exits non-zero and prints the gRPC code.
if err=$(bcurl "${url}/casebridge.v1.CaseService/CreateCase" -d '{"title":"","description":"d","owner":"bufcurl"}' 2>&1); then
  check "empty title is rejected" false
else
  check "empty title is invalid_argument" grep -q invalid_argument <<<"${err}"
fi

# SIGTERM: the server must exit 0 with no sanitizer report on stderr.
kill -TERM "${server_pid}"
code=0
wait "${server_pid}" || code=$?
server_pid=
check "server exits 0 on SIGTERM (got ${code})" test "${code}" -eq 0
if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|: runtime error: |SUMMARY: UndefinedBehaviorSanitizer' "${tmp}/stderr"; then
  check "no sanitizer report in server stderr" false
  head -c 6000 "${tmp}/stderr"
else
  check "no sanitizer report in server stderr" true
fi

if ((failures > 0)); then
  echo "${failures} check(s) failed"
  exit 1
fi
echo "buf curl interop: all checks passed"
