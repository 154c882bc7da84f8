#!/usr/bin/python3
"""Interop: a Python gRPC client (Debian's python3-grpcio) against the server.

Generates the Python stubs at test time into a temp dir with Debian's protoc
and grpc_python_plugin (generated code is never committed), starts the real
server on an ephemeral port with a fresh data dir, then: health check,
CreateCase, AddComment, FindCases, GetCase with comments, and an invalid
request whose google.rpc.BadRequest detail names the field. Then the shared
interop scenario: create a Jira connector pointing at the strict fake Jira
(tests/fakes/fake_jira_server), create a case, comment, push it, find it with
its external service, and check on the fake's side that the issue and the
comment arrived.

Usage: python_client_test.py SERVER_BINARY PROTO_DIR PLUGIN_DIR FAKE_JIRA_BINARY
Run with /usr/bin/python3: the pyenv python3 on PATH has no grpc module.
"""

import os
import shutil
import signal
import subprocess
import sys
import json
import tempfile
import time


def generate(proto_dir, out_dir):
    protos = [
        "casebridge/v1/common.proto",
        "casebridge/v1/case.proto",
        "casebridge/v1/connector.proto",
        "casebridge/v1/case_service.proto",
        "casebridge/v1/connector_service.proto",
        "google/rpc/status.proto",
        "google/rpc/error_details.proto",
    ]
    subprocess.run(
        ["protoc", "-I", proto_dir, "-I", "/usr/include",
         "--python_out=" + out_dir, "--grpc_python_out=" + out_dir,
         "--plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin"] + protos,
        check=True)
    # The installed grpc package is a regular package, so a generated
    # grpc/health/v1 module could not be imported; generate health.proto under
    # another file name (the proto package, grpc.health.v1, is unchanged).
    health_dir = os.path.join(out_dir, "..", "health_proto")
    os.makedirs(health_dir, exist_ok=True)
    shutil.copy(os.path.join(proto_dir, "grpc/health/v1/health.proto"),
                os.path.join(health_dir, "interop_health.proto"))
    subprocess.run(
        ["protoc", "-I", health_dir, "--python_out=" + out_dir, "--grpc_python_out=" + out_dir,
         "--plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin", "interop_health.proto"],
        check=True)


ENCRYPTION_KEY = "interop-test-key-0123456789abcdef0123456789"


def start_server(binary, tmp, plugin_dir):
    out_path = os.path.join(tmp, "stdout.log")
    err_path = os.path.join(tmp, "stderr.log")
    out = open(out_path, "w")
    err = open(err_path, "w")
    # The fake Jira listens on loopback, which the egress policy refuses by
    # default.
    config_path = os.path.join(tmp, "casebridge.yaml")
    with open(config_path, "w") as f:
        f.write('plugin_dirs: ["%s"]\nhttp:\n  allow_private_addresses: true\n' % plugin_dir)
    env = dict(os.environ, CASEBRIDGE_ENCRYPTION_KEY=ENCRYPTION_KEY)
    proc = subprocess.Popen(
        [binary, "--config", config_path, "--listen", "127.0.0.1:0",
         "--data-dir", os.path.join(tmp, "data")],
        stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with open(out_path) as f:
            for line in f:
                if line.startswith("LISTENING ") and line.endswith("\n"):
                    port = line.strip().rsplit(":", 1)[1]
                    return proc, "127.0.0.1:" + port
        if proc.poll() is not None:
            break
        time.sleep(0.02)
    proc.kill()
    with open(err_path) as f:
        sys.exit("server did not start:\n" + f.read())


# First lines of ASan, LSan and UBSan reports (sanitizer builds).
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", ": runtime error: ",
                     "SUMMARY: UndefinedBehaviorSanitizer")


def check_clean_exit(c, proc, tmp):
    """SIGTERM: the server must exit 0 with no sanitizer report on stderr."""
    proc.send_signal(signal.SIGTERM)
    try:
        code = proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        code = proc.wait()
    with open(os.path.join(tmp, "stderr.log"), errors="replace") as f:
        err = f.read()
    c.check(code == 0, "server exits 0 on SIGTERM (got %s)" % code)
    found = [m for m in SANITIZER_MARKERS if m in err]
    c.check(not found, "no sanitizer report in server stderr" +
            ("" if not found else ":\n" + err[max(0, err.find(found[0]) - 200):][:6000]))
class FakeJira:
    """tests/fakes/fake_jira_server: the strict fake Jira as a process."""

    def __init__(self, binary):
        self.proc = subprocess.Popen([binary], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("LISTENING "):
            sys.exit("fake Jira did not start: %r" % line)
        self.base_url = line.split(" ", 1)[1].strip()

    def issues(self):
        self.proc.stdin.write("issues\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


class Checker:
    def __init__(self):
        self.failures = 0

    def check(self, cond, what):
        print(("ok   " if cond else "FAIL ") + what)
        if not cond:
            self.failures += 1


def push_scenario(c, channel, fake, case_pb2, case_service_pb2, case_service_pb2_grpc,
                  connector_service_pb2, connector_service_pb2_grpc, json_format,
                  struct_pb2):
    """The scenario every interop client runs: connector, case, comment, push, find."""
    def struct(value):
        s = struct_pb2.Struct()
        json_format.ParseDict(value, s)
        return s

    connectors = connector_service_pb2_grpc.ConnectorServiceStub(channel)
    connector = connectors.CreateConnector(connector_service_pb2.CreateConnectorRequest(
        connector_type_id=".jira", name="Interop Jira",
        config=struct({"apiUrl": fake.base_url, "projectKey": "CK"}),
        secrets=struct({"email": "jira-bot@example.com", "apiToken": "jira-api-token"})),
        timeout=10).connector
    c.check(bool(connector.id), "CreateConnector returns an id")
    c.check("jira-api-token" not in str(connector), "the secret is not echoed back")

    cases = case_service_pb2_grpc.CaseServiceStub(channel)
    case = cases.CreateCase(case_service_pb2.CreateCaseRequest(
        title="Interop push from python", description="pushed to the fake Jira",
        owner="securitySolution"), timeout=10).case
    cases.AddComment(case_service_pb2.AddCommentRequest(
        case_id=case.id, attachment=case_pb2.AttachmentContent(
            user=case_pb2.UserComment(comment="python comment for Jira"))), timeout=10)

    pushed = cases.PushCase(case_service_pb2.PushCaseRequest(
        case_id=case.id, connector_id=connector.id), timeout=60)
    external = pushed.case.external_service
    c.check(external.connector_id == connector.id and bool(external.external_id),
            "PushCase sets the external service (%s)" % external.external_title)
    c.check(pushed.job.state == case_pb2.PUSH_JOB_STATE_SUCCEEDED, "the push job SUCCEEDED")

    found = cases.FindCases(case_service_pb2.FindCasesRequest(
        owners=["securitySolution"], search="python"), timeout=10)
    hits = [x for x in found.cases if x.id == case.id]
    c.check(len(hits) == 1 and hits[0].external_service.external_id == external.external_id,
            "FindCases finds the pushed case with its external service")
    got = cases.GetCase(case_service_pb2.GetCaseRequest(id=case.id), timeout=10).case
    c.check(any(s.connector_id == connector.id for s in got.push_statuses),
            "GetCase shows the push status of the connector")

    issues = [i for i in fake.issues() if i["id"] == external.external_id]
    c.check(len(issues) == 1 and issues[0]["summary"] == "Interop push from python",
            "the fake Jira holds exactly one issue with the case title")
    c.check(len(issues) == 1 and
            any("python comment for Jira" in body for body in issues[0]["comments"]),
            "the fake Jira received the comment")


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    binary, proto_dir, plugin_dir, fake_binary = sys.argv[1:5]
    tmp = tempfile.mkdtemp(prefix="casebridge-pyinterop-")
    proc = None
    fake = None
    try:
        gen = os.path.join(tmp, "gen")
        os.makedirs(gen)
        generate(proto_dir, gen)
        sys.path.insert(0, gen)
        import grpc
        from casebridge.v1 import case_pb2, case_service_pb2, case_service_pb2_grpc
        from casebridge.v1 import connector_service_pb2, connector_service_pb2_grpc
        from google.protobuf import json_format, struct_pb2
        import interop_health_pb2 as health_pb2
        import interop_health_pb2_grpc as health_pb2_grpc
        from google.rpc import error_details_pb2, status_pb2

        proc, address = start_server(binary, tmp, plugin_dir)
        fake = FakeJira(fake_binary)
        c = Checker()
        with grpc.insecure_channel(address) as channel:
            grpc.channel_ready_future(channel).result(timeout=30)
            health = health_pb2_grpc.HealthStub(channel)
            h = health.Check(health_pb2.HealthCheckRequest(service=""), timeout=10)
            c.check(h.status == health_pb2.HealthCheckResponse.SERVING, "health SERVING")
            h = health.Check(
                health_pb2.HealthCheckRequest(service="casebridge.v1.CaseService"), timeout=10)
            c.check(h.status == health_pb2.HealthCheckResponse.SERVING, "CaseService SERVING")

            cases = case_service_pb2_grpc.CaseServiceStub(channel)
            created = cases.CreateCase(case_service_pb2.CreateCaseRequest(
                title="Python interop", description="created from python",
                tags=["py", "interop"], owner="pyinterop",
                severity=case_pb2.CASE_SEVERITY_HIGH), timeout=10).case
            c.check(bool(created.id), "CreateCase returns an id")
            c.check(created.status == case_pb2.CASE_STATUS_OPEN, "new case is open")
            c.check(created.severity == case_pb2.CASE_SEVERITY_HIGH, "severity kept")

            added = cases.AddComment(case_service_pb2.AddCommentRequest(
                case_id=created.id, owner="pyinterop",
                attachment=case_pb2.AttachmentContent(
                    user=case_pb2.UserComment(comment="hello from python"))), timeout=10).case
            c.check(len(added.comments) == 1 and
                    added.comments[0].content.user.comment == "hello from python",
                    "AddComment returns the case with the comment")
            c.check(added.total_comment == 1, "total_comment is 1")

            found = cases.FindCases(case_service_pb2.FindCasesRequest(
                owners=["pyinterop"], tags=["py"], search="python"), timeout=10)
            c.check(found.total == 1 and found.cases[0].id == created.id,
                    "FindCases finds it by owner, tag and search")

            got = cases.GetCase(case_service_pb2.GetCaseRequest(
                id=created.id, include_comments=True), timeout=10).case
            c.check(got.title == "Python interop" and len(got.comments) == 1,
                    "GetCase with comments")

            try:
                cases.CreateCase(case_service_pb2.CreateCaseRequest(
                    title="x" * 161, description="d", owner="pyinterop"), timeout=10)
                c.check(False, "an over-long title is rejected")
            except grpc.RpcError as e:
                c.check(e.code() == grpc.StatusCode.INVALID_ARGUMENT,
                        "over-long title is INVALID_ARGUMENT (got %s)" % e.code())
                details = dict(e.trailing_metadata() or ()).get("grpc-status-details-bin")
                fields = []
                if details:
                    st = status_pb2.Status.FromString(details)
                    for any_detail in st.details:
                        br = error_details_pb2.BadRequest()
                        if any_detail.Unpack(br):
                            fields += [v.field for v in br.field_violations]
                c.check("title" in fields, "BadRequest names 'title' (got %s)" % fields)

            try:
                cases.GetCase(case_service_pb2.GetCaseRequest(id="nope"), timeout=10)
                c.check(False, "missing case is an error")
            except grpc.RpcError as e:
                c.check(e.code() == grpc.StatusCode.NOT_FOUND, "missing case is NOT_FOUND")

            push_scenario(c, channel, fake, case_pb2, case_service_pb2,
                          case_service_pb2_grpc, connector_service_pb2,
                          connector_service_pb2_grpc, json_format, struct_pb2)
        check_clean_exit(c, proc, tmp)
        if c.failures:
            print("%d check(s) failed" % c.failures)
            return 1
        print("python interop: all checks passed")
        return 0
    finally:
        if fake is not None:
            fake.close()
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
