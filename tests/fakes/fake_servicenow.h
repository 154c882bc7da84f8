// FakeServiceNow: a strict in-process ServiceNow instance on loopback HTTP
// (over FakeHttpServer) serving what the ServiceNow ITSM/SecOps connectors
// call (external-systems.md §2.6, §2.9, §2.11): the Table API for incident
// and sn_si_incident, the Elastic app's import sets, health and SIR
// observables endpoints, sys_dictionary, sys_choice and /oauth_token.do.
//
// It is strict: every API call needs Basic auth with the configured user or a
// Bearer token it issued and that has not expired; token requests must carry
// an RS256 JWT assertion whose signature verifies against the configured
// public key and whose kid/iss/aud/sub/iat/exp match; import-set bodies must
// use u_-prefixed staging columns; unknown tables, fields and missing
// mandatory fields are refused with ServiceNow's error JSON
// {"error":{"message","detail"},"status":"failure"}. Timestamps come from a
// fake clock that advances one second per write, so they are deterministic.
//
// Thread-safety: all public methods may be called from any thread while the
// server runs; handlers serialise on one mutex.
#ifndef CASEBRIDGE_TESTS_FAKES_FAKE_SERVICENOW_H_
#define CASEBRIDGE_TESTS_FAKES_FAKE_SERVICENOW_H_

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "tests/fakes/fake_http_server.h"

namespace casebridge::testing {

struct FakeServiceNowOptions {
  std::string username = "elastic";
  std::string password = "changeme";
  std::string client_id = "sn-client-id";
  std::string client_secret = "sn-client-secret";
  std::string jwt_key_id = "sn-kid-1";
  std::string user_identifier = "elastic@example.com";
  // PEM public key verifying JWT assertions; empty disables the token
  // endpoint (every grant refused).
  std::string jwt_public_key_pem;
  // expires_in of issued tokens; tokens stop working after it.
  int token_expires_in_seconds = 3600;
  bool elastic_app_installed = true;
};

class FakeServiceNow {
 public:
  explicit FakeServiceNow(FakeServiceNowOptions options = {});
  ~FakeServiceNow();
  FakeServiceNow(const FakeServiceNow&) = delete;
  FakeServiceNow& operator=(const FakeServiceNow&) = delete;

  void Start() { http_.Start(); }
  std::string base_url() const { return http_.base_url(); }
  // The underlying server: requests(), InjectFaults(), ReleaseHangs().
  FakeHttpServer& http() { return http_; }

  // Stored records of `table` ("incident" or "sn_si_incident"), oldest
  // first. A record has sys_id, number, sys_created_on, sys_updated_on,
  // state (default "1") and every field written to it.
  std::vector<nlohmann::json> Incidents(const std::string& table) const;
  std::optional<nlohmann::json> Incident(const std::string& table,
                                         const std::string& sys_id) const;
  // Work notes appended to an incident, in order.
  std::vector<std::string> WorkNotes(const std::string& sys_id) const;
  // Observables added to a security incident ([{value, type}], in order).
  nlohmann::json Observables(const std::string& sys_id) const;
  // Inserts a record directly (test setup); returns it.
  nlohmann::json AddIncident(const std::string& table, nlohmann::json fields);

  // OAuth: tokens issued so far, the last assertion's decoded header and
  // claims, and switches to invalidate every issued token.
  int tokens_issued() const;
  nlohmann::json last_jwt_header() const;
  nlohmann::json last_jwt_claims() const;
  void RevokeAllTokens();
  void set_elastic_app_installed(bool installed);

  // Faults. Sleeping: every request is answered 200 with an HTML page, as a
  // hibernating developer instance does.
  void SetSleeping(bool sleeping);
  // The next `count` requests under `path_prefix` get 429 with Retry-After.
  void InjectRateLimit(int count, int retry_after_seconds,
                       const std::string& path_prefix = "");
  // The next `count` requests under `path_prefix` get `status` with
  // ServiceNow's error JSON.
  void InjectError(int count, int status, const std::string& message,
                   const std::string& path_prefix = "");
  // The next `count` requests under `path_prefix` hang until ReleaseHangs().
  void InjectHang(int count, const std::string& path_prefix = "");

  // Requests received, in order (FakeHttpServer::requests()).
  std::vector<FakeRequest> requests() const { return http_.requests(); }

 private:
  bool Authorized(const FakeRequest& request);

  FakeResponse Token(const FakeRequest& request);
  FakeResponse Health(const FakeRequest& request);
  FakeResponse ImportSet(const FakeRequest& request);
  FakeResponse TableCreate(const FakeRequest& request);
  FakeResponse TableUpdate(const FakeRequest& request);
  FakeResponse TableGet(const FakeRequest& request);
  FakeResponse TableQuery(const FakeRequest& request);
  FakeResponse Dictionary(const FakeRequest& request);
  FakeResponse Choices(const FakeRequest& request);
  FakeResponse Observe(const FakeRequest& request);

  // Writes `fields` (unprefixed, nulls ignored) to a new (id empty) or
  // existing record; returns the record. Caller holds mu_.
  nlohmann::json& WriteLocked(const std::string& table, const std::string& id,
                              const nlohmann::json& fields);
  std::string NextTimestampLocked();

  FakeServiceNowOptions options_;
  FakeHttpServer http_;

  mutable std::mutex mu_;
  bool sleeping_ = false;
  // table -> records in insertion order
  std::map<std::string, std::vector<nlohmann::json>> tables_;
  std::map<std::string, std::vector<std::string>> work_notes_;
  std::map<std::string, nlohmann::json> observables_;
  std::map<std::string, std::chrono::steady_clock::time_point> tokens_;
  int tokens_issued_ = 0;
  nlohmann::json last_jwt_header_, last_jwt_claims_;
  int64_t clock_seconds_;  // fake clock, Unix seconds
  int next_number_ = 10001;
  int next_id_ = 1;
};

}  // namespace casebridge::testing

#endif  // CASEBRIDGE_TESTS_FAKES_FAKE_SERVICENOW_H_
