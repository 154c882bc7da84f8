#include "server/cases/push_builder.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace casebridge::cases {

using store::Json;

namespace {

std::string Iso(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", t, absl::UTCTimeZone());
}

// The connector field `key` of the case when set to a non-null value.
const Json* Field(const store::Case& c, const char* key) {
  if (!c.connector.fields.is_object()) return nullptr;
  auto it = c.connector.fields.find(key);
  if (it == c.connector.fields.end() || it->is_null()) return nullptr;
  return &*it;
}

void CopyField(const store::Case& c, const char* from, Json& incident,
               const char* to) {
  if (const Json* v = Field(c, from)) incident[to] = *v;
}

std::string JiraLabel(const std::string& tag) {
  std::string out;
  for (char ch : tag) {
    out += (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r') ? '-' : ch;
  }
  return out;
}

// Applies one mapping of `value` to `target` in the incident.
void Map(const FieldMapping& m, Json value, const Json& current,
         Json& incident) {
  if (m.action_type == "nothing") return;
  if (m.action_type == "append" && current.is_object() &&
      current.contains(m.target) && !current[m.target].is_null()) {
    const Json& old = current[m.target];
    if (old.is_array() && value.is_array()) {
      Json merged = old;
      for (const Json& v : value) merged.push_back(v);
      value = std::move(merged);
    } else if (old.is_string() && value.is_string()) {
      value = absl::StrCat(old.get<std::string>(), "\r\n",
                           value.get<std::string>());
    }
  }
  incident[m.target] = std::move(value);
}

const FieldMapping* FindMapping(const std::vector<FieldMapping>& mappings,
                                const char* source) {
  for (const FieldMapping& m : mappings) {
    if (m.source == source) return &m;
  }
  return nullptr;
}

std::string CommentText(const store::Attachment& a) {
  if (a.content.contains("comment") && a.content["comment"].is_string())
    return a.content["comment"].get<std::string>();
  return "";
}

}  // namespace

std::string DisplayName(const store::User& user) {
  if (!user.full_name.empty()) return user.full_name;
  if (!user.username.empty()) return user.username;
  return "Unknown";
}

int64_t AttachmentStamp(const store::Attachment& a) {
  return absl::ToUnixMicros(a.updated_at.value_or(a.created_at));
}

bool NeedsCurrentIncident(const std::vector<FieldMapping>& mappings) {
  for (const FieldMapping& m : mappings) {
    if (m.source != "comments" && m.action_type == "append") return true;
  }
  return false;
}

std::string LookupSubAction(std::string_view type) {
  if (type == ".servicenow" || type == ".servicenow-sir")
    return "findIncidentByCorrelationId";
  if (type == ".jira" || type == ".resilient" || type == ".swimlane")
    return "findByCaseId";
  return "";
}

Json LookupParams(std::string_view type, const store::Case& c) {
  if (type == ".servicenow" || type == ".servicenow-sir")
    return Json{{"correlation_id", c.id}};
  if (type == ".swimlane" && c.connector.type == ".swimlane") {
    if (const Json* v = Field(c, "caseId"); v && v->is_string())
      return Json{{"caseId", *v}};
  }
  return Json{{"caseId", c.id}};
}

BuiltPush BuildPushParams(const PushBuildInput& in) {
  const store::Case& c = *in.c;
  const std::string& type = in.connector_type;
  std::vector<FieldMapping> mappings =
      in.mappings.empty() ? DefaultMappings(type) : in.mappings;
  const bool update = !in.external_id.empty();
  const Json& current = update ? in.current_incident : Json(nullptr);
  // Connector fields apply when the case is set up for this type.
  const bool own_fields = c.connector.type == type;

  BuiltPush out;
  Json incident = Json::object();

  // Title, description (with Kibana's footer) and tags through the mappings.
  const store::User& author = c.updated_by ? *c.updated_by : c.created_by;
  std::string description =
      c.updated_at
          ? absl::StrCat(c.description, "\n\n(updated at ", Iso(*c.updated_at),
                         " by ", DisplayName(author), ")")
          : absl::StrCat(c.description, "\n\nAdded by ",
                         DisplayName(c.created_by), ".");
  if (const FieldMapping* m = FindMapping(mappings, "title"))
    Map(*m, c.title, current, incident);
  if (const FieldMapping* m = FindMapping(mappings, "description"))
    Map(*m, description, current, incident);
  if (const FieldMapping* m = FindMapping(mappings, "tags")) {
    Json tags = Json::array();
    for (const std::string& t : c.tags)
      tags.push_back(type == ".jira" ? JiraLabel(t) : t);
    Map(*m, std::move(tags), current, incident);
  }
  incident["externalId"] = update ? Json(in.external_id) : Json(nullptr);

  // Type-specific fields.
  if (type == ".servicenow" || type == ".servicenow-sir") {
    incident["correlation_id"] = c.id;
    incident["correlation_display"] = "Elastic Case";
    if (own_fields) {
      CopyField(c, "category", incident, "category");
      CopyField(c, "subcategory", incident, "subcategory");
      if (type == ".servicenow") {
        CopyField(c, "severity", incident, "severity");
        CopyField(c, "urgency", incident, "urgency");
        CopyField(c, "impact", incident, "impact");
      } else {
        CopyField(c, "priority", incident, "priority");
      }
      CopyField(c, "additionalFields", incident, "additional_fields");
    }
  } else if (type == ".jira") {
    incident["caseId"] = c.id;
    if (own_fields) {
      CopyField(c, "issueType", incident, "issueType");
      CopyField(c, "priority", incident, "priority");
      CopyField(c, "parent", incident, "parent");
      CopyField(c, "otherFields", incident, "otherFields");
    }
  } else if (type == ".resilient") {
    incident["caseId"] = c.id;
    if (own_fields) {
      CopyField(c, "incidentTypes", incident, "incidentTypes");
      CopyField(c, "severityCode", incident, "severityCode");
      CopyField(c, "additionalFields", incident, "additionalFields");
    }
  } else if (type == ".swimlane") {
    incident["caseId"] = LookupParams(type, c)["caseId"];
  }

  // Comments: user and actions comments new or changed since the last push
  // to this connector, each once; then one summary of alerts never pushed
  // to it.
  const FieldMapping* comments_mapping = FindMapping(mappings, "comments");
  const bool send_comments =
      comments_mapping == nullptr || comments_mapping->action_type != "nothing";
  Json comments = Json::array();
  int new_alert_attachments = 0;
  for (const store::Attachment& a : *in.attachments) {
    std::optional<int64_t> pushed_version;
    if (in.record) {
      auto it = in.record->pushed_attachments.find(a.id);
      if (it != in.record->pushed_attachments.end())
        pushed_version = it->second;
    }
    const int64_t stamp = AttachmentStamp(a);
    if (pushed_version && *pushed_version == stamp) continue;
    if (a.type == store::AttachmentType::kUser ||
        a.type == store::AttachmentType::kActions) {
      if (!send_comments) continue;
      std::string footer =
          pushed_version && a.updated_at
              ? absl::StrCat(
                    "(updated at ", Iso(*a.updated_at), " by ",
                    DisplayName(a.updated_by ? *a.updated_by : a.created_by),
                    ")")
              : absl::StrCat("Added by ", DisplayName(a.created_by), ".");
      comments.push_back(
          Json{{"comment", absl::StrCat(CommentText(a), "\n\n", footer)},
               {"commentId", a.id}});
      out.comment_ids_sent.push_back(a.id);
      out.covered[a.id] = stamp;
    } else if (a.type == store::AttachmentType::kAlert) {
      if (!pushed_version) ++new_alert_attachments;
      out.covered[a.id] = stamp;
    }
  }
  out.alerts_summarised = new_alert_attachments;
  if (new_alert_attachments > 0 && send_comments) {
    comments.push_back(Json{
        {"comment",
         absl::StrCat("Elastic Alerts attached to the case: ", c.total_alerts)},
        {"commentId", absl::StrCat(c.id, "-total-alerts")}});
  }

  out.params = Json{
      {"incident", std::move(incident)},
      {"comments", comments.empty() ? Json(nullptr) : std::move(comments)}};
  return out;
}

}  // namespace casebridge::cases
