#include "tests/fakes/fake_http_server.h"

#include <httplib.h>
#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <strings.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace casebridge::testing {
namespace {

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "FakeHttpServer: %s\n", what);
  std::abort();
}

std::vector<std::string> SplitPath(const std::string& path) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    if (slash > start) out.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

bool MatchRoute(const std::vector<std::string>& pattern,
                const std::vector<std::string>& path,
                std::map<std::string, std::string>* params) {
  std::map<std::string, std::string> captured;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const std::string& p = pattern[i];
    if (p == "*" && i + 1 == pattern.size()) {
      *params = std::move(captured);
      return true;
    }
    if (i >= path.size()) return false;
    if (p.size() >= 2 && p.front() == '{' && p.back() == '}') {
      captured[p.substr(1, p.size() - 2)] = path[i];
    } else if (p != path[i]) {
      return false;
    }
  }
  if (pattern.size() != path.size()) return false;
  *params = std::move(captured);
  return true;
}

std::string ToPem(X509* cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  std::string out(data, len);
  BIO_free(bio);
  return out;
}

std::string ToPem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  std::string out(data, len);
  BIO_free(bio);
  return out;
}

X509* CertFromPem(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (cert == nullptr) Die("cannot parse certificate PEM");
  return cert;
}

EVP_PKEY* KeyFromPem(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (key == nullptr) Die("cannot parse private key PEM");
  return key;
}

void AddExtension(X509* cert, X509V3_CTX* ctx, int nid,
                  const std::string& value) {
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, ctx, nid, value.c_str());
  if (ext == nullptr) Die("X509V3_EXT_conf_nid failed");
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

// Builds a certificate for `key` signed by `issuer_key` (self-signed when
// `issuer` is null).
TestCertificate MakeCertificate(const std::string& common_name, bool is_ca,
                                const std::string& san, X509* issuer,
                                EVP_PKEY* issuer_key) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  if (key == nullptr) Die("EC key generation failed");
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  unsigned char serial_bytes[16];
  RAND_bytes(serial_bytes, sizeof(serial_bytes));
  serial_bytes[0] &= 0x7f;
  BIGNUM* serial = BN_bin2bn(serial_bytes, sizeof(serial_bytes), nullptr);
  BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(cert));
  BN_free(serial);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 24 * 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(
      name, "CN", MBSTRING_ASC,
      reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1, 0);
  X509_set_issuer_name(
      cert, issuer != nullptr ? X509_get_subject_name(issuer) : name);
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer != nullptr ? issuer : cert, cert, nullptr,
                 nullptr, 0);
  if (is_ca) {
    AddExtension(cert, &ctx, NID_basic_constraints, "critical,CA:TRUE");
    AddExtension(cert, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    AddExtension(cert, &ctx, NID_basic_constraints, "critical,CA:FALSE");
    AddExtension(cert, &ctx, NID_key_usage, "critical,digitalSignature");
    AddExtension(cert, &ctx, NID_ext_key_usage, "serverAuth,clientAuth");
    if (!san.empty()) AddExtension(cert, &ctx, NID_subject_alt_name, san);
  }
  AddExtension(cert, &ctx, NID_subject_key_identifier, "hash");
  if (issuer != nullptr) {
    AddExtension(cert, &ctx, NID_authority_key_identifier, "keyid:always");
  }
  if (X509_sign(cert, issuer_key != nullptr ? issuer_key : key, EVP_sha256()) ==
      0) {
    Die("X509_sign failed");
  }
  TestCertificate out{ToPem(cert), ToPem(key)};
  X509_free(cert);
  EVP_PKEY_free(key);
  return out;
}

}  // namespace

std::optional<std::string> FakeRequest::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k.size() == name.size() &&
        strncasecmp(k.data(), name.data(), name.size()) == 0) {
      return v;
    }
  }
  return std::nullopt;
}

std::optional<std::string> FakeRequest::Param(const std::string& name) const {
  auto it = params.find(name);
  if (it == params.end()) return std::nullopt;
  return it->second;
}

FakeResponse FakeResponse::Json(int status, std::string body) {
  FakeResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

FakeResponse FakeResponse::Text(int status, std::string body,
                                std::string content_type) {
  FakeResponse r;
  r.status = status;
  r.body = std::move(body);
  r.content_type = std::move(content_type);
  return r;
}

FakeResponse FakeResponse::Html(int status) {
  return Text(status,
              "<!DOCTYPE html><html><head><title>Sign in</title></head>"
              "<body><form action=\"/login\"></form></body></html>",
              "text/html; charset=utf-8");
}

FakeResponse FakeResponse::Bytes(size_t n, int status) {
  return Text(status, std::string(n, 'x'), "application/octet-stream");
}

FakeResponse FakeResponse::Hang() {
  FakeResponse r;
  r.hang = true;
  r.status = 504;
  return r;
}

FakeResponse FakeResponse::CloseConnection() {
  FakeResponse r;
  r.close_connection = true;
  return r;
}

FakeResponse FakeResponse::Redirect(int status, std::string location) {
  FakeResponse r;
  r.status = status;
  r.headers.emplace_back("Location", std::move(location));
  return r;
}

FakeResponse& FakeResponse::WithHeader(std::string name, std::string value) {
  headers.emplace_back(std::move(name), std::move(value));
  return *this;
}

FakeResponse& FakeResponse::WithRetryAfter(std::string value) {
  return WithHeader("Retry-After", std::move(value));
}

FakeResponse& FakeResponse::Chunked() {
  chunked = true;
  return *this;
}

FakeResponse& FakeResponse::WithDelay(std::chrono::milliseconds d) {
  delay = d;
  return *this;
}

TestCertificateAuthority::TestCertificateAuthority(std::string common_name) {
  ca_ = MakeCertificate(common_name, /*is_ca=*/true, "", nullptr, nullptr);
}

TestCertificateAuthority::~TestCertificateAuthority() = default;

TestCertificate TestCertificateAuthority::Issue(
    const std::vector<std::string>& dns_names,
    const std::vector<std::string>& ip_addresses) const {
  std::string san;
  for (const std::string& d : dns_names) {
    san += (san.empty() ? "" : ",") + std::string("DNS:") + d;
  }
  for (const std::string& ip : ip_addresses) {
    san += (san.empty() ? "" : ",") + std::string("IP:") + ip;
  }
  X509* ca_cert = CertFromPem(ca_.cert_pem);
  EVP_PKEY* ca_key = KeyFromPem(ca_.key_pem);
  const std::string cn = !dns_names.empty()      ? dns_names.front()
                         : !ip_addresses.empty() ? ip_addresses.front()
                                                 : "test server";
  TestCertificate out =
      MakeCertificate(cn, /*is_ca=*/false, san, ca_cert, ca_key);
  X509_free(ca_cert);
  EVP_PKEY_free(ca_key);
  return out;
}

struct FakeHttpServer::Server {
  std::unique_ptr<httplib::Server> http;
};

FakeHttpServer::FakeHttpServer() : server_(std::make_unique<Server>()) {}

FakeHttpServer::FakeHttpServer(TestCertificate tls)
    : tls_(true), cert_(std::move(tls)), server_(std::make_unique<Server>()) {}

FakeHttpServer::~FakeHttpServer() { Stop(); }

void FakeHttpServer::Handle(std::string method, std::string pattern,
                            FakeHandler handler) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> segments = SplitPath(pattern);
  for (Route& r : routes_) {
    if (r.method == method && r.segments == segments) {
      r.handler = std::move(handler);
      return;
    }
  }
  routes_.push_back(
      Route{std::move(method), std::move(segments), std::move(handler)});
}

void FakeHttpServer::HandleAny(FakeHandler handler) {
  std::lock_guard<std::mutex> lock(mu_);
  fallback_ = std::move(handler);
}

void FakeHttpServer::InjectFaults(int count, FakeResponse response,
                                  std::string path_prefix) {
  std::lock_guard<std::mutex> lock(mu_);
  faults_.push_back(Fault{count, std::move(response), std::move(path_prefix)});
}

void FakeHttpServer::ClearFaults() {
  std::lock_guard<std::mutex> lock(mu_);
  faults_.clear();
}

std::string FakeHttpServer::base_url() const {
  return url_with_host("127.0.0.1");
}

std::string FakeHttpServer::url_with_host(const std::string& host) const {
  return std::string(tls_ ? "https://" : "http://") + host + ":" +
         std::to_string(port_);
}

std::vector<FakeRequest> FakeHttpServer::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

size_t FakeHttpServer::request_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_.size();
}

void FakeHttpServer::ClearRequests() {
  std::lock_guard<std::mutex> lock(mu_);
  requests_.clear();
  connections_.clear();
}

bool FakeHttpServer::WaitForRequests(size_t n,
                                     std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return requests_.size() >= n; });
}

size_t FakeHttpServer::distinct_connections() const {
  std::lock_guard<std::mutex> lock(mu_);
  return connections_.size();
}

void FakeHttpServer::ReleaseHangs() {
  std::lock_guard<std::mutex> lock(mu_);
  ++hang_generation_;
  cv_.notify_all();
}

FakeResponse FakeHttpServer::Dispatch(FakeRequest* request) {
  FakeHandler handler;
  std::optional<FakeResponse> fault;
  {
    std::lock_guard<std::mutex> lock(mu_);
    connections_.emplace(request->remote_addr, request->remote_port);
    for (auto it = faults_.begin(); it != faults_.end(); ++it) {
      if (request->path.compare(0, it->path_prefix.size(), it->path_prefix) !=
          0) {
        continue;
      }
      fault = it->response;
      if (--it->remaining <= 0) faults_.erase(it);
      break;
    }
    if (!fault) {
      const std::vector<std::string> path = SplitPath(request->path);
      for (const Route& r : routes_) {
        const bool head_as_get = request->method == "HEAD" && r.method == "GET";
        if (r.method != "*" && r.method != request->method && !head_as_get) {
          continue;
        }
        if (MatchRoute(r.segments, path, &request->path_params)) {
          handler = r.handler;
          break;
        }
      }
      if (!handler) handler = fallback_;
    }
    requests_.push_back(*request);
    cv_.notify_all();
  }
  if (fault) return *fault;
  if (handler) return handler(*request);
  return FakeResponse::Json(404, "{\"error\":\"no fake route for " +
                                     request->method + " " + request->path +
                                     "\"}");
}

void FakeHttpServer::SetLatency(std::chrono::milliseconds latency) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    latency_ = latency;
  }
  cv_.notify_all();  // waiting answers re-read the latency
}

void FakeHttpServer::Wait(const FakeResponse& response) {
  std::unique_lock<std::mutex> lock(mu_);
  const auto start = std::chrono::steady_clock::now();
  // latency_ is re-read on every wake: SetLatency may shorten a wait.
  while (!stopping_) {
    const auto until = start + std::max(response.delay, latency_);
    if (std::chrono::steady_clock::now() >= until) break;
    cv_.wait_until(lock, until);
  }
  if (response.hang) {
    const uint64_t generation = hang_generation_;
    cv_.wait(lock, [&] { return stopping_ || hang_generation_ != generation; });
  }
}

void FakeHttpServer::Start() {
  if (tls_) {
    X509* cert = CertFromPem(cert_.cert_pem);
    EVP_PKEY* key = KeyFromPem(cert_.key_pem);
    server_->http = std::make_unique<httplib::SSLServer>(cert, key);
    X509_free(cert);
    EVP_PKEY_free(key);
  } else {
    server_->http = std::make_unique<httplib::Server>();
  }
  httplib::Server& http = *server_->http;
  if (!http.is_valid()) Die("server is not valid (TLS setup failed?)");
  http.new_task_queue = [] { return new httplib::ThreadPool(64); };
  http.set_keep_alive_max_count(100000);
  http.set_keep_alive_timeout(1);
  http.set_tcp_nodelay(
      true);  // else Nagle + delayed ACK add 40 ms per reused request
  auto handler = [this](const httplib::Request& req, httplib::Response& res) {
    FakeRequest r;
    r.method = req.method;
    r.path = req.path;
    r.target = req.target;
    const size_t q = req.target.find('?');
    if (q != std::string::npos) r.query = req.target.substr(q + 1);
    for (const auto& [k, v] : req.headers) {
      if (k == "REMOTE_ADDR" || k == "REMOTE_PORT" || k == "LOCAL_ADDR" ||
          k == "LOCAL_PORT") {
        continue;  // httplib's pseudo-headers
      }
      r.headers.emplace_back(k, v);
    }
    for (const auto& [k, v] : req.params) r.params.emplace(k, v);
    r.body = req.body;
    r.remote_addr = req.remote_addr;
    r.remote_port = req.remote_port;
    FakeResponse response = Dispatch(&r);
    Wait(response);
    res.status = response.status;
    for (const auto& [k, v] : response.headers) res.set_header(k, v);
    if (response.close_connection) {
      // Promise a body, then fail to produce it: httplib drops the socket.
      res.set_content_provider(
          1024, "text/plain",
          [](size_t, size_t, httplib::DataSink&) { return false; });
      return;
    }
    if (response.chunked) {
      auto body = std::make_shared<std::string>(std::move(response.body));
      res.set_chunked_content_provider(
          response.content_type,
          [body](size_t offset, httplib::DataSink& sink) {
            if (offset >= body->size()) {
              sink.done();
              return true;
            }
            const size_t n = std::min<size_t>(64 * 1024, body->size() - offset);
            return sink.write(body->data() + offset, n);
          });
      return;
    }
    if (!response.body.empty() || req.method != "HEAD") {
      res.set_content(response.body, response.content_type);
    }
  };
  const std::string any = ".*";
  http.Get(any, handler);
  http.Post(any, handler);
  http.Put(any, handler);
  http.Patch(any, handler);
  http.Delete(any, handler);
  http.Options(any, handler);
  port_ = http.bind_to_any_port("127.0.0.1");
  if (port_ <= 0) Die("cannot bind 127.0.0.1");
  thread_ = std::thread([&http] { http.listen_after_bind(); });
  while (!http.is_running()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

void FakeHttpServer::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    cv_.notify_all();
  }
  if (server_->http) server_->http->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace casebridge::testing
