#include "server/http/http_client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "tests/fakes/fake_http_server.h"

namespace casebridge::http {
namespace {

using ::casebridge::testing::FakeHttpServer;
using ::casebridge::testing::FakeRequest;
using ::casebridge::testing::FakeResponse;
using ::casebridge::testing::TestCertificateAuthority;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// Options that permit the loopback fake (127.0.0.1 only).
HttpClientOptions LoopbackOptions() {
  HttpClientOptions o;
  o.egress.allowed_private_cidrs = {"127.0.0.1/32"};
  return o;
}

std::unique_ptr<HttpClient> MakeClient(
    HttpClientOptions o = LoopbackOptions()) {
  auto client = HttpClient::Create(std::move(o));
  EXPECT_TRUE(client.ok()) << client.status();
  return client.ok() ? std::move(*client) : nullptr;
}

HttpRequest Get(std::string url) {
  HttpRequest r;
  r.method = "GET";
  r.url = std::move(url);
  return r;
}

std::string Msg(const absl::Status& s) { return std::string(s.message()); }

class HttpClientTest : public ::testing::Test {
 protected:
  void SetUp() override { server_.Start(); }
  FakeHttpServer server_;  // declared first: outlives clients' connections
};

TEST_F(HttpClientTest, GetAndPostWithHeadersAndBody) {
  server_.Handle("GET", "/api/items/{id}", [](const FakeRequest& r) {
    return FakeResponse::Json(200,
                              "{\"id\":\"" + r.path_params.at("id") + "\"}")
        .WithHeader("X-Reply", "yes");
  });
  server_.Handle("POST", "/api/items", [](const FakeRequest& r) {
    return FakeResponse::Json(201, r.body);
  });
  auto client = MakeClient();

  HttpRequest get = Get(server_.base_url() + "/api/items/42?q=a%20b");
  get.headers = {{"Accept", "application/json"}, {"X-Custom", "v1"}};
  auto got = client->Send(get);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->status, 200);
  EXPECT_EQ(got->body, "{\"id\":\"42\"}");
  EXPECT_EQ(FindHeader(got->headers, "x-reply"), "yes");
  EXPECT_EQ(got->effective_url, server_.base_url() + "/api/items/42?q=a%20b");

  HttpRequest post;
  post.method = "POST";
  post.url = server_.base_url() + "/api/items";
  post.headers = {{"Content-Type", "application/json"},
                  {"Authorization", "Basic dTpw"}};
  post.body = "{\"name\":\"x\"}";
  auto posted = client->Send(post);
  ASSERT_TRUE(posted.ok()) << posted.status();
  EXPECT_EQ(posted->status, 201);
  EXPECT_EQ(posted->body, post.body);

  auto reqs = server_.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].method, "GET");
  EXPECT_EQ(reqs[0].path, "/api/items/42");
  EXPECT_EQ(reqs[0].Param("q"), "a b");
  EXPECT_EQ(reqs[0].Header("X-Custom"), "v1");
  EXPECT_EQ(reqs[1].method, "POST");
  EXPECT_EQ(reqs[1].body, post.body);
  EXPECT_EQ(reqs[1].Header("content-type"), "application/json");
  EXPECT_EQ(reqs[1].Header("Authorization"), "Basic dTpw");
  EXPECT_FALSE(reqs[1].Header("Expect").has_value());
}

TEST_F(HttpClientTest, PutPatchDeleteMethods) {
  server_.Handle("*", "/thing", [](const FakeRequest& r) {
    return FakeResponse::Text(200, r.method + ":" + r.body);
  });
  auto client = MakeClient();
  for (const std::string m : {"PUT", "PATCH", "DELETE"}) {
    HttpRequest r = Get(server_.base_url() + "/thing");
    r.method = m;
    r.body = m == "DELETE" ? "" : "b";
    auto resp = client->Send(r);
    ASSERT_TRUE(resp.ok()) << resp.status();
    EXPECT_EQ(resp->body, m + ":" + r.body);
  }
}

TEST_F(HttpClientTest, HeadAndPinnedHostname) {
  server_.Handle("GET", "/h", [](const FakeRequest&) {
    return FakeResponse::Json(200, "{\"a\":1}").WithHeader("X-H", "1");
  });
  HttpClientOptions o;
  o.egress.allowed_private_hosts = {"localhost"};
  auto client = MakeClient(o);
  HttpRequest head = Get(server_.url_with_host("localhost") + "/h");
  head.method = "HEAD";
  auto resp = client->Send(head);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->status, 200);
  EXPECT_EQ(resp->body, "");
  EXPECT_EQ(FindHeader(resp->headers, "X-H"), "1");
  auto reqs = server_.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].method, "HEAD");
  // The connection is pinned to a checked address; Host keeps the name.
  EXPECT_EQ(reqs[0].Header("Host"),
            "localhost:" + std::to_string(server_.port()));
}

TEST_F(HttpClientTest, FakeRoutingFaultsAndDelay) {
  server_.Handle("GET", "/files/*", [](const FakeRequest& r) {
    return FakeResponse::Text(200, r.path);
  });
  server_.InjectFaults(2, FakeResponse::Json(429, "{}").WithRetryAfter("1"),
                       "/files/limited");
  server_.InjectFaults(1, FakeResponse::Json(200, "{\"late\":true}")
                              .WithDelay(std::chrono::milliseconds(50)));
  auto client = MakeClient();
  auto late = client->Send(Get(server_.base_url() + "/anything"));
  ASSERT_TRUE(late.ok());
  EXPECT_EQ(late->body, "{\"late\":true}");
  for (int i = 0; i < 2; ++i) {
    auto limited = client->Send(Get(server_.base_url() + "/files/limited/a"));
    ASSERT_TRUE(limited.ok());
    EXPECT_EQ(limited->status, 429);
  }
  auto served = client->Send(Get(server_.base_url() + "/files/limited/a"));
  ASSERT_TRUE(served.ok());
  EXPECT_EQ(served->status, 200);
  EXPECT_EQ(served->body, "/files/limited/a");
  auto unrouted = client->Send(Get(server_.base_url() + "/nothing/here"));
  ASSERT_TRUE(unrouted.ok());
  EXPECT_EQ(unrouted->status, 404);
  EXPECT_THAT(unrouted->body, HasSubstr("no fake route for GET /nothing/here"));
}

TEST_F(HttpClientTest, HttpErrorStatusesAreResponses) {
  server_.Handle("GET", "/missing", [](const FakeRequest&) {
    return FakeResponse::Json(404, "{\"error\":\"nope\"}");
  });
  server_.InjectFaults(1, FakeResponse::Json(503, "{}").WithRetryAfter("7"),
                       "/busy");
  server_.Handle("GET", "/busy", [](const FakeRequest&) {
    return FakeResponse::Json(200, "{}");
  });
  server_.InjectFaults(1, FakeResponse::Html(200), "/html");
  auto client = MakeClient();

  auto missing = client->Send(Get(server_.base_url() + "/missing"));
  ASSERT_TRUE(missing.ok()) << missing.status();
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(missing->body, "{\"error\":\"nope\"}");

  auto busy = client->Send(Get(server_.base_url() + "/busy"));
  ASSERT_TRUE(busy.ok()) << busy.status();
  EXPECT_EQ(busy->status, 503);
  auto retry_after = FindHeader(busy->headers, "Retry-After");
  ASSERT_TRUE(retry_after.has_value());
  EXPECT_EQ(ParseRetryAfter(*retry_after, absl::Now()), absl::Seconds(7));

  auto again = client->Send(Get(server_.base_url() + "/busy"));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->status, 200);  // the fault applied to one request only

  auto html = client->Send(Get(server_.base_url() + "/html"));
  ASSERT_TRUE(html.ok());
  EXPECT_THAT(*FindHeader(html->headers, "Content-Type"),
              StartsWith("text/html"));
}

TEST_F(HttpClientTest, TimeoutFromRequestDeadline) {
  server_.InjectFaults(1, FakeResponse::Hang());
  auto client = MakeClient();
  HttpRequest r = Get(server_.base_url() + "/slow");
  r.deadline = absl::Now() + absl::Milliseconds(300);
  auto resp = client->Send(r);
  server_.ReleaseHangs();
  EXPECT_EQ(resp.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(Msg(resp.status()), HasSubstr("request deadline"));
}

TEST_F(HttpClientTest, DeadlineAlreadyPassedSendsNothing) {
  auto client = MakeClient();
  HttpRequest r = Get(server_.base_url() + "/x");
  r.deadline = absl::Now() - absl::Seconds(1);
  EXPECT_EQ(client->Send(r).status().code(),
            absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(server_.request_count(), 0u);
}

TEST_F(HttpClientTest, TimeoutFromConfig) {
  server_.InjectFaults(1, FakeResponse::Hang());
  HttpClientOptions o = LoopbackOptions();
  o.response_timeout = absl::Milliseconds(300);
  auto client = MakeClient(o);
  HttpRequest r = Get(server_.base_url() + "/slow");
  r.deadline = absl::Now() + absl::Seconds(60);  // later than the config
  auto resp = client->Send(r);
  server_.ReleaseHangs();
  EXPECT_EQ(resp.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(Msg(resp.status()), HasSubstr("http.response_timeout"));
}

TEST_F(HttpClientTest, ResponseSizeCapWithContentLength) {
  server_.Handle("GET", "/big", [](const FakeRequest&) {
    return FakeResponse::Bytes(2 * 1024 * 1024);
  });
  server_.Handle("GET", "/exact", [](const FakeRequest&) {
    return FakeResponse::Bytes(1024 * 1024);
  });
  auto client = MakeClient();
  auto big = client->Send(Get(server_.base_url() + "/big"));
  EXPECT_EQ(big.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(Msg(big.status()), HasSubstr("1048576"));
  // The client still works afterwards, and a body of exactly the cap passes.
  auto exact = client->Send(Get(server_.base_url() + "/exact"));
  ASSERT_TRUE(exact.ok()) << exact.status();
  EXPECT_EQ(exact->body.size(), 1024u * 1024u);
}

TEST_F(HttpClientTest, ResponseSizeCapWhileStreaming) {
  server_.Handle("GET", "/big", [](const FakeRequest&) {
    return FakeResponse::Bytes(2 * 1024 * 1024).Chunked();
  });
  server_.Handle("GET", "/small", [](const FakeRequest&) {
    return FakeResponse::Json(200, "{}");
  });
  auto client = MakeClient();
  auto big = client->Send(Get(server_.base_url() + "/big"));
  EXPECT_EQ(big.status().code(), absl::StatusCode::kResourceExhausted);
  auto small = client->Send(Get(server_.base_url() + "/small"));
  ASSERT_TRUE(small.ok()) << small.status();
  EXPECT_EQ(small->status, 200);
}

TEST_F(HttpClientTest, ConnectionClosedMidResponseIsUnavailable) {
  server_.InjectFaults(1, FakeResponse::CloseConnection());
  auto client = MakeClient();
  auto resp = client->Send(Get(server_.base_url() + "/x"));
  EXPECT_EQ(resp.status().code(), absl::StatusCode::kUnavailable);
}

TEST(HttpClientNoServerTest, ConnectionRefusedIsUnavailable) {
  int port = 0;
  {
    FakeHttpServer s;
    s.Start();
    port = s.port();
  }
  auto client = MakeClient();
  auto resp =
      client->Send(Get("http://127.0.0.1:" + std::to_string(port) + "/"));
  EXPECT_EQ(resp.status().code(), absl::StatusCode::kUnavailable);
}

TEST(HttpClientNoServerTest, BadUrlsAndSchemes) {
  auto client = MakeClient();
  for (const char* url : {"ftp://example.com/x", "file:///etc/passwd",
                          "not a url", "", "gopher://x"}) {
    EXPECT_EQ(client->Send(Get(url)).status().code(),
              absl::StatusCode::kInvalidArgument)
        << url;
  }
  HttpRequest bad_header = Get("http://127.0.0.1:1/");
  bad_header.headers = {{"X-A", "v\r\nInjected: 1"}};
  EXPECT_EQ(client->Send(bad_header).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(HttpClientTest, LoopbackRefusedByDefault) {
  auto client = MakeClient(HttpClientOptions{});
  auto resp = client->Send(Get(server_.base_url() + "/x"));
  EXPECT_EQ(resp.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(Msg(resp.status()), HasSubstr("127.0.0.1"));
  EXPECT_THAT(Msg(resp.status()), HasSubstr("loopback"));
  auto by_name = client->Send(Get(server_.url_with_host("localhost") + "/x"));
  EXPECT_EQ(by_name.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(Msg(by_name.status()), HasSubstr("localhost"));
  EXPECT_EQ(server_.request_count(), 0u);
}

TEST_F(HttpClientTest, LoopbackAllowedByNameOrFlag) {
  HttpClientOptions by_name;
  by_name.egress.allowed_private_hosts = {"localhost"};
  auto c1 = MakeClient(by_name);
  auto r1 = c1->Send(Get(server_.url_with_host("localhost") + "/x"));
  ASSERT_TRUE(r1.ok()) << r1.status();
  EXPECT_EQ(r1->status, 404);

  HttpClientOptions flag;
  flag.egress.allow_private_addresses = true;
  auto c2 = MakeClient(flag);
  auto r2 = c2->Send(Get(server_.base_url() + "/x"));
  ASSERT_TRUE(r2.ok()) << r2.status();
  EXPECT_EQ(server_.request_count(), 2u);
}

TEST(HttpClientNoServerTest, MetadataRefusedEvenWhenPrivateAllowed) {
  HttpClientOptions o;
  o.egress.allow_private_addresses = true;
  o.egress.allowed_private_cidrs = {"169.254.0.0/16"};
  auto client = MakeClient(o);
  for (const char* url :
       {"http://169.254.169.254/latest/meta-data/",
        "http://[fd00:ec2::254]/latest/meta-data/",
        "http://[::ffff:169.254.169.254]/",
        "http://metadata.google.internal/computeMetadata/v1/"}) {
    auto resp = client->Send(Get(url));
    EXPECT_EQ(resp.status().code(), absl::StatusCode::kPermissionDenied) << url;
  }
}

TEST(HttpClientNoServerTest, PrivateAddressRefusedBeforeConnecting) {
  HttpClientOptions o;
  o.connect_timeout = absl::Seconds(30);  // a connect attempt would hang
  auto client = MakeClient(o);
  auto resp = client->Send(Get("http://10.0.0.1/api"));
  EXPECT_EQ(resp.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(Msg(resp.status()), HasSubstr("10.0.0.1"));
  EXPECT_EQ(client->stats().requests, 0);
}

TEST_F(HttpClientTest, AllowedHostsRefusal) {
  HttpClientOptions o = LoopbackOptions();
  o.egress.allowed_hosts = {"example.com"};
  auto client = MakeClient(o);
  auto resp = client->Send(Get(server_.base_url() + "/x"));
  EXPECT_EQ(resp.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(Msg(resp.status()),
              HasSubstr("is not added to the http.allowed_hosts"));
  EXPECT_THAT(Msg(resp.status()), HasSubstr(server_.base_url()));
  EXPECT_EQ(server_.request_count(), 0u);
}

TEST(HttpClientNoServerTest, ErrorMessagesOmitUserinfoAndQuery) {
  auto client = MakeClient(HttpClientOptions{});
  auto resp = client->Send(Get("http://user:hunter2@10.0.0.1/p?token=abc"));
  EXPECT_EQ(resp.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(Msg(resp.status()), HasSubstr("http://10.0.0.1:80/p"));
  EXPECT_THAT(Msg(resp.status()), Not(HasSubstr("hunter2")));
  EXPECT_THAT(Msg(resp.status()), Not(HasSubstr("abc")));
}

TEST_F(HttpClientTest, RedirectToRefusedAddressIsRefused) {
  server_.Handle("GET", "/to-private", [](const FakeRequest&) {
    return FakeResponse::Redirect(302, "http://10.0.0.1/steal");
  });
  server_.Handle("GET", "/to-metadata", [](const FakeRequest&) {
    return FakeResponse::Redirect(307,
                                  "http://169.254.169.254/latest/meta-data/");
  });
  const std::string other_host = server_.url_with_host("localhost") + "/x";
  server_.Handle("GET", "/to-other-host", [other_host](const FakeRequest&) {
    return FakeResponse::Redirect(301, other_host);
  });
  HttpClientOptions o = LoopbackOptions();
  o.egress.allowed_hosts = {"127.0.0.1"};
  auto client = MakeClient(o);
  auto a = client->Send(Get(server_.base_url() + "/to-private"));
  EXPECT_EQ(a.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(Msg(a.status()), HasSubstr("10.0.0.1"));
  auto b = client->Send(Get(server_.base_url() + "/to-metadata"));
  EXPECT_EQ(b.status().code(), absl::StatusCode::kPermissionDenied);
  auto c = client->Send(Get(server_.base_url() + "/to-other-host"));
  EXPECT_EQ(c.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(Msg(c.status()), HasSubstr("allowed_hosts"));
  EXPECT_EQ(server_.request_count(), 3u);
}

TEST_F(HttpClientTest, RedirectsFollowedAndCapped) {
  server_.Handle("POST", "/start", [](const FakeRequest&) {
    return FakeResponse::Redirect(303, "/middle");
  });
  server_.Handle("GET", "/middle", [](const FakeRequest&) {
    return FakeResponse::Redirect(302, "end?x=1");
  });
  server_.Handle("GET", "/end", [](const FakeRequest& r) {
    return FakeResponse::Json(200,
                              "{\"x\":\"" + r.Param("x").value_or("") + "\"}");
  });
  server_.Handle("GET", "/loop/{n}", [](const FakeRequest& r) {
    return FakeResponse::Redirect(
        302, "/loop/" + std::to_string(std::stoi(r.path_params.at("n")) + 1));
  });
  auto client = MakeClient();
  HttpRequest post = Get(server_.base_url() + "/start");
  post.method = "POST";
  post.body = "{}";
  post.headers = {{"Content-Type", "application/json"}};
  auto resp = client->Send(post);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->status, 200);
  EXPECT_EQ(resp->body, "{\"x\":\"1\"}");
  EXPECT_EQ(resp->effective_url, server_.base_url() + "/end?x=1");
  auto reqs = server_.requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[1].method, "GET");  // 303 turns POST into GET
  EXPECT_EQ(reqs[1].body, "");

  server_.ClearRequests();
  auto loop = client->Send(Get(server_.base_url() + "/loop/0"));
  EXPECT_EQ(loop.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(Msg(loop.status()), HasSubstr("too many redirects"));
  EXPECT_EQ(server_.request_count(), 4u);  // first + 3 redirects

  HttpClientOptions none = LoopbackOptions();
  none.max_redirects = 0;
  auto no_follow = MakeClient(none)->Send(Get(server_.base_url() + "/loop/0"));
  ASSERT_TRUE(no_follow.ok());
  EXPECT_EQ(no_follow->status, 302);
}

TEST_F(HttpClientTest, CrossHostRedirectDropsCredentials) {
  const std::string other = server_.url_with_host("localhost") + "/landing";
  server_.Handle("GET", "/go", [other](const FakeRequest&) {
    return FakeResponse::Redirect(307, other);
  });
  server_.Handle("GET", "/landing", [](const FakeRequest&) {
    return FakeResponse::Json(200, "{}");
  });
  HttpClientOptions o;
  o.egress.allowed_private_cidrs = {"127.0.0.0/8"};
  auto client = MakeClient(o);
  HttpRequest r = Get(server_.base_url() + "/go");
  r.headers = {{"Authorization", "Bearer secret"}, {"X-Keep", "1"}};
  auto resp = client->Send(r);
  ASSERT_TRUE(resp.ok()) << resp.status();
  auto reqs = server_.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].Header("Authorization"), "Bearer secret");
  EXPECT_FALSE(reqs[1].Header("Authorization").has_value());
  EXPECT_EQ(reqs[1].Header("X-Keep"), "1");
}

class HttpClientTlsTest : public ::testing::Test {
 protected:
  TestCertificateAuthority ca_;
};

HostSettings CaFor(const FakeHttpServer& s, const std::string& ca_pem,
                   std::optional<VerificationMode> mode = std::nullopt) {
  HostSettings hs;
  hs.url = s.base_url();
  hs.ca_pem = ca_pem;
  hs.verification_mode = mode;
  return hs;
}

TEST_F(HttpClientTlsTest, FullVerificationWithConfiguredCa) {
  FakeHttpServer server(ca_.Issue({"localhost"}, {"127.0.0.1"}));
  server.Handle("GET", "/ok", [](const FakeRequest&) {
    return FakeResponse::Json(200, "{\"tls\":true}");
  });
  server.Start();
  ASSERT_THAT(server.base_url(), StartsWith("https://"));

  HttpClientOptions with_ca = LoopbackOptions();
  with_ca.host_settings = {CaFor(server, ca_.ca_pem())};
  auto ok = MakeClient(with_ca)->Send(Get(server.base_url() + "/ok"));
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->body, "{\"tls\":true}");

  auto no_ca = MakeClient()->Send(Get(server.base_url() + "/ok"));
  EXPECT_EQ(no_ca.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(Msg(no_ca.status()), HasSubstr("TLS verification failed"));

  HttpClientOptions none = LoopbackOptions();
  none.verification_mode = VerificationMode::kNone;
  auto insecure = MakeClient(none)->Send(Get(server.base_url() + "/ok"));
  ASSERT_TRUE(insecure.ok()) << insecure.status();
}

TEST_F(HttpClientTlsTest, CaFromFile) {
  FakeHttpServer server(ca_.Issue({}, {"127.0.0.1"}));
  server.Start();
  char path[] = "/tmp/casebridge-ca-XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  FILE* f = fdopen(fd, "w");
  std::fputs(ca_.ca_pem().c_str(), f);
  std::fclose(f);
  HttpClientOptions o = LoopbackOptions();
  HostSettings hs;
  hs.url = server.base_url() + "/ignored/path";
  hs.ca_files = {path};
  o.host_settings = {hs};
  auto resp = MakeClient(o)->Send(Get(server.base_url() + "/x"));
  std::remove(path);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->status, 404);

  HttpClientOptions missing = LoopbackOptions();
  hs.ca_files = {"/nonexistent/ca.pem"};
  missing.host_settings = {hs};
  EXPECT_EQ(HttpClient::Create(missing).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(HttpClientTlsTest, NameMismatchFailsFullPassesCertificate) {
  FakeHttpServer server(ca_.Issue({"wrong.example"}, {}));
  server.Start();
  HttpClientOptions full = LoopbackOptions();
  full.host_settings = {CaFor(server, ca_.ca_pem())};
  auto mismatch = MakeClient(full)->Send(Get(server.base_url() + "/x"));
  EXPECT_EQ(mismatch.status().code(), absl::StatusCode::kFailedPrecondition);

  HttpClientOptions cert_only = LoopbackOptions();
  cert_only.host_settings = {
      CaFor(server, ca_.ca_pem(), VerificationMode::kCertificate)};
  auto ok = MakeClient(cert_only)->Send(Get(server.base_url() + "/x"));
  ASSERT_TRUE(ok.ok()) << ok.status();

  // certificate mode still checks the chain.
  TestCertificateAuthority other_ca("other CA");
  HttpClientOptions wrong_ca = LoopbackOptions();
  wrong_ca.host_settings = {
      CaFor(server, other_ca.ca_pem(), VerificationMode::kCertificate)};
  EXPECT_EQ(
      MakeClient(wrong_ca)->Send(Get(server.base_url() + "/x")).status().code(),
      absl::StatusCode::kFailedPrecondition);
}

TEST(HttpClientProxyTest, ProxyReceivesRequestsAndBypassSkipsIt) {
  FakeHttpServer proxy;
  proxy.HandleAny([](const FakeRequest& r) {
    return FakeResponse::Text(200, "via proxy " + r.path);
  });
  proxy.Start();
  FakeHttpServer target;
  target.Handle("GET", "/direct", [](const FakeRequest&) {
    return FakeResponse::Text(200, "direct");
  });
  target.Start();

  HttpClientOptions o = LoopbackOptions();
  o.proxy_url = proxy.base_url();
  o.proxy_headers = {{"X-Proxy-Note", "hi"}};
  auto client = MakeClient(o);
  // The proxy resolves the name; we never do (".invalid" cannot resolve).
  auto via = client->Send(Get("http://target.invalid:8080/api/x?y=1"));
  ASSERT_TRUE(via.ok()) << via.status();
  EXPECT_EQ(via->status, 200);
  auto seen = proxy.requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].target, "http://target.invalid:8080/api/x?y=1");
  EXPECT_EQ(seen[0].Header("Host"), "target.invalid:8080");

  // IP-literal private targets are refused even through the proxy.
  auto private_target = client->Send(Get("http://10.0.0.1/"));
  EXPECT_EQ(private_target.status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(proxy.request_count(), 1u);

  HttpClientOptions bypass = o;
  bypass.proxy_bypass_hosts = {"127.0.0.1"};
  bypass.proxy_only_hosts = {"127.0.0.1"};  // ignored: bypass wins
  auto direct = MakeClient(bypass)->Send(Get(target.base_url() + "/direct"));
  ASSERT_TRUE(direct.ok()) << direct.status();
  EXPECT_EQ(direct->body, "direct");
  EXPECT_EQ(proxy.request_count(), 1u);
  EXPECT_EQ(target.request_count(), 1u);

  HttpClientOptions only = o;
  only.proxy_only_hosts = {"elsewhere.example"};
  auto direct2 = MakeClient(only)->Send(Get(target.base_url() + "/direct"));
  ASSERT_TRUE(direct2.ok()) << direct2.status();
  EXPECT_EQ(proxy.request_count(), 1u);
  EXPECT_EQ(target.request_count(), 2u);
}

TEST_F(HttpClientTest, ConnectionsAreReused) {
  server_.Handle("GET", "/ping", [](const FakeRequest&) {
    return FakeResponse::Json(200, "{}");
  });
  auto client = MakeClient();
  for (int i = 0; i < 10; ++i) {
    auto resp = client->Send(Get(server_.base_url() + "/ping"));
    ASSERT_TRUE(resp.ok()) << resp.status();
  }
  EXPECT_EQ(server_.distinct_connections(), 1u);
  EXPECT_EQ(client->stats().connections_opened, 1);
  EXPECT_EQ(client->stats().requests, 10);

  server_.ClearRequests();
  HttpClientOptions no_reuse = LoopbackOptions();
  no_reuse.reuse_connections = false;
  auto fresh = MakeClient(no_reuse);
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(fresh->Send(Get(server_.base_url() + "/ping")).ok());
  }
  EXPECT_EQ(fresh->stats().connections_opened, 5);
}

TEST_F(HttpClientTest, ConcurrentSendsFromEightThreads) {
  server_.Handle("POST", "/echo/{n}", [](const FakeRequest& r) {
    return FakeResponse::Json(200, r.body);
  });
  auto client = MakeClient();
  constexpr int kThreads = 8;
  constexpr int kPerThread = 25;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        HttpRequest r;
        r.method = "POST";
        r.url = server_.base_url() + "/echo/" + std::to_string(t);
        r.body = std::to_string(t * 1000 + i);
        auto resp = client->Send(r);
        if (resp.ok() && resp->status == 200 && resp->body == r.body) ++ok;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), kThreads * kPerThread);
  EXPECT_EQ(server_.request_count(), size_t{kThreads * kPerThread});
  EXPECT_LE(client->stats().connections_opened, kThreads);
}

TEST(RetryAfterTest, SecondsDatesAndGarbage) {
  const absl::Time now =
      absl::FromUnixSeconds(784111777);  // 1994-11-06 08:49:37Z
  EXPECT_EQ(ParseRetryAfter("120", now), absl::Seconds(120));
  EXPECT_EQ(ParseRetryAfter(" 0 ", now), absl::ZeroDuration());
  EXPECT_EQ(ParseRetryAfter("Sun, 06 Nov 1994 08:50:37 GMT", now),
            absl::Seconds(60));
  EXPECT_EQ(ParseRetryAfter("Sunday, 06-Nov-94 08:51:37 GMT", now),
            absl::Seconds(120));
  EXPECT_EQ(ParseRetryAfter("Sun Nov  6 08:49:47 1994", now),
            absl::Seconds(10));
  EXPECT_EQ(ParseRetryAfter("Sat, 05 Nov 1994 08:49:37 GMT", now),
            absl::ZeroDuration());
  EXPECT_EQ(ParseRetryAfter("", now), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("-5", now), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("1.5", now), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("soon", now), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("99999999999999999999", now), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("Sun, 06 Nov 1994 08:50:37", now), std::nullopt);
}

TEST(RedactHeadersTest, RedactsCredentials) {
  HttpHeaders h = {{"Authorization", "Basic x"},
                   {"private-token", "t"},
                   {"X-Api-Token", "t"},
                   {"Cookie", "a=b"},
                   {"X-API-Key", "k"},
                   {"Content-Type", "application/json"},
                   {"Accept", "*/*"}};
  HttpHeaders r = RedactHeaders(h);
  for (size_t i = 0; i < 5; ++i)
    EXPECT_EQ(r[i].second, "[REDACTED]") << r[i].first;
  EXPECT_EQ(r[5].second, "application/json");
  EXPECT_EQ(r[6].second, "*/*");
}

TEST(VerificationModeTest, Parse) {
  EXPECT_EQ(*ParseVerificationMode("none"), VerificationMode::kNone);
  EXPECT_EQ(*ParseVerificationMode("Certificate"),
            VerificationMode::kCertificate);
  EXPECT_EQ(*ParseVerificationMode("full"), VerificationMode::kFull);
  EXPECT_FALSE(ParseVerificationMode("strict").ok());
}

// Not a correctness test: prints sequential GET throughput with and without
// connection reuse. Run with --gtest_also_run_disabled_tests.
TEST_F(HttpClientTest, DISABLED_MeasureReuse) {
  server_.Handle("GET", "/ping", [](const FakeRequest&) {
    return FakeResponse::Json(200, "{}");
  });
  server_.Handle("POST", "/ping", [](const FakeRequest&) {
    return FakeResponse::Json(200, "{}");
  });
  for (int run = 0; run < 4; ++run) {
    const bool reuse = run % 2 == 0;
    const bool post = run >= 2;
    HttpClientOptions o = LoopbackOptions();
    o.reuse_connections = reuse;
    auto client = MakeClient(o);
    constexpr int kRequests = 500;
    const absl::Time start = absl::Now();
    for (int i = 0; i < kRequests; ++i) {
      HttpRequest r = Get(server_.base_url() + "/ping");
      if (post) {
        r.method = "POST";
        r.body = "{}";
      }
      ASSERT_TRUE(client->Send(r).ok());
    }
    const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
    std::printf(
        "%s reuse=%d: %d requests in %.3f s = %.0f req/s, %ld connections\n",
        post ? "POST" : "GET", reuse, kRequests, seconds, kRequests / seconds,
        client->stats().connections_opened);
  }
}

// As above over TLS, where reuse also saves the handshake.
TEST(HttpClientTlsMeasure, DISABLED_MeasureTlsReuse) {
  TestCertificateAuthority ca;
  FakeHttpServer server(ca.Issue({}, {"127.0.0.1"}));
  server.Handle("GET", "/ping", [](const FakeRequest&) {
    return FakeResponse::Json(200, "{}");
  });
  server.Start();
  for (bool reuse : {true, false}) {
    HttpClientOptions o = LoopbackOptions();
    o.reuse_connections = reuse;
    o.host_settings = {CaFor(server, ca.ca_pem())};
    auto client = MakeClient(o);
    constexpr int kRequests = 200;
    const absl::Time start = absl::Now();
    for (int i = 0; i < kRequests; ++i) {
      ASSERT_TRUE(client->Send(Get(server.base_url() + "/ping")).ok());
    }
    const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
    std::printf(
        "TLS GET reuse=%d: %d requests in %.3f s = %.0f req/s, %ld "
        "connections\n",
        reuse, kRequests, seconds, kRequests / seconds,
        client->stats().connections_opened);
  }
}

}  // namespace
}  // namespace casebridge::http
