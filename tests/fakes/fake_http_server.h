// FakeHttpServer: an in-process HTTP(S) server on 127.0.0.1 and an ephemeral
// port, for tests that exercise real HTTP. It records every request, routes
// them to handlers registered by method and path pattern ("/issue/{id}"),
// and injects scripted faults (status codes, latency, hangs, dropped
// connections, oversized or HTML bodies, Retry-After). Strict fakes of
// external systems derive from it or wrap it.
//
// Thread-safety: every public method may be called from any thread, before or
// after Start(); handlers run on the server's worker threads, concurrently.
// Stop() (also run by the destructor) releases hung requests and joins the
// server thread. TestCertificateAuthority is immutable after construction.
#ifndef CASEBRIDGE_TESTS_FAKES_FAKE_HTTP_SERVER_H_
#define CASEBRIDGE_TESTS_FAKES_FAKE_HTTP_SERVER_H_

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace casebridge::testing {

using FakeHeaders = std::vector<std::pair<std::string, std::string>>;

struct FakeRequest {
  std::string method;
  std::string path;    // decoded path; absolute-form targets keep the
                       // "http://host:port" prefix (proxy requests)
  std::string query;   // raw query string without '?'
  std::string target;  // request target as received
  FakeHeaders headers;
  std::multimap<std::string, std::string> params;  // decoded query params
  std::map<std::string, std::string> path_params;  // from "{name}" segments
  std::string body;
  std::string remote_addr;
  int remote_port = 0;

  // First value of header `name` (case-insensitive).
  std::optional<std::string> Header(std::string_view name) const;
  // First value of query parameter `name`.
  std::optional<std::string> Param(const std::string& name) const;
};

struct FakeResponse {
  int status = 200;
  FakeHeaders headers;
  std::string body;
  std::string content_type = "application/json";
  std::chrono::milliseconds delay{0};  // before answering
  bool hang = false;                   // wait until ReleaseHangs() or Stop()
  bool close_connection = false;  // send the status line, then drop the socket
  bool chunked = false;  // chunked transfer encoding, no Content-Length

  static FakeResponse Json(int status, std::string body);
  static FakeResponse Text(int status, std::string body,
                           std::string content_type = "text/plain");
  // An HTML page such as a proxy or SSO login page returns.
  static FakeResponse Html(int status = 200);
  // `n` bytes of 'x'.
  static FakeResponse Bytes(size_t n, int status = 200);
  static FakeResponse Hang();
  static FakeResponse CloseConnection();
  static FakeResponse Redirect(int status, std::string location);

  FakeResponse& WithHeader(std::string name, std::string value);
  FakeResponse& WithRetryAfter(std::string value);
  FakeResponse& WithDelay(std::chrono::milliseconds delay);
  FakeResponse& Chunked();
};

using FakeHandler = std::function<FakeResponse(const FakeRequest&)>;

// A certificate and its private key, PEM encoded.
struct TestCertificate {
  std::string cert_pem;
  std::string key_pem;
};

// A throwaway CA generated at construction (EC P-256, valid one day) that
// issues server certificates for tests. Aborts the test binary if OpenSSL
// fails (tests cannot proceed without it).
class TestCertificateAuthority {
 public:
  explicit TestCertificateAuthority(
      std::string common_name = "casebridge test CA");
  ~TestCertificateAuthority();
  TestCertificateAuthority(const TestCertificateAuthority&) = delete;
  TestCertificateAuthority& operator=(const TestCertificateAuthority&) = delete;

  const std::string& ca_pem() const { return ca_.cert_pem; }
  // A certificate with these subjectAltNames, usable by a server or a client
  // (mTLS).
  TestCertificate Issue(const std::vector<std::string>& dns_names,
                        const std::vector<std::string>& ip_addresses) const;

 private:
  TestCertificate ca_;
};

class FakeHttpServer {
 public:
  // Plain HTTP.
  FakeHttpServer();
  // HTTPS with this certificate.
  explicit FakeHttpServer(TestCertificate tls);
  virtual ~FakeHttpServer();
  FakeHttpServer(const FakeHttpServer&) = delete;
  FakeHttpServer& operator=(const FakeHttpServer&) = delete;

  // Routes `method` (e.g. "POST"; "*" for any; GET routes also serve HEAD)
  // and `pattern` to `handler`.
  // Pattern segments "{name}" match one path segment and land in
  // FakeRequest::path_params; a trailing "*" segment matches the rest.
  // Later registrations of the same method+pattern replace earlier ones.
  void Handle(std::string method, std::string pattern, FakeHandler handler);
  // Handler for requests no route matches (default: 404 JSON).
  void HandleAny(FakeHandler handler);

  // The next `count` requests whose path starts with `path_prefix` get
  // `response` instead of their handler. Faults queue in order.
  void InjectFaults(int count, FakeResponse response,
                    std::string path_prefix = "");
  void ClearFaults();
  // Every answer takes at least `latency` (a slow system); 0 = none. Answers
  // already waiting get the new latency too (a long one holds them, a short
  // one releases them).
  void SetLatency(std::chrono::milliseconds latency);

  // Binds 127.0.0.1 on an ephemeral port and serves until Stop().
  void Start();
  void Stop();

  int port() const { return port_; }
  // "http://127.0.0.1:<port>" or "https://...".
  std::string base_url() const;
  // base_url() with the host replaced, e.g. "localhost".
  std::string url_with_host(const std::string& host) const;

  std::vector<FakeRequest> requests() const;
  size_t request_count() const;
  void ClearRequests();
  // Waits up to `timeout` until at least `n` requests were received.
  bool WaitForRequests(size_t n, std::chrono::milliseconds timeout) const;
  // Distinct client (address, port) pairs seen: TCP connections used.
  size_t distinct_connections() const;

  // Lets every currently hung request answer (with status 504).
  void ReleaseHangs();

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;
    FakeHandler handler;
  };
  struct Fault {
    int remaining;
    FakeResponse response;
    std::string path_prefix;
  };
  struct Server;

  FakeResponse Dispatch(FakeRequest* request);
  void Wait(const FakeResponse& response);

  bool tls_ = false;
  TestCertificate cert_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
  int port_ = 0;

  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::vector<Route> routes_;
  FakeHandler fallback_;
  std::vector<Fault> faults_;
  std::vector<FakeRequest> requests_;
  std::set<std::pair<std::string, int>> connections_;
  std::chrono::milliseconds latency_{0};
  uint64_t hang_generation_ = 0;
  bool stopping_ = false;
};

}  // namespace casebridge::testing

#endif  // CASEBRIDGE_TESTS_FAKES_FAKE_HTTP_SERVER_H_
