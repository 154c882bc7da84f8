#include "server/api/case_convert.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "server/api/json_struct.h"
#include "server/util/ids.h"

namespace casebridge::api {
namespace {

using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

std::vector<std::string> Fields(const ValidationErrors& errors) {
  std::vector<std::string> out;
  for (const auto& v : GetFieldViolations(errors.ToStatus())) {
    out.push_back(v.field);
  }
  return out;
}

// proto content -> Kibana JSON -> stored attachment -> proto content.
v1::AttachmentContent RoundTrip(const v1::AttachmentContent& in) {
  ValidationErrors errors;
  cases::AttachmentInput input = AttachmentFromProto(in, "attachment", errors);
  EXPECT_TRUE(errors.empty());
  store::Attachment a;
  a.type = input.type;
  a.content = input.content;
  v1::Attachment out;
  AttachmentToProto(a, &out);
  return out.content();
}

void ExpectRoundTrips(const v1::AttachmentContent& in) {
  v1::AttachmentContent out = RoundTrip(in);
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(in, out))
      << in.DebugString() << " vs " << out.DebugString();
}

TEST(CaseConvertTest, EveryAttachmentKindRoundTrips) {
  v1::AttachmentContent user;
  user.mutable_user()->set_comment("hello");
  ExpectRoundTrips(user);

  v1::AttachmentContent alert;
  alert.mutable_alert()->add_alert_ids("a1");
  alert.mutable_alert()->add_indices(".alerts-1");
  alert.mutable_alert()->mutable_rule()->set_id("r1");
  ExpectRoundTrips(alert);

  v1::AttachmentContent actions;
  actions.mutable_actions()->set_comment("isolated");
  actions.mutable_actions()->set_type("isolate");
  auto* target = actions.mutable_actions()->add_targets();
  target->set_hostname("host");
  target->set_endpoint_id("ep");
  ExpectRoundTrips(actions);

  v1::AttachmentContent ref;
  ref.mutable_external_reference()->set_type_id(".files");
  ref.mutable_external_reference()->set_id("f1");
  ref.mutable_external_reference()->mutable_storage()->set_type(
      v1::EXTERNAL_REFERENCE_STORAGE_TYPE_SAVED_OBJECT);
  ref.mutable_external_reference()->mutable_storage()->set_so_type("file");
  (*ref.mutable_external_reference()
        ->mutable_metadata()
        ->mutable_fields())["size"]
      .set_number_value(12);
  ExpectRoundTrips(ref);

  v1::AttachmentContent state;
  state.mutable_persistable_state()->set_type_id(".lens");
  (*state.mutable_persistable_state()->mutable_state()->mutable_fields())["x"]
      .set_string_value("y");
  ExpectRoundTrips(state);
}

TEST(CaseConvertTest, AttachmentJsonHasKibanaKeys) {
  v1::AttachmentContent actions;
  actions.mutable_actions()->set_comment("c");
  actions.mutable_actions()->set_type("isolate");
  actions.mutable_actions()->add_targets()->set_endpoint_id("e");
  ValidationErrors errors;
  auto input = AttachmentFromProto(actions, "attachment", errors);
  EXPECT_EQ(input.type, store::AttachmentType::kActions);
  EXPECT_EQ(input.content["actions"]["targets"][0]["endpointId"], "e");
  EXPECT_EQ(input.content["actions"]["type"], "isolate");

  v1::AttachmentContent none;
  AttachmentFromProto(none, "attachment", errors);
  EXPECT_THAT(Fields(errors), ElementsAre("attachment"));
}

TEST(CaseConvertTest, EnumsOutsideTheirEnumAreInvalid) {
  v1::CreateCaseRequest create;
  create.set_severity(static_cast<v1::CaseSeverity>(42));
  create.add_custom_fields()->set_key("k");  // type UNSPECIFIED
  ValidationErrors errors;
  NewCaseFromProto(create, errors);
  EXPECT_THAT(Fields(errors),
              UnorderedElementsAre("severity", "custom_fields[0].type"));

  v1::CreateCaseRequest defaults;
  ValidationErrors no_errors;
  cases::NewCase c = NewCaseFromProto(defaults, no_errors);
  EXPECT_TRUE(no_errors.empty());
  EXPECT_EQ(c.severity, store::CaseSeverity::kLow);
  EXPECT_EQ(c.connector.type, ".none");
  EXPECT_TRUE(c.sync_alerts);

  v1::CasePatch patch;
  patch.set_status(v1::CASE_STATUS_UNSPECIFIED);
  patch.set_severity(v1::CASE_SEVERITY_UNSPECIFIED);
  ValidationErrors patch_errors;
  CasePatchFromProto(patch, "cases[3]", patch_errors);
  EXPECT_THAT(Fields(patch_errors),
              ElementsAre("cases[3].status", "cases[3].severity"));

  v1::FindCasesRequest find;
  find.add_statuses(static_cast<v1::CaseStatus>(7));
  find.set_sort_field(static_cast<v1::CaseSortField>(99));
  find.add_search_fields(v1::CASE_SEARCH_FIELD_UNSPECIFIED);
  ValidationErrors find_errors;
  CaseQueryFromProto(find, find_errors);
  EXPECT_THAT(
      Fields(find_errors),
      UnorderedElementsAre("statuses[0]", "sort_field", "search_fields[0]"));
}

TEST(CaseConvertTest, PatchPresenceAndUndecodableVersion) {
  v1::CasePatch patch;
  patch.set_id("c1");
  patch.set_version("not-a-version");
  patch.mutable_category();  // present with no value = null
  patch.mutable_tags();      // present and empty = clear tags
  ValidationErrors errors;
  cases::CasePatch p = CasePatchFromProto(patch, "cases[0]", errors);
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(p.version, cases::kUnknownVersion);
  ASSERT_TRUE(p.category.has_value());
  EXPECT_FALSE(p.category->has_value());
  ASSERT_TRUE(p.tags.has_value());
  EXPECT_TRUE(p.tags->empty());
  EXPECT_FALSE(p.title.has_value());
  EXPECT_FALSE(p.status.has_value());

  patch.set_version(EncodeVersion(7));
  EXPECT_EQ(CasePatchFromProto(patch, "cases[0]", errors).version, 7);
}

TEST(CaseConvertTest, ActivityFiltersMapToKibanaTypes) {
  v1::FindCaseActivityRequest r;
  r.set_case_id("c");
  r.add_types(v1::CASE_ACTIVITY_FILTER_CUSTOM_FIELDS);
  r.add_types(v1::CASE_ACTIVITY_FILTER_ALERT);
  r.add_types(v1::CASE_ACTIVITY_FILTER_CREATE_CASE);
  ValidationErrors errors;
  store::UserActionQuery q = ActivityQueryFromProto(r, errors);
  EXPECT_TRUE(errors.empty());
  EXPECT_THAT(q.types, ElementsAre("customFields", "create_case"));
  EXPECT_THAT(q.pseudo_types, ElementsAre("alert"));
  EXPECT_FALSE(q.ascending);

  r.add_types(v1::CASE_ACTIVITY_FILTER_UNSPECIFIED);
  ValidationErrors bad;
  ActivityQueryFromProto(r, bad);
  EXPECT_THAT(Fields(bad), ElementsAre("types[3]"));
}

TEST(CaseConvertTest, ConfigurationCarriesMappingsForItsConnector) {
  store::Configuration c;
  c.owner = "cases";
  c.connector = {"s1", "SN", ".servicenow", nullptr};
  v1::Configuration out;
  ConfigurationToProto(c, &out);
  ASSERT_EQ(out.mappings_size(), 3);
  EXPECT_EQ(out.mappings(0).source(), "title");
  EXPECT_EQ(out.mappings(0).target(), "short_description");
  EXPECT_EQ(out.mappings(2).action_type(), v1::MAPPING_ACTION_TYPE_APPEND);

  store::Configuration none;
  v1::Configuration none_out;
  ConfigurationToProto(none, &none_out);
  EXPECT_EQ(none_out.mappings_size(), 0);
}

TEST(CaseConvertTest, StructJsonNumbers) {
  google::protobuf::Value v;
  v.set_number_value(3);
  EXPECT_TRUE(ValueToJson(v).is_number_integer());
  v.set_number_value(2.5);
  EXPECT_TRUE(ValueToJson(v).is_number_float());
  google::protobuf::Struct s;
  JsonToStruct(nlohmann::json{{"a", {1, "b", nullptr, true}}}, &s);
  EXPECT_EQ(StructToJson(s), (nlohmann::json{{"a", {1, "b", nullptr, true}}}));
}

}  // namespace
}  // namespace casebridge::api
