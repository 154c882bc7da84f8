// The ".jira" connector: one configured Jira Cloud or Data Center project,
// spoken to through Jira's REST API v2 with Basic auth (email or username and
// API token or password). Sub-actions, their params and results are listed in
// plugins/jira/README.md; behaviour follows Kibana's .jira connector.
//
// Errors are sdk::Error with the message
// "[Action][Jira]: <context>. Error: <cause>. Reason: <Jira's reason>", a
// code derived from the HTTP status (429/5xx and transport failures are
// retryable, with Retry-After honoured), and details {status, response,
// service_message} (service_message = Jira's reason text).
//
// Thread-safety: an instance is immutable after construction, so Execute may
// run concurrently. It uses the Context only during the call it got it for.
#ifndef CASEBRIDGE_PLUGINS_JIRA_JIRA_CONNECTOR_H_
#define CASEBRIDGE_PLUGINS_JIRA_JIRA_CONNECTOR_H_

#include <string>
#include <string_view>
#include <vector>

#include "casebridge/plugin.hpp"
#include "nlohmann/json.hpp"

namespace casebridge::jira {

// Rejects config/secrets the schemas cannot: empty values, an apiUrl that is
// not http(s)://host..., a projectKey that is not [A-Za-z0-9_]+.
// Throws sdk::Error(kInvalidArgument).
void ValidateJiraConfig(const nlohmann::json& config,
                        const nlohmann::json& secrets);

class JiraConnector : public sdk::Connector {
 public:
  // Throws sdk::Error(kInvalidArgument) for a bad config (ValidateJiraConfig).
  JiraConnector(const sdk::CreateArgs& args, sdk::Context& ctx);

  sdk::Result Execute(std::string_view sub_action, const nlohmann::json& params,
                      sdk::Context& ctx) override;

 private:
  nlohmann::json PushToService(const nlohmann::json& params,
                               sdk::Context& ctx) const;
  nlohmann::json GetIncident(const std::string& external_id,
                             sdk::Context& ctx) const;
  nlohmann::json GetFields(sdk::Context& ctx) const;
  nlohmann::json GetIssueTypes(sdk::Context& ctx) const;
  nlohmann::json GetFieldsByIssueType(const std::string& issue_type_id,
                                      sdk::Context& ctx) const;
  nlohmann::json SearchIssues(const std::string& title,
                              sdk::Context& ctx) const;
  nlohmann::json GetIssue(const std::string& id, sdk::Context& ctx) const;
  nlohmann::json FindByCaseId(const std::string& case_id,
                              sdk::Context& ctx) const;
  nlohmann::json Handshake(sdk::Context& ctx) const;

  // GET /rest/api/2/search/jql?jql=<jql><rest_of_query>; on 404 (Jira Data
  // Center, which lacks it) the same query on /rest/api/2/search.
  nlohmann::json Search(sdk::Context& ctx, const std::string& jql,
                        const std::string& rest_of_query,
                        const std::string& context) const;
  // Reads every page of a createmeta listing (`issueTypes`/`fields` on
  // Cloud, `values` on Data Center).
  std::vector<nlohmann::json> GetCreateMetaList(const std::string& url,
                                                const char* cloud_key,
                                                const std::string& context,
                                                sdk::Context& ctx) const;
  // The issue's `fields` (created/updated parsed) after create or update.
  nlohmann::json BuildFields(const nlohmann::json& incident, bool create,
                             sdk::Context& ctx) const;

  // One Jira REST call. Returns the JSON object body (null for 204); throws
  // sdk::Error formatted with `context` for transport failures, HTTP errors
  // and responses that are not JSON objects or lack `required` keys.
  nlohmann::json Call(sdk::Context& ctx, const std::string& method,
                      const std::string& url, const nlohmann::json* body,
                      const std::string& context,
                      const std::vector<std::string>& required) const;

  std::string IssueUrl(std::string_view id_or_key) const;
  std::string BrowseUrl(std::string_view key) const;

  std::string base_url_;  // apiUrl without one trailing slash
  std::string project_key_;
  std::string authorization_;  // "Basic ..."
};

}  // namespace casebridge::jira

#endif  // CASEBRIDGE_PLUGINS_JIRA_JIRA_CONNECTOR_H_
