// Security through the real server: TLS and mTLS, API keys and JWTs, the
// RPC x role authorization table, owner narrowing of searches, the audit
// log (and that no credential reaches it or the server log), the rate limit
// and the request size limit.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "casebridge/v1/api_key_service.grpc.pb.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "google/protobuf/descriptor.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "server/auth/api_key.h"
#include "tests/fakes/fake_http_server.h"
#include "tests/fakes/test_jwt.h"
#include "tests/integration/server_process.h"

namespace casebridge::testing {
namespace {

namespace v1 = casebridge::v1;

std::string MakeDir(const std::string& tag) {
  std::string pattern = ::testing::TempDir() + "/cb-auth-" + tag + "-XXXXXX";
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) == nullptr) return "";
  return buf.data();
}

void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream(path) << content;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// One API key per role set; the key is "key-<name>-<random>".
struct Role {
  std::string name;
  std::vector<std::string> roles;
};

const std::vector<Role>& Roles() {
  static const auto* roles = new std::vector<Role>{
      {"none", {}},
      {"reader", {"cases:read"}},
      {"writer", {"cases:all"}},
      {"deleter", {"cases:delete"}},
      {"settings", {"cases:settings"}},
      {"conn_read", {"connectors:read"}},
      {"conn_all", {"connectors:all"}},
      {"admin", {"admin"}},
      {"sec_writer", {"cases:all:securitySolution"}},
      {"obs_reader", {"cases:read:observability"}},
      {"root", {"superuser"}},
  };
  return *roles;
}

template <typename Stub, typename Req, typename Resp>
grpc::Status CallWith(Stub* stub,
                      grpc::Status (Stub::*method)(grpc::ClientContext*,
                                                   const Req&, Resp*),
                      const Req& request, Resp* response,
                      const std::string& authorization) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  if (!authorization.empty()) ctx.AddMetadata("authorization", authorization);
  return (stub->*method)(&ctx, request, response);
}

// A TLS server with an API key per role, JWT on, audit log on, anonymous
// off. Shared by the tests of this suite.
class AuthServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(MakeDir("suite"));
    ca_ = new TestCertificateAuthority();
    TestCertificate cert = ca_->Issue({"localhost"}, {"127.0.0.1"});
    WriteFile(*dir_ + "/server.crt", cert.cert_pem);
    WriteFile(*dir_ + "/server.key", cert.key_pem);
    jwt_key_ = new TestKeyPair(NewRsaKeyPair());
    WriteFile(*dir_ + "/idp.pem", jwt_key_->public_pem);
    keys_ = new std::map<std::string, std::string>();
    std::string yaml = absl::StrCat(
        "tls:\n  mode: tls\n  cert_file: ", *dir_, "/server.crt\n",
        "  key_file: ", *dir_, "/server.key\n", "auth:\n  audit_log: ", *dir_,
        "/audit.jsonl\n", "  jwt:\n    public_key_files: [", *dir_,
        "/idp.pem]\n",
        "    issuer: https://idp.test\n    audiences: [casebridge]\n",
        "  api_keys:\n");
    for (const Role& r : Roles()) {
      const std::string key = auth::GenerateApiKey("cfg") + r.name;
      (*keys_)[r.name] = key;
      absl::StrAppend(&yaml, "    - id: ", r.name,
                      "\n      sha256: ", auth::HashApiKey(key),
                      "\n      principal: {username: ", r.name,
                      "-user, full_name: ", r.name, " user, email: ", r.name,
                      "@example.test}\n", "      roles: [",
                      absl::StrJoin(r.roles, ", "), "]\n");
    }
    ServerOptions options;
    options.open_access = false;
    options.config_yaml = yaml;
    options.channel_credentials = grpc::SslCredentials(
        grpc::SslCredentialsOptions{ca_->ca_pem(), "", ""});
    options.tls_target_name = "localhost";
    server_ = new ServerProcess(std::move(options));
    absl::Status s = server_->Start();
    ASSERT_TRUE(s.ok()) << s;
  }
  static void TearDownTestSuite() {
    delete server_;
    delete ca_;
    delete jwt_key_;
    delete keys_;
    std::filesystem::remove_all(*dir_);
    delete dir_;
  }

  void SetUp() override {
    ASSERT_NE(server_, nullptr);
    cases_ = server_->NewCaseStub();
    connectors_ = server_->NewConnectorStub();
  }

  static std::string As(const std::string& role) {
    return "ApiKey " + keys_->at(role);
  }

  v1::Case CreateCase(const std::string& owner,
                      const std::string& role = "root") {
    v1::CreateCaseRequest r;
    r.set_title("auth test case");
    r.set_description("d");
    r.set_owner(owner);
    r.add_tags("auth");
    v1::CreateCaseResponse resp;
    grpc::Status s = CallWith(cases_.get(), &v1::CaseService::Stub::CreateCase,
                              r, &resp, As(role));
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.case_();
  }

  v1::Attachment AddComment(const v1::Case& c) {
    v1::AddCommentRequest r;
    r.set_case_id(c.id());
    r.mutable_attachment()->mutable_user()->set_comment("a comment");
    v1::AddCommentResponse resp;
    grpc::Status s = CallWith(cases_.get(), &v1::CaseService::Stub::AddComment,
                              r, &resp, As("root"));
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.case_().comments(resp.case_().comments_size() - 1);
  }

  static std::string* dir_;
  static TestCertificateAuthority* ca_;
  static TestKeyPair* jwt_key_;
  static std::map<std::string, std::string>* keys_;
  static ServerProcess* server_;
  std::unique_ptr<v1::CaseService::Stub> cases_;
  std::unique_ptr<v1::ConnectorService::Stub> connectors_;
};
std::string* AuthServerTest::dir_ = nullptr;
TestCertificateAuthority* AuthServerTest::ca_ = nullptr;
TestKeyPair* AuthServerTest::jwt_key_ = nullptr;
std::map<std::string, std::string>* AuthServerTest::keys_ = nullptr;
ServerProcess* AuthServerTest::server_ = nullptr;

TEST_F(AuthServerTest, NoCredentialsIsUnauthenticatedWithAHint) {
  v1::FindCasesRequest r;
  v1::FindCasesResponse resp;
  grpc::Status s =
      CallWith(cases_.get(), &v1::CaseService::Stub::FindCases, r, &resp, "");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_NE(s.error_message().find("authorization: ApiKey"), std::string::npos)
      << s.error_message();
  s = CallWith(cases_.get(), &v1::CaseService::Stub::FindCases, r, &resp,
               "ApiKey not-a-key");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  s = CallWith(cases_.get(), &v1::CaseService::Stub::FindCases, r, &resp,
               "Basic dXNlcjpwYXNz");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(AuthServerTest, HealthStaysOpen) {
  grpc::ClientContext ctx;
  grpc::health::v1::HealthCheckRequest r;
  grpc::health::v1::HealthCheckResponse resp;
  auto stub = server_->NewHealthStub();
  ASSERT_TRUE(stub->Check(&ctx, r, &resp).ok());
  EXPECT_EQ(resp.status(), grpc::health::v1::HealthCheckResponse::SERVING);
}

TEST_F(AuthServerTest, PlaintextClientCannotTalkToTlsPort) {
  auto channel = grpc::CreateChannel(server_->address(),
                                     grpc::InsecureChannelCredentials());
  auto stub = v1::CaseService::NewStub(channel);
  v1::FindCasesRequest r;
  v1::FindCasesResponse resp;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
  ctx.AddMetadata("authorization", As("root"));
  grpc::Status s = stub->FindCases(&ctx, r, &resp);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
}

TEST_F(AuthServerTest, PrincipalBecomesTheActingUser) {
  v1::Case c = CreateCase("securitySolution", "writer");
  EXPECT_EQ(c.created_by().username(), "writer-user");
  EXPECT_EQ(c.created_by().full_name(), "writer user");
  EXPECT_EQ(c.created_by().email(), "writer@example.test");
  v1::UpdateCasesRequest u;
  auto* p = u.add_cases();
  p->set_id(c.id());
  p->set_version(c.version());
  p->set_title("renamed by sec_writer");
  v1::UpdateCasesResponse resp;
  grpc::Status s = CallWith(cases_.get(), &v1::CaseService::Stub::UpdateCases,
                            u, &resp, As("sec_writer"));
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(resp.cases(0).updated_by().username(), "sec_writer-user");
}

TEST_F(AuthServerTest, JwtBearerActsAsItsSubject) {
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  nlohmann::json claims = {{"iss", "https://idp.test"},
                           {"aud", "casebridge"},
                           {"sub", "jwt-alice"},
                           {"name", "Alice JWT"},
                           {"email", "alice@idp.test"},
                           {"exp", now + 300},
                           {"roles", {"cases:all:observability"}}};
  const std::string token = MintJwt("RS256", claims, jwt_key_->private_pem);
  v1::CreateCaseRequest r;
  r.set_title("from a JWT");
  r.set_description("d");
  r.set_owner("observability");
  v1::CreateCaseResponse resp;
  grpc::Status s = CallWith(cases_.get(), &v1::CaseService::Stub::CreateCase, r,
                            &resp, "Bearer " + token);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(resp.case_().created_by().username(), "jwt-alice");
  EXPECT_EQ(resp.case_().created_by().full_name(), "Alice JWT");
  r.set_owner("securitySolution");
  s = CallWith(cases_.get(), &v1::CaseService::Stub::CreateCase, r, &resp,
               "Bearer " + token);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  claims["exp"] = now - 3600;
  s = CallWith(cases_.get(), &v1::CaseService::Stub::CreateCase, r, &resp,
               "Bearer " + MintJwt("RS256", claims, jwt_key_->private_pem));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_NE(s.error_message().find("expired"), std::string::npos);
  claims["exp"] = now + 300;
  s = CallWith(cases_.get(), &v1::CaseService::Stub::CreateCase, r, &resp,
               "Bearer " + MintJwt("none", claims, ""));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(AuthServerTest, SearchesSeeOnlyReadableOwners) {
  CreateCase("securitySolution");
  v1::Case obs = CreateCase("observability");
  v1::FindCasesRequest r;
  r.set_per_page(100);
  v1::FindCasesResponse resp;
  ASSERT_TRUE(CallWith(cases_.get(), &v1::CaseService::Stub::FindCases, r,
                       &resp, As("obs_reader"))
                  .ok());
  ASSERT_GT(resp.total(), 0);
  for (const auto& c : resp.cases()) EXPECT_EQ(c.owner(), "observability");
  v1::FindCasesResponse all;
  ASSERT_TRUE(CallWith(cases_.get(), &v1::CaseService::Stub::FindCases, r, &all,
                       As("reader"))
                  .ok());
  EXPECT_GT(all.total(), resp.total());
  // An explicit filter can only narrow: an unreadable owner is refused.
  r.add_owners("securitySolution");
  grpc::Status s = CallWith(cases_.get(), &v1::CaseService::Stub::FindCases, r,
                            &resp, As("obs_reader"));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_NE(s.error_message().find("securitySolution"), std::string::npos);
  v1::ListTagsRequest tags;
  v1::ListTagsResponse tags_resp;
  ASSERT_TRUE(CallWith(cases_.get(), &v1::CaseService::Stub::ListTags, tags,
                       &tags_resp, As("obs_reader"))
                  .ok());
  // Object RPCs check the object's owner.
  v1::Case sec = CreateCase("securitySolution");
  v1::GetCaseRequest g;
  g.set_id(sec.id());
  v1::GetCaseResponse g_resp;
  s = CallWith(cases_.get(), &v1::CaseService::Stub::GetCase, g, &g_resp,
               As("obs_reader"));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  g.set_id(obs.id());
  EXPECT_TRUE(CallWith(cases_.get(), &v1::CaseService::Stub::GetCase, g,
                       &g_resp, As("obs_reader"))
                  .ok());
}

// Every RPC x role: allowed means the call got past authorization (its own
// result may still be an error such as NOT_FOUND), denied means
// PERMISSION_DENIED.
TEST_F(AuthServerTest, RpcRoleTable) {
  using Call = std::function<grpc::Status(const std::string& authorization)>;
  auto* cs = cases_.get();
  auto* ks = connectors_.get();
  using CS = v1::CaseService::Stub;
  using KS = v1::ConnectorService::Stub;
  // Objects for the read and update rows (owner securitySolution).
  const v1::Case shared = CreateCase("securitySolution");
  const v1::Attachment comment = AddComment(shared);
  {
    v1::SetConfigurationRequest r;
    r.set_owner("securitySolution");
    v1::SetConfigurationResponse resp;
    ASSERT_TRUE(CallWith(cs, &CS::SetConfiguration, r, &resp, As("root")).ok());
  }
  const std::set<std::string> kRead = {"reader", "writer", "sec_writer",
                                       "root"};
  const std::set<std::string> kSearch = {"reader", "writer", "sec_writer",
                                         "obs_reader", "root"};
  const std::set<std::string> kWrite = {"writer", "sec_writer", "root"};
  const std::set<std::string> kDelete = {"deleter", "root"};
  const std::set<std::string> kSettings = {"settings", "root"};
  const std::set<std::string> kConnRead = {"conn_read", "conn_all", "root"};
  const std::set<std::string> kConnAll = {"conn_all", "root"};

  struct Row {
    std::string rpc;
    std::set<std::string> allowed;
    Call call;
  };
  std::vector<Row> rows;
  // Each call builds its request; mutating rows work on fresh objects.
  rows.push_back({"CreateCase", kWrite, [&](const std::string& a) {
                    v1::CreateCaseRequest r;
                    r.set_title("t");
                    r.set_description("d");
                    r.set_owner("securitySolution");
                    v1::CreateCaseResponse resp;
                    return CallWith(cs, &CS::CreateCase, r, &resp, a);
                  }});
  rows.push_back({"GetCase", kRead, [&](const std::string& a) {
                    v1::GetCaseRequest r;
                    r.set_id(shared.id());
                    v1::GetCaseResponse resp;
                    return CallWith(cs, &CS::GetCase, r, &resp, a);
                  }});
  rows.push_back({"UpdateCases", kWrite, [&](const std::string& a) {
                    v1::Case c = CreateCase("securitySolution");
                    v1::UpdateCasesRequest r;
                    auto* p = r.add_cases();
                    p->set_id(c.id());
                    p->set_version(c.version());
                    p->set_title("new title");
                    v1::UpdateCasesResponse resp;
                    return CallWith(cs, &CS::UpdateCases, r, &resp, a);
                  }});
  rows.push_back({"DeleteCases", kDelete, [&](const std::string& a) {
                    v1::Case c = CreateCase("securitySolution");
                    v1::DeleteCasesRequest r;
                    r.add_ids(c.id());
                    v1::DeleteCasesResponse resp;
                    return CallWith(cs, &CS::DeleteCases, r, &resp, a);
                  }});
  rows.push_back({"FindCases", kSearch, [&](const std::string& a) {
                    v1::FindCasesRequest r;
                    v1::FindCasesResponse resp;
                    return CallWith(cs, &CS::FindCases, r, &resp, a);
                  }});
  rows.push_back({"GetCaseStatusCounts", kSearch, [&](const std::string& a) {
                    v1::GetCaseStatusCountsRequest r;
                    v1::GetCaseStatusCountsResponse resp;
                    return CallWith(cs, &CS::GetCaseStatusCounts, r, &resp, a);
                  }});
  rows.push_back({"ListReporters", kSearch, [&](const std::string& a) {
                    v1::ListReportersRequest r;
                    v1::ListReportersResponse resp;
                    return CallWith(cs, &CS::ListReporters, r, &resp, a);
                  }});
  rows.push_back({"ListTags", kSearch, [&](const std::string& a) {
                    v1::ListTagsRequest r;
                    v1::ListTagsResponse resp;
                    return CallWith(cs, &CS::ListTags, r, &resp, a);
                  }});
  rows.push_back({"ListCategories", kSearch, [&](const std::string& a) {
                    v1::ListCategoriesRequest r;
                    v1::ListCategoriesResponse resp;
                    return CallWith(cs, &CS::ListCategories, r, &resp, a);
                  }});
  rows.push_back({"GetCasesByAlert", kSearch, [&](const std::string& a) {
                    v1::GetCasesByAlertRequest r;
                    r.set_alert_id("alert-1");
                    v1::GetCasesByAlertResponse resp;
                    return CallWith(cs, &CS::GetCasesByAlert, r, &resp, a);
                  }});
  rows.push_back({"GetCaseAlerts", kRead, [&](const std::string& a) {
                    v1::GetCaseAlertsRequest r;
                    r.set_case_id(shared.id());
                    v1::GetCaseAlertsResponse resp;
                    return CallWith(cs, &CS::GetCaseAlerts, r, &resp, a);
                  }});
  rows.push_back({"AddComment", kWrite, [&](const std::string& a) {
                    v1::AddCommentRequest r;
                    r.set_case_id(shared.id());
                    r.mutable_attachment()->mutable_user()->set_comment("c");
                    v1::AddCommentResponse resp;
                    return CallWith(cs, &CS::AddComment, r, &resp, a);
                  }});
  rows.push_back({"UpdateComment", kWrite, [&](const std::string& a) {
                    v1::Case c = CreateCase("securitySolution");
                    v1::Attachment at = AddComment(c);
                    v1::UpdateCommentRequest r;
                    r.set_case_id(c.id());
                    r.set_comment_id(at.id());
                    r.set_version(at.version());
                    r.mutable_attachment()->mutable_user()->set_comment(
                        "edited");
                    v1::UpdateCommentResponse resp;
                    return CallWith(cs, &CS::UpdateComment, r, &resp, a);
                  }});
  rows.push_back({"GetComment", kRead, [&](const std::string& a) {
                    v1::GetCommentRequest r;
                    r.set_case_id(shared.id());
                    r.set_comment_id(comment.id());
                    v1::GetCommentResponse resp;
                    return CallWith(cs, &CS::GetComment, r, &resp, a);
                  }});
  rows.push_back({"FindComments", kRead, [&](const std::string& a) {
                    v1::FindCommentsRequest r;
                    r.set_case_id(shared.id());
                    v1::FindCommentsResponse resp;
                    return CallWith(cs, &CS::FindComments, r, &resp, a);
                  }});
  rows.push_back({"DeleteComment", kDelete, [&](const std::string& a) {
                    v1::Case c = CreateCase("securitySolution");
                    v1::Attachment at = AddComment(c);
                    v1::DeleteCommentRequest r;
                    r.set_case_id(c.id());
                    r.set_comment_id(at.id());
                    v1::DeleteCommentResponse resp;
                    return CallWith(cs, &CS::DeleteComment, r, &resp, a);
                  }});
  rows.push_back({"DeleteComments", kDelete, [&](const std::string& a) {
                    v1::Case c = CreateCase("securitySolution");
                    AddComment(c);
                    v1::DeleteCommentsRequest r;
                    r.set_case_id(c.id());
                    v1::DeleteCommentsResponse resp;
                    return CallWith(cs, &CS::DeleteComments, r, &resp, a);
                  }});
  rows.push_back({"FindCaseActivity", kRead, [&](const std::string& a) {
                    v1::FindCaseActivityRequest r;
                    r.set_case_id(shared.id());
                    v1::FindCaseActivityResponse resp;
                    return CallWith(cs, &CS::FindCaseActivity, r, &resp, a);
                  }});
  rows.push_back({"PushCase", kWrite, [&](const std::string& a) {
                    v1::PushCaseRequest r;
                    r.set_case_id(shared.id());
                    r.set_connector_id("none");
                    v1::PushCaseResponse resp;
                    return CallWith(cs, &CS::PushCase, r, &resp, a);
                  }});
  // A missing job has no owner: only roles over every owner get past the
  // check (to NOT_FOUND); an existing job is checked on its case's owner.
  const std::set<std::string> kReadAll = {"reader", "writer", "root"};
  const std::set<std::string> kWriteAll = {"writer", "root"};
  rows.push_back({"GetPushJob", kReadAll, [&](const std::string& a) {
                    v1::GetPushJobRequest r;
                    r.set_id("missing");
                    v1::GetPushJobResponse resp;
                    return CallWith(cs, &CS::GetPushJob, r, &resp, a);
                  }});
  rows.push_back({"ListPushJobs", kRead, [&](const std::string& a) {
                    v1::ListPushJobsRequest r;
                    r.set_case_id(shared.id());
                    v1::ListPushJobsResponse resp;
                    return CallWith(cs, &CS::ListPushJobs, r, &resp, a);
                  }});
  rows.push_back({"RetryPushJob", kWriteAll, [&](const std::string& a) {
                    v1::RetryPushJobRequest r;
                    r.set_id("missing");
                    v1::RetryPushJobResponse resp;
                    return CallWith(cs, &CS::RetryPushJob, r, &resp, a);
                  }});
  // A stream: allowed callers hold it open until the short deadline.
  rows.push_back({"WatchCases", kSearch, [&](const std::string& a) {
                    grpc::ClientContext ctx;
                    ctx.set_deadline(std::chrono::system_clock::now() +
                                     std::chrono::milliseconds(500));
                    if (!a.empty()) ctx.AddMetadata("authorization", a);
                    v1::WatchCasesRequest r;
                    auto reader = cs->WatchCases(&ctx, r);
                    v1::WatchCasesResponse event;
                    while (reader->Read(&event)) {
                    }
                    return reader->Finish();
                  }});
  rows.push_back({"GetConfiguration", kSearch, [&](const std::string& a) {
                    v1::GetConfigurationRequest r;
                    v1::GetConfigurationResponse resp;
                    return CallWith(cs, &CS::GetConfiguration, r, &resp, a);
                  }});
  rows.push_back({"SetConfiguration", kSettings, [&](const std::string& a) {
                    v1::SetConfigurationRequest r;
                    r.set_owner("securitySolution");
                    v1::SetConfigurationResponse resp;
                    return CallWith(cs, &CS::SetConfiguration, r, &resp, a);
                  }});
  rows.push_back({"UpdateConfiguration", kSettings, [&](const std::string& a) {
                    v1::GetConfigurationRequest g;
                    g.add_owners("securitySolution");
                    v1::GetConfigurationResponse current;
                    CallWith(cs, &CS::GetConfiguration, g, &current,
                             As("root"));
                    v1::UpdateConfigurationRequest r;
                    if (current.configurations_size() > 0) {
                      r.set_id(current.configurations(0).id());
                      r.set_version(current.configurations(0).version());
                    }
                    r.set_closure_type(v1::CLOSURE_TYPE_CLOSE_BY_PUSHING);
                    v1::UpdateConfigurationResponse resp;
                    return CallWith(cs, &CS::UpdateConfiguration, r, &resp, a);
                  }});
  rows.push_back({"FindConnectors", kConnRead, [&](const std::string& a) {
                    v1::FindConnectorsRequest r;
                    v1::FindConnectorsResponse resp;
                    return CallWith(cs, &CS::FindConnectors, r, &resp, a);
                  }});
  rows.push_back({"ListConnectorTypes", kConnRead, [&](const std::string& a) {
                    v1::ListConnectorTypesRequest r;
                    v1::ListConnectorTypesResponse resp;
                    return CallWith(ks, &KS::ListConnectorTypes, r, &resp, a);
                  }});
  rows.push_back({"CreateConnector", kConnAll, [&](const std::string& a) {
                    v1::CreateConnectorRequest r;
                    r.set_connector_type_id(".none-such");
                    r.set_name("n");
                    v1::CreateConnectorResponse resp;
                    return CallWith(ks, &KS::CreateConnector, r, &resp, a);
                  }});
  rows.push_back({"GetConnector", kConnRead, [&](const std::string& a) {
                    v1::GetConnectorRequest r;
                    r.set_id("missing");
                    v1::GetConnectorResponse resp;
                    return CallWith(ks, &KS::GetConnector, r, &resp, a);
                  }});
  rows.push_back({"ListConnectors", kConnRead, [&](const std::string& a) {
                    v1::ListConnectorsRequest r;
                    v1::ListConnectorsResponse resp;
                    return CallWith(ks, &KS::ListConnectors, r, &resp, a);
                  }});
  rows.push_back({"UpdateConnector", kConnAll, [&](const std::string& a) {
                    v1::UpdateConnectorRequest r;
                    r.set_id("missing");
                    r.set_name("n");
                    v1::UpdateConnectorResponse resp;
                    return CallWith(ks, &KS::UpdateConnector, r, &resp, a);
                  }});
  rows.push_back({"DeleteConnector", kConnAll, [&](const std::string& a) {
                    v1::DeleteConnectorRequest r;
                    r.set_id("missing");
                    v1::DeleteConnectorResponse resp;
                    return CallWith(ks, &KS::DeleteConnector, r, &resp, a);
                  }});
  rows.push_back({"ExecuteConnector", kConnRead, [&](const std::string& a) {
                    v1::ExecuteConnectorRequest r;
                    r.set_id("missing");
                    v1::ExecuteConnectorResponse resp;
                    return CallWith(ks, &KS::ExecuteConnector, r, &resp, a);
                  }});
  rows.push_back({"TestConnector", kConnAll, [&](const std::string& a) {
                    v1::TestConnectorRequest r;
                    r.set_connector_type_id(".none-such");
                    v1::TestConnectorResponse resp;
                    return CallWith(ks, &KS::TestConnector, r, &resp, a);
                  }});

  // Every RPC of both services has a row.
  std::set<std::string> covered;
  for (const Row& row : rows) covered.insert(row.rpc);
  for (const char* name :
       {"casebridge.v1.CaseService", "casebridge.v1.ConnectorService"}) {
    const google::protobuf::ServiceDescriptor* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
            name);
    ASSERT_NE(service, nullptr) << name;
    for (int i = 0; i < service->method_count(); ++i) {
      EXPECT_EQ(covered.count(service->method(i)->name()), 1u)
          << "no table row for " << service->method(i)->name();
    }
  }

  int checked = 0;
  for (const Row& row : rows) {
    grpc::Status anonymous = row.call("");
    EXPECT_EQ(anonymous.error_code(), grpc::StatusCode::UNAUTHENTICATED)
        << row.rpc << " without credentials";
    for (const Role& role : Roles()) {
      grpc::Status s = row.call(As(role.name));
      const bool allowed = row.allowed.count(role.name) > 0;
      if (allowed) {
        EXPECT_NE(s.error_code(), grpc::StatusCode::PERMISSION_DENIED)
            << row.rpc << " as " << role.name << ": " << s.error_message();
        EXPECT_NE(s.error_code(), grpc::StatusCode::UNAUTHENTICATED)
            << row.rpc << " as " << role.name;
        EXPECT_NE(s.error_code(), grpc::StatusCode::INTERNAL)
            << row.rpc << " as " << role.name << ": " << s.error_message();
      } else {
        EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED)
            << row.rpc << " as " << role.name << ": " << s.error_message();
      }
      ++checked;
    }
  }
  EXPECT_EQ(checked, static_cast<int>(rows.size() * Roles().size()));
}

// ApiKeyService: only admins manage keys; a created key is shown once, works
// at once with its roles, is listed without the key, and stops working when
// revoked.
TEST_F(AuthServerTest, ApiKeyServiceCreatesListsAndRevokesKeys) {
  auto keys = v1::ApiKeyService::NewStub(server_->channel());
  v1::CreateApiKeyRequest create;
  create.set_name("ci bot");
  create.mutable_principal()->set_username("ci-bot");
  create.mutable_principal()->set_full_name("CI bot");
  create.add_roles("cases:read:securitySolution");
  v1::CreateApiKeyResponse created;
  EXPECT_EQ(CallWith(keys.get(), &v1::ApiKeyService::Stub::CreateApiKey,
                     create, &created, As("writer"))
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(CallWith(keys.get(), &v1::ApiKeyService::Stub::CreateApiKey,
                       create, &created, As("admin"))
                  .ok());
  const std::string key = created.key();
  ASSERT_FALSE(key.empty());
  EXPECT_EQ(created.api_key().principal().username(), "ci-bot");
  EXPECT_EQ(created.api_key().created_by(), "admin-user");

  // Works at once, with exactly its roles.
  v1::FindCasesRequest find;
  find.add_owners("securitySolution");
  v1::FindCasesResponse found;
  EXPECT_TRUE(CallWith(cases_.get(), &v1::CaseService::Stub::FindCases, find,
                       &found, "ApiKey " + key)
                  .ok());
  v1::CreateCaseRequest write;
  write.set_title("t");
  write.set_description("d");
  write.set_owner("securitySolution");
  v1::CreateCaseResponse written;
  EXPECT_EQ(CallWith(cases_.get(), &v1::CaseService::Stub::CreateCase, write,
                     &written, "Bearer " + key)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  // Listed without the key.
  v1::ListApiKeysRequest list;
  v1::ListApiKeysResponse listed;
  ASSERT_TRUE(CallWith(keys.get(), &v1::ApiKeyService::Stub::ListApiKeys, list,
                       &listed, As("admin"))
                  .ok());
  bool seen = false;
  for (const auto& k : listed.api_keys()) {
    if (k.id() == created.api_key().id()) seen = true;
  }
  EXPECT_TRUE(seen);
  EXPECT_EQ(listed.DebugString().find(key), std::string::npos);

  v1::RevokeApiKeyRequest revoke;
  revoke.set_id(created.api_key().id());
  v1::RevokeApiKeyResponse revoked;
  ASSERT_TRUE(CallWith(keys.get(), &v1::ApiKeyService::Stub::RevokeApiKey,
                       revoke, &revoked, As("admin"))
                  .ok());
  EXPECT_EQ(CallWith(cases_.get(), &v1::CaseService::Stub::FindCases, find,
                     &found, "ApiKey " + key)
                .error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  revoke.set_id("no-such-key");
  EXPECT_EQ(CallWith(keys.get(), &v1::ApiKeyService::Stub::RevokeApiKey,
                     revoke, &revoked, As("admin"))
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(AuthServerTest, AuditLogRecordsDecisionsAndMutationsWithoutSecrets) {
  v1::Case c = CreateCase("securitySolution", "writer");
  v1::DeleteCasesRequest d;
  d.add_ids(c.id());
  v1::DeleteCasesResponse dr;
  EXPECT_EQ(CallWith(cases_.get(), &v1::CaseService::Stub::DeleteCases, d, &dr,
                     As("reader"))
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  const std::string planted = "ApiKey planted-secret-0123456789abcdef";
  v1::FindCasesRequest f;
  v1::FindCasesResponse fr;
  EXPECT_EQ(
      CallWith(cases_.get(), &v1::CaseService::Stub::FindCases, f, &fr, planted)
          .error_code(),
      grpc::StatusCode::UNAUTHENTICATED);
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  const std::string token = MintJwt("RS256",
                                    {{"iss", "https://idp.test"},
                                     {"aud", "casebridge"},
                                     {"sub", "jwt-bob"},
                                     {"exp", now + 300},
                                     {"roles", {"cases:read"}}},
                                    jwt_key_->private_pem);
  EXPECT_TRUE(CallWith(cases_.get(), &v1::CaseService::Stub::FindCases, f, &fr,
                       "Bearer " + token)
                  .ok());

  const std::string audit = ReadFile(*dir_ + "/audit.jsonl");
  bool saw_create_allow = false, saw_create_success = false,
       saw_delete_deny = false, saw_unauthenticated = false, saw_jwt = false;
  std::istringstream lines(audit);
  std::string line;
  int n = 0;
  while (std::getline(lines, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    ASSERT_TRUE(j.is_object()) << line;
    ASSERT_TRUE(j.contains("@timestamp") && j.contains("outcome") &&
                j.contains("method") && j.contains("principal"))
        << line;
    ++n;
    const std::string method = j["method"];
    const std::string outcome = j["outcome"];
    if (method == "CaseService.CreateCase" &&
        j["principal"] == "apikey:writer" && outcome == "allow" &&
        j.value("owner", "") == "securitySolution") {
      saw_create_allow = true;
    }
    if (method == "CaseService.CreateCase" && j["event"] == "mutation" &&
        j["principal"] == "apikey:writer" && outcome == "success") {
      saw_create_success = true;
    }
    if (method == "CaseService.DeleteCases" && outcome == "deny" &&
        j["principal"] == "apikey:reader" &&
        j.value("object_id", "") == c.id() &&
        j.value("reason", "").find("cases:delete") != std::string::npos) {
      saw_delete_deny = true;
    }
    if (j["event"] == "authentication" && outcome == "deny") {
      saw_unauthenticated = true;
    }
    if (j["principal"] == "jwt:jwt-bob" && j["auth_method"] == "jwt")
      saw_jwt = true;
  }
  EXPECT_GT(n, 4);
  EXPECT_TRUE(saw_create_allow);
  EXPECT_TRUE(saw_create_success);
  EXPECT_TRUE(saw_delete_deny);
  EXPECT_TRUE(saw_unauthenticated);
  EXPECT_TRUE(saw_jwt);
  const std::string server_log = server_->ReadStderr();
  for (const auto& [name, key] : *keys_) {
    EXPECT_EQ(audit.find(key), std::string::npos) << name << " key in audit";
    EXPECT_EQ(server_log.find(key), std::string::npos) << name << " key in log";
  }
  for (const std::string& secret :
       {std::string("planted-secret-0123456789abcdef"), token,
        token.substr(token.rfind('.') + 1)}) {
    EXPECT_EQ(audit.find(secret), std::string::npos);
    EXPECT_EQ(server_log.find(secret), std::string::npos);
  }
  // Only the "what to send" hint may mention the schemes.
  EXPECT_EQ(audit.find("ApiKey cbk_"), std::string::npos);
  EXPECT_EQ(audit.find("ApiKey planted"), std::string::npos);
  EXPECT_EQ(audit.find("Bearer eyJ"), std::string::npos);
}

// ------------------------------------------------- separate server configs

TEST(AuthServerConfigTest, MutualTlsRequiresAClientCertificate) {
  const std::string dir = MakeDir("mtls");
  TestCertificateAuthority server_ca("server CA");
  TestCertificateAuthority client_ca("client CA");
  TestCertificate cert = server_ca.Issue({"localhost"}, {"127.0.0.1"});
  WriteFile(dir + "/server.crt", cert.cert_pem);
  WriteFile(dir + "/server.key", cert.key_pem);
  WriteFile(dir + "/clients.crt", client_ca.ca_pem());
  ServerOptions options;
  options.open_access = false;
  options.config_yaml = absl::StrCat(
      "tls: {mode: mtls, cert_file: ", dir, "/server.crt, key_file: ", dir,
      "/server.key, client_ca_file: ", dir, "/clients.crt}\n",
      "auth: {anonymous: {roles: [superuser]}}\n");
  TestCertificate client = client_ca.Issue({"client.test"}, {});
  options.channel_credentials =
      grpc::SslCredentials(grpc::SslCredentialsOptions{
          server_ca.ca_pem(), client.key_pem, client.cert_pem});
  options.tls_target_name = "localhost";
  ServerProcess server(std::move(options));
  ASSERT_TRUE(server.Start().ok()) << server.ReadStderr();
  auto stub = server.NewCaseStub();
  v1::FindCasesRequest r;
  v1::FindCasesResponse resp;
  EXPECT_TRUE(
      CallWith(stub.get(), &v1::CaseService::Stub::FindCases, r, &resp, "")
          .ok());
  // Without a client certificate, and with one from another CA: no channel.
  TestCertificate stranger = server_ca.Issue({"stranger.test"}, {});
  for (const auto& creds :
       {grpc::SslCredentialsOptions{server_ca.ca_pem(), "", ""},
        grpc::SslCredentialsOptions{server_ca.ca_pem(), stranger.key_pem,
                                    stranger.cert_pem}}) {
    grpc::ChannelArguments args;
    args.SetSslTargetNameOverride("localhost");
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    auto channel = grpc::CreateCustomChannel(server.address(),
                                             grpc::SslCredentials(creds), args);
    auto other = v1::CaseService::NewStub(channel);
    grpc::Status s =
        CallWith(other.get(), &v1::CaseService::Stub::FindCases, r, &resp, "");
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE)
        << s.error_message();
  }
  server.Stop();
  std::filesystem::remove_all(dir);
}

TEST(AuthServerConfigTest, RateLimitAnswersResourceExhausted) {
  ServerOptions options;
  options.open_access = false;
  options.config_yaml =
      "tls: {mode: plaintext}\n"
      "auth:\n  anonymous: {roles: [superuser]}\n"
      "  rate_limit: {per_second: 0.001, burst: 3}\n";
  ServerProcess server(std::move(options));
  ASSERT_TRUE(server.Start().ok()) << server.ReadStderr();
  auto stub = server.NewCaseStub();
  v1::ListTagsRequest r;
  v1::ListTagsResponse resp;
  int ok = 0, exhausted = 0;
  for (int i = 0; i < 6; ++i) {
    grpc::Status s =
        CallWith(stub.get(), &v1::CaseService::Stub::ListTags, r, &resp, "");
    if (s.ok()) ++ok;
    if (s.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) ++exhausted;
  }
  EXPECT_EQ(ok, 3);
  EXPECT_EQ(exhausted, 3);
  server.Stop();
}

TEST(AuthServerConfigTest, OversizedRequestIsResourceExhausted) {
  ServerOptions options;
  options.config_yaml = "max_request_bytes: 4096\n";
  ServerProcess server(std::move(options));
  ASSERT_TRUE(server.Start().ok()) << server.ReadStderr();
  auto stub = server.NewCaseStub();
  v1::CreateCaseRequest r;
  r.set_title("big");
  r.set_description(std::string(20000, 'x'));
  r.set_owner("cases");
  v1::CreateCaseResponse resp;
  grpc::Status s =
      CallWith(stub.get(), &v1::CaseService::Stub::CreateCase, r, &resp, "");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
      << s.error_message();
  server.Stop();
}

TEST(AuthServerConfigTest, RefusesToStartWithoutTlsOrExplicitPlaintext) {
  ServerOptions options;
  options.open_access = false;
  options.config_yaml = "log_level: info\n";
  options.start_timeout = std::chrono::milliseconds(10000);
  ServerProcess server(std::move(options));
  absl::Status s = server.Start();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(server.ReadStderr().find("tls.cert_file"), std::string::npos)
      << server.ReadStderr();
}

}  // namespace
}  // namespace casebridge::testing
