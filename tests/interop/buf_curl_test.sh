#!/usr/bin/env bash
# Interop: buf curl (gRPC protocol, plaintext h2c) through server reflection.
# Lists services and methods, calls grpc.health.v1.Health/Check, and creates
# and reads back a case with JSON bodies. Then the shared interop scenario:
# a Jira connector at the strict fake Jira process
# (tests/fakes/fake_jira_server), a case, a comment, PushCase, FindCases and
# GetCase with the external service, and the fake's side checked.
#
# Usage: buf_curl_test.sh SERVER_BINARY BUF_BINARY PLUGIN_DIR FAKE_JIRA_BINARY
set -euo pipefail

server_bin=$1
buf=$2
plugin_dir=$3
fake_bin=$4
tmp=$(mktemp -d "${TMPDIR:-/tmp}/casebridge-bufcurl.XXXXXX")
server_pid=
fake_pid=
cleanup() {
  if [[ -n "${fake_pid}" ]]; then kill "${fake_pid}" 2>/dev/null || true; fi
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

# The fake Jira listens on loopback, which the egress policy refuses by
# default.
printf 'plugin_dirs: ["%s"]\nhttp:\n  allow_private_addresses: true\n' "${plugin_dir}" >"${tmp}/casebridge.yaml"
# Plain command, not a subshell, so $! is the server itself.
CASEBRIDGE_ENCRYPTION_KEY=interop-test-key-0123456789abcdef0123456789 \
  "${server_bin}" --config "${tmp}/casebridge.yaml" --listen 127.0.0.1:0 --data-dir "${tmp}/data" \
  >"${tmp}/stdout" 2>"${tmp}/stderr" </dev/null &
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

# --- The push scenario.
coproc FAKE { exec "${fake_bin}"; }
fake_pid=${FAKE_PID}
read -r -t 30 fake_line <&"${FAKE[0]}"
fake_url=${fake_line#LISTENING }
check "fake Jira started" test "${fake_line}" != "${fake_url}"

connector=$(bcurl "${url}/casebridge.v1.ConnectorService/CreateConnector" -d "{
  \"connector_type_id\": \".jira\", \"name\": \"Interop Jira\",
  \"config\": {\"apiUrl\": \"${fake_url}\", \"projectKey\": \"CK\"},
  \"secrets\": {\"email\": \"jira-bot@example.com\", \"apiToken\": \"jira-api-token\"}}" || true)
connector_id=$(jq -r '.connector.id // empty' <<<"${connector}" 2>/dev/null || true)
check "CreateConnector returns an id" test -n "${connector_id}"
check "the secret is not echoed back" bash -c '! grep -q jira-api-token <<<"$1"' _ "${connector}"

pushed_case=$(bcurl "${url}/casebridge.v1.CaseService/CreateCase" \
  -d '{"title":"Interop push from buf","description":"pushed to the fake Jira","owner":"securitySolution"}' || true)
case_id=$(jq -r '.case.id // empty' <<<"${pushed_case}" 2>/dev/null || true)
check "CreateCase for the push returns an id" test -n "${case_id}"
bcurl "${url}/casebridge.v1.CaseService/AddComment" \
  -d "{\"case_id\": \"${case_id}\", \"attachment\": {\"user\": {\"comment\": \"buf comment for Jira\"}}}" >/dev/null || true

pushed=$(bcurl "${url}/casebridge.v1.CaseService/PushCase" \
  -d "{\"case_id\": \"${case_id}\", \"connector_id\": \"${connector_id}\"}" || true)
external_id=$(jq -r '.case.externalService.externalId // empty' <<<"${pushed}" 2>/dev/null || true)
check "PushCase sets the external service" test -n "${external_id}"
check "the push job SUCCEEDED" test "$(jq -r .job.state <<<"${pushed}" 2>/dev/null)" = PUSH_JOB_STATE_SUCCEEDED

found=$(bcurl "${url}/casebridge.v1.CaseService/FindCases" \
  -d '{"owners": ["securitySolution"], "search": "buf"}' || true)
check "FindCases finds the pushed case with its external service" test \
  "$(jq -r --arg id "${case_id}" '.cases[] | select(.id == $id) | .externalService.externalId' <<<"${found}" 2>/dev/null)" = "${external_id}"
got=$(bcurl "${url}/casebridge.v1.CaseService/GetCase" -d "{\"id\": \"${case_id}\"}" || true)
check "GetCase shows the push status of the connector" test \
  "$(jq -r --arg c "${connector_id}" '[.case.pushStatuses[] | select(.connectorId == $c)] | length' <<<"${got}" 2>/dev/null)" = 1

echo issues >&"${FAKE[1]}"
read -r -t 30 issues <&"${FAKE[0]}"
check "the fake Jira holds exactly one issue with the case title" test \
  "$(jq -r --arg id "${external_id}" '[.[] | select(.id == $id and .summary == "Interop push from buf")] | length' <<<"${issues}")" = 1
check "the fake Jira received the comment" test \
  "$(jq -r --arg id "${external_id}" '[.[] | select(.id == $id) | .comments[] | select(contains("buf comment for Jira"))] | length' <<<"${issues}")" = 1
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
