// Config file parsing of the connectors: and http: sections, and resolution
// of the secrets keys from the environment and key files.
#include "server/config/config.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace casebridge::config {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ =
        (fs::temp_directory_path() / "cb-config-XXXXXX").string();
    dir_ = mkdtemp(templ.data());
    unsetenv("CASEBRIDGE_ENCRYPTION_KEY");
    unsetenv("CASEBRIDGE_OLD_ENCRYPTION_KEYS");
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = (fs::path(dir_) / name).string();
    std::ofstream(path) << text;
    return path;
  }
  std::string dir_;
};

TEST_F(ConfigTest, ParsesConnectorsAndHttpSections) {
  auto config = LoadConfigFile(Write("c.yaml", R"(
tls: {mode: plaintext}
connectors:
  enabled_connector_types: [".jira"]
  execute_timeout_ms: 5000
  preconfigured:
    b-jira:
      name: Jira
      connector_type_id: .jira
      config: {apiUrl: "https://x", retries: 3, ratio: 0.5, on: true, quoted: "7", none: ~}
      secrets: {apiToken: "t"}
    a-sn:
      name: SN
      connector_type_id: .servicenow
http:
  allowed_hosts: [jira.example]
  allowed_private_cidrs: ["10.0.0.0/8"]
  response_timeout_ms: 1000
  proxy_headers: {X-Proxy: yes}
  host_settings:
    - url: https://jira.example
      verification_mode: certificate
      ca_files: [/tmp/ca.pem]
)"));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_THAT(config->connectors.enabled_connector_types, ElementsAre(".jira"));
  EXPECT_EQ(config->connectors.execute_timeout_ms, 5000);
  ASSERT_EQ(config->connectors.preconfigured.size(), 2u);
  EXPECT_EQ(config->connectors.preconfigured[0].id, "a-sn");
  const PreconfiguredConnector& jira = config->connectors.preconfigured[1];
  EXPECT_EQ(jira.connector_type_id, ".jira");
  EXPECT_EQ(jira.config["retries"], 3);
  EXPECT_EQ(jira.config["ratio"], 0.5);
  EXPECT_EQ(jira.config["on"], true);
  EXPECT_EQ(jira.config["quoted"], "7");
  EXPECT_TRUE(jira.config["none"].is_null());
  EXPECT_EQ(jira.secrets["apiToken"], "t");
  EXPECT_THAT(config->http.allowed_hosts, ElementsAre("jira.example"));
  EXPECT_EQ(config->http.response_timeout_ms, 1000);
  EXPECT_EQ(config->http.proxy_headers.at("X-Proxy"), "yes");
  ASSERT_EQ(config->http.host_settings.size(), 1u);
  EXPECT_EQ(config->http.host_settings[0].verification_mode, "certificate");
  EXPECT_TRUE(Validate(*config).ok());
}

TEST_F(ConfigTest, UnknownKeysAndInvalidIdsAreErrors) {
  auto config = LoadConfigFile(Write("c.yaml", R"(
connectors:
  nope: 1
  preconfigured:
    constructor: {name: x, connector_type_id: .a}
    ok: {name: x}
http:
  allowed_host: []
)"));
  ASSERT_FALSE(config.ok());
  const std::string message(config.status().message());
  EXPECT_THAT(message, HasSubstr("unknown key 'connectors.nope'"));
  EXPECT_THAT(message, HasSubstr("invalid connector id \"constructor\""));
  EXPECT_THAT(
      message,
      HasSubstr("'connectors.preconfigured.ok.connector_type_id' is required"));
  EXPECT_THAT(message, HasSubstr("unknown key 'http.allowed_host'"));
}

TEST_F(ConfigTest, ValidateChecksVerificationModes) {
  Config config;
  config.http.verification_mode = "sometimes";
  absl::Status s = Validate(config);
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), HasSubstr("http.verification_mode"));
}

TEST_F(ConfigTest, PostgresSectionAndDsnFromEnvironment) {
  auto config = LoadConfigFile(Write("c.yaml", R"(
tls: {mode: plaintext}
store: postgres
postgres:
  dsn: "host=db dbname=casebridge"
  pool_size: 4
  acquire_timeout_ms: 250
  statement_timeout_ms: 0
)"));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->store, "postgres");
  EXPECT_EQ(config->postgres.dsn, "host=db dbname=casebridge");
  EXPECT_EQ(config->postgres.pool_size, 4);
  EXPECT_EQ(config->postgres.acquire_timeout_ms, 250);
  EXPECT_EQ(config->postgres.statement_timeout_ms, 0);
  EXPECT_TRUE(Validate(*config).ok());

  setenv("CASEBRIDGE_POSTGRES_DSN", "host=/run/pg dbname=cb", 1);
  ASSERT_TRUE(ApplyEnvironment(*config).ok());
  unsetenv("CASEBRIDGE_POSTGRES_DSN");
  EXPECT_EQ(config->postgres.dsn, "host=/run/pg dbname=cb");

  config->postgres.dsn.clear();
  config->postgres.pool_size = 0;
  absl::Status s = Validate(*config);
  EXPECT_THAT(std::string(s.message()), HasSubstr("postgres.dsn"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("postgres.pool_size"));

  auto bad = LoadConfigFile(Write("bad.yaml", "postgres: {dns: x}\n"));
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()),
              HasSubstr("unknown key 'postgres.dns'"));
}

TEST_F(ConfigTest, EncryptionKeysFromFilesAndEnvironment) {
  Config config;
  auto none = ResolveEncryptionKeys(config);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->primary.empty());

  config.connectors.encryption_key_file =
      Write("key", "  primary-key-from-file \n");
  config.connectors.old_encryption_keys_file =
      Write("old", "old-one\n\nold-two\n");
  auto from_files = ResolveEncryptionKeys(config);
  ASSERT_TRUE(from_files.ok());
  EXPECT_EQ(from_files->primary, "primary-key-from-file");
  EXPECT_THAT(from_files->old_keys, ElementsAre("old-one", "old-two"));

  setenv("CASEBRIDGE_ENCRYPTION_KEY", "primary-from-env", 1);
  setenv("CASEBRIDGE_OLD_ENCRYPTION_KEYS", "env-old-1, env-old-2", 1);
  auto from_env = ResolveEncryptionKeys(config);
  ASSERT_TRUE(from_env.ok());
  EXPECT_EQ(from_env->primary, "primary-from-env");
  EXPECT_THAT(from_env->old_keys,
              ElementsAre("old-one", "old-two", "env-old-1", "env-old-2"));
  unsetenv("CASEBRIDGE_ENCRYPTION_KEY");
  unsetenv("CASEBRIDGE_OLD_ENCRYPTION_KEYS");

  config.connectors.encryption_key_file = (fs::path(dir_) / "missing").string();
  auto missing = ResolveEncryptionKeys(config);
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(std::string(missing.status().message()),
              HasSubstr("connectors.encryption_key_file"));
}

TEST_F(ConfigTest, ParsesTlsAndAuthSections) {
  auto config = LoadConfigFile(Write("s.yaml", R"(
tls: {mode: mtls, cert_file: /c.crt, key_file: /c.key, client_ca_file: /ca.crt}
auth:
  anonymous: {roles: ["cases:read"], principal: {username: anon}}
  api_keys:
    - id: ci
      sha256: ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
      principal: {username: ci-bot}
      roles: ["cases:all:securitySolution"]
  jwt: {public_key_files: [/idp.pem], issuer: idp, audiences: [cb], roles_claim: groups}
  audit_log: /var/log/audit.jsonl
  rate_limit: {per_second: 5, burst: 10}
)"));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->tls.mode, "mtls");
  EXPECT_EQ(config->tls.client_ca_file, "/ca.crt");
  EXPECT_TRUE(config->auth.anonymous.enabled);
  EXPECT_EQ(config->auth.anonymous.principal.username, "anon");
  ASSERT_EQ(config->auth.api_keys.size(), 1u);
  EXPECT_EQ(config->auth.api_keys[0].principal.username, "ci-bot");
  EXPECT_EQ(config->auth.jwt.roles_claim, "groups");
  EXPECT_EQ(config->auth.audit_log_path, "/var/log/audit.jsonl");
  EXPECT_EQ(config->auth.rate_limit_burst, 10);
  EXPECT_TRUE(Validate(*config).ok()) << Validate(*config);
}

TEST_F(ConfigTest, SecurityProblemsAreReported) {
  // A key in the file instead of its hash, and no TLS material.
  auto config = LoadConfigFile(Write("k.yaml", R"(
auth:
  api_keys:
    - {id: x, key: hunter2, principal: {username: u}}
)"));
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("sha256"), absl::string_view::npos);
  EXPECT_EQ(config.status().message().find("hunter2"), absl::string_view::npos);
  Config plain;
  absl::Status s = Validate(plain);
  EXPECT_NE(s.message().find("tls.cert_file"), absl::string_view::npos) << s;
  plain.tls.mode = "plaintext";
  EXPECT_TRUE(Validate(plain).ok());
}

}  // namespace
}  // namespace casebridge::config

namespace casebridge::config {
namespace {

using ::testing::HasSubstr;

TEST(JobsConfigTest, ParsesTheJobsSectionAndValidatesIt) {
  std::string templ =
      (std::filesystem::temp_directory_path() / "cb-jobs-XXXXXX").string();
  const std::string dir = mkdtemp(templ.data());
  const std::string path = dir + "/c.yaml";
  std::ofstream(path) << "tls: {mode: plaintext}\n"
                         "jobs:\n  workers: 8\n  max_attempts: 3\n"
                         "  backoff_base_ms: 50\n  backoff_cap_ms: 400\n"
                         "  lease_ms: 1000\n  attempt_timeout_ms: 2000\n"
                         "  poll_ms: 100\n  push_wait_ms: 5000\n";
  auto config = LoadConfigFile(path);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->jobs.workers, 8);
  EXPECT_EQ(config->jobs.max_attempts, 3);
  EXPECT_EQ(config->jobs.backoff_base_ms, 50);
  EXPECT_EQ(config->jobs.backoff_cap_ms, 400);
  EXPECT_EQ(config->jobs.lease_ms, 1000);
  EXPECT_EQ(config->jobs.attempt_timeout_ms, 2000);
  EXPECT_EQ(config->jobs.poll_ms, 100);
  EXPECT_EQ(config->jobs.push_wait_ms, 5000);
  EXPECT_TRUE(Validate(*config).ok());

  std::ofstream(path) << "jobs:\n  worker: 8\n";
  auto bad = LoadConfigFile(path);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()),
              HasSubstr("unknown key 'jobs.worker'"));

  Config c;
  c.jobs.workers = 0;
  c.jobs.backoff_cap_ms = 1;
  absl::Status s = Validate(c);
  EXPECT_THAT(std::string(s.message()), HasSubstr("jobs.workers"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("jobs.backoff_cap_ms"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace casebridge::config
