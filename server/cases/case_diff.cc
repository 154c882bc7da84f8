#include "server/cases/case_diff.h"

#include <algorithm>
#include <set>
#include <utility>

#include "server/cases/kibana_json.h"
#include "server/util/ids.h"

namespace casebridge::cases {

using store::Json;

namespace {

store::UserAction MakeAction(const store::Case& c, const char* type,
                             const char* action, Json payload,
                             const store::User& user, absl::Time now) {
  store::UserAction a;
  a.id = NewUuid();
  a.case_id = c.id;
  a.type = type;
  a.action = action;
  a.payload = std::move(payload);
  a.created_at = now;
  a.created_by = user;
  a.owner = c.owner;
  return a;
}

// Values of `a` not in `b`, in `a`'s order.
std::vector<std::string> Minus(const std::vector<std::string>& a,
                               const std::vector<std::string>& b) {
  std::set<std::string> in_b(b.begin(), b.end());
  std::vector<std::string> out;
  for (const auto& v : a) {
    if (in_b.count(v) == 0) out.push_back(v);
  }
  return out;
}

Json StringsJson(const std::vector<std::string>& values) {
  Json out = Json::array();
  for (const auto& v : values) out.push_back(v);
  return out;
}

Json CategoryJson(const std::optional<std::string>& category) {
  return category ? Json(*category) : Json(nullptr);
}

}  // namespace

store::UserAction CreateCaseAction(const store::Case& c,
                                   const store::User& user, absl::Time now) {
  Json payload{
      {"title", c.title},
      {"description", c.description},
      {"tags", StringsJson(c.tags)},
      {"status", StatusName(c.status)},
      {"severity", SeverityName(c.severity)},
      {"assignees", AssigneesJson(c.assignees)},
      {"settings", {{"syncAlerts", c.sync_alerts}}},
      {"owner", c.owner},
      {"connector", ConnectorJson(c.connector)},
      {"category", CategoryJson(c.category)},
      {"customFields", CustomFieldsJson(c.custom_fields)},
  };
  return MakeAction(c, "create_case", "create", std::move(payload), user, now);
}

bool CaseFieldsDiffer(const store::Case& a, const store::Case& b) {
  return a.title != b.title || a.description != b.description ||
         a.tags != b.tags || a.status != b.status || a.severity != b.severity ||
         a.assignees != b.assignees || !(a.connector == b.connector) ||
         a.sync_alerts != b.sync_alerts || a.category != b.category ||
         a.custom_fields != b.custom_fields;
}

std::vector<store::UserAction> DiffCase(const store::Case& original,
                                        const store::Case& updated,
                                        const store::User& user,
                                        absl::Time now) {
  std::vector<store::UserAction> out;
  const store::Case& c = updated;
  if (original.title != updated.title) {
    out.push_back(MakeAction(c, "title", "update", {{"title", updated.title}},
                             user, now));
  }
  if (original.description != updated.description) {
    out.push_back(MakeAction(c, "description", "update",
                             {{"description", updated.description}}, user,
                             now));
  }
  if (auto added = Minus(updated.tags, original.tags); !added.empty()) {
    out.push_back(MakeAction(c, "tags", "add", {{"tags", StringsJson(added)}},
                             user, now));
  }
  if (auto removed = Minus(original.tags, updated.tags); !removed.empty()) {
    out.push_back(MakeAction(c, "tags", "delete",
                             {{"tags", StringsJson(removed)}}, user, now));
  }
  if (original.status != updated.status) {
    out.push_back(MakeAction(c, "status", "update",
                             {{"status", StatusName(updated.status)}}, user,
                             now));
  }
  if (original.severity != updated.severity) {
    out.push_back(MakeAction(c, "severity", "update",
                             {{"severity", SeverityName(updated.severity)}},
                             user, now));
  }
  if (auto added = Minus(updated.assignees, original.assignees);
      !added.empty()) {
    out.push_back(MakeAction(c, "assignees", "add",
                             {{"assignees", AssigneesJson(added)}}, user, now));
  }
  if (auto removed = Minus(original.assignees, updated.assignees);
      !removed.empty()) {
    out.push_back(MakeAction(c, "assignees", "delete",
                             {{"assignees", AssigneesJson(removed)}}, user,
                             now));
  }
  if (!(original.connector == updated.connector)) {
    out.push_back(MakeAction(c, "connector", "update",
                             {{"connector", ConnectorJson(updated.connector)}},
                             user, now));
  }
  if (original.sync_alerts != updated.sync_alerts) {
    out.push_back(MakeAction(
        c, "settings", "update",
        {{"settings", {{"syncAlerts", updated.sync_alerts}}}}, user, now));
  }
  if (original.category != updated.category) {
    out.push_back(MakeAction(c, "category", "update",
                             {{"category", CategoryJson(updated.category)}},
                             user, now));
  }
  if (original.custom_fields != updated.custom_fields) {
    std::vector<store::CustomFieldValue> changed;
    for (const auto& v : updated.custom_fields) {
      auto it = std::find_if(
          original.custom_fields.begin(), original.custom_fields.end(),
          [&](const store::CustomFieldValue& o) { return o.key == v.key; });
      if (it == original.custom_fields.end() || !(*it == v)) {
        changed.push_back(v);
      }
    }
    if (!changed.empty()) {
      out.push_back(MakeAction(c, "customFields", "update",
                               {{"customFields", CustomFieldsJson(changed)}},
                               user, now));
    }
  }
  return out;
}

store::UserAction CommentAction(const char* action,
                                const store::Attachment& attachment,
                                const store::User& user, absl::Time now) {
  store::UserAction a;
  a.id = NewUuid();
  a.case_id = attachment.case_id;
  a.comment_id = attachment.id;
  a.type = "comment";
  a.action = action;
  a.payload = CommentPayload(attachment);
  a.created_at = now;
  a.created_by = user;
  a.owner = attachment.owner;
  return a;
}

}  // namespace casebridge::cases
