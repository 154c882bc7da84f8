// FakeResilient: a strict in-process IBM Resilient / QRadar SOAR REST API for
// the .resilient connector tests (external-systems.md §4.4, §4.7). It checks
// Basic API-key auth, the org in the path, Content-Type, the query flags
// Kibana sends, body shapes per field input_type, allowed select values and
// the PATCH old_value against the stored incident; it answers with
// Resilient's error shape {success:false, title, message, hints, error_code}
// and keeps incidents and comments.
//
// Thread-safety: all methods may be called from any thread; the handlers run
// on the server's threads under one mutex. Fault switches go through
// server() (FakeHttpServer::InjectFaults) or the helpers below.
#ifndef CASEBRIDGE_TESTS_FAKES_FAKE_RESILIENT_H_
#define CASEBRIDGE_TESTS_FAKES_FAKE_RESILIENT_H_

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "tests/fakes/fake_http_server.h"

namespace casebridge::testing {

class FakeResilient {
 public:
  FakeResilient(std::string org_id, std::string key_id, std::string key_secret);

  // Starts the HTTP server on an ephemeral port.
  void Start();
  // "http://127.0.0.1:<port>": the connector's apiUrl.
  std::string base_url() const { return server_.base_url(); }
  FakeHttpServer& server() { return server_; }

  // The incident field metadata served by GET .../types/incident/fields.
  // Defaults: name (text), description (textarea), incident_type_ids
  // (multiselect 1001/16/12), severity_code (select 4/5/6), discovered_date
  // (datetimepicker), plan_status (select "A"/"C") and the custom fields
  // (prefix "properties") casebridge_case_id (text), custom_notes (textarea),
  // custom_select (select 101/102), custom_flag (boolean), custom_count
  // (number).
  nlohmann::json fields() const;
  void SetFields(nlohmann::json fields);

  // Stored incidents (objects_convert representation) and comments.
  std::optional<nlohmann::json> incident(int64_t id) const;
  std::vector<nlohmann::json> comments(int64_t id) const;
  size_t incident_count() const;
  // Stores `incident` (must hold at least "name") and returns its new id.
  int64_t SeedIncident(nlohmann::json incident);
  // Every PATCH body received, in order.
  std::vector<nlohmann::json> patches() const;

  // The next `count` requests get `status` with a Resilient error body
  // carrying `message` (and Retry-After when given).
  void FailNext(int count, int status, std::string message,
                std::string retry_after = "");
  // PATCH answers 200 {success:false, message} while set.
  void SetPatchFailure(std::optional<std::string> message);

 private:
  FakeResponse Route(const FakeRequest& request);
  FakeResponse CreateIncident(const FakeRequest& request,
                              const nlohmann::json& body);
  FakeResponse PatchIncident(int64_t id, const nlohmann::json& body);
  FakeResponse Query(const FakeRequest& request, const nlohmann::json& body);
  const nlohmann::json* FieldMeta(const std::string& name) const;
  int64_t NextTimestamp();

  FakeHttpServer server_;
  const std::string org_id_;
  const std::string expected_auth_;

  mutable std::mutex mu_;
  nlohmann::json fields_;
  std::map<int64_t, nlohmann::json> incidents_;
  std::map<int64_t, std::vector<nlohmann::json>> comments_;
  std::vector<nlohmann::json> patches_;
  std::optional<std::string> patch_failure_;
  int64_t next_id_ = 2000;
  int64_t last_timestamp_ = 0;
};

}  // namespace casebridge::testing

#endif  // CASEBRIDGE_TESTS_FAKES_FAKE_RESILIENT_H_
