// Per-owner configuration over real gRPC: Set (replaces), Get (by owners,
// sorted), Update (version-checked), mappings derived from the connector,
// custom-field and template validation, and the custom-field definitions
// enforced on CreateCase/UpdateCases.
#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/integration/test_util.h"

namespace casebridge::testing {
namespace {

constexpr int64_t kMaxSafeInteger = (int64_t{1} << 53) - 1;

class ConfigurationTest : public CaseApiTest {
 protected:
  static v1::CustomFieldDefinition TextField(
      const std::string& key, bool required,
      const char* default_value = nullptr) {
    v1::CustomFieldDefinition d;
    d.set_key(key);
    d.set_label("Label " + key);
    d.set_type(v1::CUSTOM_FIELD_TYPE_TEXT);
    d.set_required(required);
    if (default_value != nullptr) d.set_text_default(default_value);
    return d;
  }
  static v1::CustomFieldDefinition ToggleField(const std::string& key,
                                               bool required) {
    v1::CustomFieldDefinition d;
    d.set_key(key);
    d.set_label("Label " + key);
    d.set_type(v1::CUSTOM_FIELD_TYPE_TOGGLE);
    d.set_required(required);
    return d;
  }
  static v1::CustomFieldDefinition NumberField(const std::string& key,
                                               bool required) {
    v1::CustomFieldDefinition d;
    d.set_key(key);
    d.set_label("Label " + key);
    d.set_type(v1::CUSTOM_FIELD_TYPE_NUMBER);
    d.set_required(required);
    return d;
  }

  v1::SetConfigurationRequest NewConfig(
      std::vector<v1::CustomFieldDefinition> fields = {}) const {
    v1::SetConfigurationRequest r;
    r.set_owner(owner_);
    r.set_closure_type(v1::CLOSURE_TYPE_CLOSE_BY_USER);
    for (auto& f : fields) *r.add_custom_fields() = f;
    return r;
  }

  grpc::Status TrySet(const v1::SetConfigurationRequest& r,
                      v1::Configuration* out = nullptr) {
    v1::SetConfigurationResponse resp;
    grpc::Status s = CB_CALL(SetConfiguration, r, &resp);
    if (out != nullptr) *out = resp.configuration();
    return s;
  }

  v1::Configuration Set(const v1::SetConfigurationRequest& r) {
    v1::Configuration c;
    grpc::Status s = TrySet(r, &c);
    EXPECT_TRUE(s.ok()) << "SetConfiguration: " << Describe(s);
    return c;
  }

  std::vector<v1::Configuration> GetConfigs(std::vector<std::string> owners) {
    v1::GetConfigurationRequest r;
    for (auto& o : owners) r.add_owners(o);
    v1::GetConfigurationResponse resp;
    grpc::Status s = CB_CALL(GetConfiguration, r, &resp);
    EXPECT_TRUE(s.ok()) << Describe(s);
    return {resp.configurations().begin(), resp.configurations().end()};
  }

  grpc::Status TryUpdateConfig(const v1::UpdateConfigurationRequest& r,
                               v1::Configuration* out = nullptr) {
    v1::UpdateConfigurationResponse resp;
    grpc::Status s = CB_CALL(UpdateConfiguration, r, &resp);
    if (out != nullptr) *out = resp.configuration();
    return s;
  }

  static v1::CustomFieldValue TextValue(const std::string& key,
                                        const std::string& value) {
    v1::CustomFieldValue v;
    v.set_key(key);
    v.set_type(v1::CUSTOM_FIELD_TYPE_TEXT);
    v.set_text_value(value);
    return v;
  }
  static v1::CustomFieldValue ToggleValue(const std::string& key, bool value) {
    v1::CustomFieldValue v;
    v.set_key(key);
    v.set_type(v1::CUSTOM_FIELD_TYPE_TOGGLE);
    v.set_toggle_value(value);
    return v;
  }
  static v1::CustomFieldValue NullValue(const std::string& key,
                                        v1::CustomFieldType type) {
    v1::CustomFieldValue v;
    v.set_key(key);
    v.set_type(type);
    return v;
  }

  static const v1::CustomFieldValue* FieldOf(const v1::Case& c,
                                             const std::string& key) {
    for (const auto& f : c.custom_fields()) {
      if (f.key() == key) return &f;
    }
    return nullptr;
  }
};

TEST_F(ConfigurationTest, GetForAnOwnerWithoutConfigurationIsEmpty) {
  EXPECT_TRUE(GetConfigs({owner_}).empty());
}

TEST_F(ConfigurationTest, SetReturnsTheConfiguration) {
  v1::Configuration c = Set(NewConfig({TextField("team", false)}));
  EXPECT_FALSE(c.id().empty());
  EXPECT_FALSE(c.version().empty());
  EXPECT_EQ(c.owner(), owner_);
  EXPECT_EQ(c.closure_type(), v1::CLOSURE_TYPE_CLOSE_BY_USER);
  EXPECT_EQ(c.connector().id(), "none");
  EXPECT_EQ(c.connector().type(), ".none");
  EXPECT_TRUE(c.mappings().empty()) << "no connector, no mappings";
  ASSERT_EQ(c.custom_fields_size(), 1);
  EXPECT_EQ(c.custom_fields(0).key(), "team");
  EXPECT_EQ(c.created_by().username(), kTestUsername);
  EXPECT_TRUE(c.has_created_at());
  EXPECT_FALSE(c.has_updated_at());
  auto got = GetConfigs({owner_});
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].id(), c.id());
  EXPECT_EQ(got[0].version(), c.version());
}

TEST_F(ConfigurationTest, SetReplacesTheOwnersConfiguration) {
  v1::Configuration first = Set(NewConfig({TextField("one", false)}));
  v1::SetConfigurationRequest second_req =
      NewConfig({ToggleField("two", false)});
  second_req.set_closure_type(v1::CLOSURE_TYPE_CLOSE_BY_PUSHING);
  v1::Configuration second = Set(second_req);
  EXPECT_NE(second.id(), first.id());
  auto got = GetConfigs({owner_});
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].id(), second.id());
  EXPECT_EQ(got[0].closure_type(), v1::CLOSURE_TYPE_CLOSE_BY_PUSHING);
  ASSERT_EQ(got[0].custom_fields_size(), 1);
  EXPECT_EQ(got[0].custom_fields(0).key(), "two");
  v1::UpdateConfigurationRequest old;
  old.set_id(first.id());
  old.set_version(first.version());
  old.set_closure_type(v1::CLOSURE_TYPE_CLOSE_BY_USER);
  EXPECT_TRUE(StatusIs(TryUpdateConfig(old), grpc::StatusCode::NOT_FOUND))
      << "the replaced configuration is gone";
}

TEST_F(ConfigurationTest, GetByOwnersIsSortedByOwner) {
  const std::string b = owner_ + "-b";
  const std::string a = owner_ + "-a";
  v1::SetConfigurationRequest rb = NewConfig();
  rb.set_owner(b);
  Set(rb);
  v1::SetConfigurationRequest ra = NewConfig();
  ra.set_owner(a);
  Set(ra);
  auto got = GetConfigs({b, a});
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].owner(), a);
  EXPECT_EQ(got[1].owner(), b);
  auto only_b = GetConfigs({b});
  ASSERT_EQ(only_b.size(), 1u);
  EXPECT_EQ(only_b[0].owner(), b);
  // No owners = all owners, sorted.
  auto all = GetConfigs({});
  std::vector<std::string> owners;
  for (const auto& c : all) owners.push_back(c.owner());
  EXPECT_TRUE(std::is_sorted(owners.begin(), owners.end()));
  EXPECT_NE(std::find(owners.begin(), owners.end(), a), owners.end());
  EXPECT_NE(std::find(owners.begin(), owners.end(), b), owners.end());
}

TEST_F(ConfigurationTest, MappingsComeFromTheConnectorType) {
  v1::SetConfigurationRequest r = NewConfig();
  auto* conn = r.mutable_connector();
  conn->set_id("jira-1");
  conn->set_name("Jira");
  conn->set_type(".jira");
  v1::Configuration c = Set(r);
  std::map<std::string, std::pair<std::string, v1::MappingActionType>>
      by_source;
  for (const auto& m : c.mappings())
    by_source[m.source()] = {m.target(), m.action_type()};
  EXPECT_EQ(by_source["title"].first, "summary");
  EXPECT_EQ(by_source["title"].second, v1::MAPPING_ACTION_TYPE_OVERWRITE);
  EXPECT_EQ(by_source["description"].first, "description");
  EXPECT_EQ(by_source["comments"].first, "comments");
  EXPECT_EQ(by_source["comments"].second, v1::MAPPING_ACTION_TYPE_APPEND);
  EXPECT_EQ(by_source["tags"].first, "labels");

  v1::SetConfigurationRequest sn = NewConfig();
  sn.mutable_connector()->set_id("sn-1");
  sn.mutable_connector()->set_name("SN");
  sn.mutable_connector()->set_type(".servicenow");
  v1::Configuration snc = Set(sn);
  by_source.clear();
  for (const auto& m : snc.mappings())
    by_source[m.source()] = {m.target(), m.action_type()};
  EXPECT_EQ(by_source["title"].first, "short_description");
  EXPECT_EQ(by_source["comments"].first, "work_notes");
}

TEST_F(ConfigurationTest, UpdateIsVersionChecked) {
  v1::Configuration c = Set(NewConfig());
  v1::UpdateConfigurationRequest u;
  u.set_id(c.id());
  u.set_version(c.version());
  u.set_closure_type(v1::CLOSURE_TYPE_CLOSE_BY_PUSHING);
  v1::Configuration updated;
  ASSERT_TRUE(TryUpdateConfig(u, &updated).ok());
  EXPECT_EQ(updated.id(), c.id());
  EXPECT_NE(updated.version(), c.version());
  EXPECT_EQ(updated.closure_type(), v1::CLOSURE_TYPE_CLOSE_BY_PUSHING);
  EXPECT_TRUE(updated.has_updated_at());
  EXPECT_EQ(updated.updated_by().username(), kTestUsername);

  v1::UpdateConfigurationRequest stale = u;  // old version
  stale.set_closure_type(v1::CLOSURE_TYPE_CLOSE_BY_USER);
  stale.mutable_custom_fields()->add_values()->CopyFrom(
      TextField("late", false));
  EXPECT_TRUE(StatusIs(TryUpdateConfig(stale), grpc::StatusCode::ABORTED));
  auto got = GetConfigs({owner_});
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].closure_type(), v1::CLOSURE_TYPE_CLOSE_BY_PUSHING)
      << "nothing applied";
  EXPECT_EQ(got[0].custom_fields_size(), 0);
  EXPECT_EQ(got[0].version(), updated.version());

  v1::UpdateConfigurationRequest missing;
  missing.set_id("missing-config-id");
  missing.set_version(c.version());
  missing.set_closure_type(v1::CLOSURE_TYPE_CLOSE_BY_USER);
  grpc::Status s = TryUpdateConfig(missing);
  EXPECT_TRUE(StatusIs(s, grpc::StatusCode::NOT_FOUND));
  EXPECT_NE(s.error_message().find("missing-config-id"), std::string::npos)
      << s.error_message();
}

TEST_F(ConfigurationTest, UpdateWithAConnectorRederivesMappings) {
  v1::Configuration c = Set(NewConfig());
  EXPECT_TRUE(c.mappings().empty());
  v1::UpdateConfigurationRequest u;
  u.set_id(c.id());
  u.set_version(c.version());
  u.mutable_connector()->set_id("jira-2");
  u.mutable_connector()->set_name("Jira");
  u.mutable_connector()->set_type(".jira");
  v1::Configuration updated;
  ASSERT_TRUE(TryUpdateConfig(u, &updated).ok());
  EXPECT_EQ(updated.connector().type(), ".jira");
  bool title_to_summary = false;
  for (const auto& m : updated.mappings()) {
    if (m.source() == "title" && m.target() == "summary")
      title_to_summary = true;
  }
  EXPECT_TRUE(title_to_summary) << updated.ShortDebugString();
}

TEST_F(ConfigurationTest, UpdateReplacesCustomFieldsAndRejectsTypeChanges) {
  v1::Configuration c = Set(NewConfig({TextField("team", false)}));
  v1::UpdateConfigurationRequest change_type;
  change_type.set_id(c.id());
  change_type.set_version(c.version());
  change_type.mutable_custom_fields()->add_values()->CopyFrom(
      ToggleField("team", false));
  EXPECT_TRUE(IsInvalidField(TryUpdateConfig(change_type), "custom_fields"));

  v1::UpdateConfigurationRequest replace;
  replace.set_id(c.id());
  replace.set_version(c.version());
  replace.mutable_custom_fields()->add_values()->CopyFrom(
      TextField("team", true, "blue"));
  replace.mutable_custom_fields()->add_values()->CopyFrom(
      ToggleField("urgent", false));
  v1::Configuration updated;
  ASSERT_TRUE(TryUpdateConfig(replace, &updated).ok());
  ASSERT_EQ(updated.custom_fields_size(), 2);
  EXPECT_TRUE(updated.custom_fields(0).required());
  EXPECT_EQ(updated.custom_fields(0).text_default(), "blue");
}

TEST_F(ConfigurationTest, CustomFieldDefinitionValidation) {
  auto invalid = [&](std::vector<v1::CustomFieldDefinition> fields,
                     const std::string& field) {
    EXPECT_TRUE(IsInvalidField(TrySet(NewConfig(std::move(fields))), field))
        << field;
  };
  invalid({TextField("Bad Key", false)}, "custom_fields[0].key");
  invalid({TextField("", false)}, "custom_fields[0].key");
  invalid({TextField(std::string(37, 'k'), false)}, "custom_fields[0].key");
  EXPECT_TRUE(TrySet(NewConfig({TextField(std::string(36, 'k'), false)})).ok());
  v1::CustomFieldDefinition no_label = TextField("k", false);
  no_label.set_label("");
  invalid({no_label}, "custom_fields[0].label");
  v1::CustomFieldDefinition long_label = TextField("k", false);
  long_label.set_label(std::string(51, 'l'));
  invalid({long_label}, "custom_fields[0].label");
  invalid({TextField("dup", false), ToggleField("dup", false)},
          "custom_fields");
  std::vector<v1::CustomFieldDefinition> eleven;
  for (int i = 0; i < 11; ++i)
    eleven.push_back(TextField("k" + std::to_string(i), false));
  invalid(eleven, "custom_fields");
  v1::CustomFieldDefinition wrong_default = ToggleField("t", false);
  wrong_default.set_text_default("yes");
  invalid({wrong_default}, "custom_fields[0]");
  invalid({TextField("long", false, std::string(161, 'd').c_str())},
          "custom_fields[0]");
  v1::CustomFieldDefinition no_type = TextField("nt", false);
  no_type.set_type(v1::CUSTOM_FIELD_TYPE_UNSPECIFIED);
  invalid({no_type}, "custom_fields[0]");
}

TEST_F(ConfigurationTest, OwnerAndConnectorValidation) {
  v1::SetConfigurationRequest r = NewConfig();
  r.set_owner("");
  EXPECT_TRUE(IsInvalidField(TrySet(r), "owner"));
  r = NewConfig();
  r.mutable_connector()->set_type(".bogus");
  EXPECT_TRUE(IsInvalidField(TrySet(r), "connector"));
  r = NewConfig();
  r.set_closure_type(static_cast<v1::ClosureType>(9));
  EXPECT_TRUE(IsInvalidField(TrySet(r), "closure_type"));
}

TEST_F(ConfigurationTest, TemplateValidation) {
  auto with_templates = [&](std::vector<v1::CaseTemplate> templates) {
    v1::SetConfigurationRequest r = NewConfig({TextField("team", false)});
    for (auto& t : templates) *r.add_templates() = t;
    return TrySet(r);
  };
  v1::CaseTemplate good;
  good.set_key("phishing");
  good.set_name("Phishing");
  good.set_description("Template for phishing");
  good.add_tags("phish");
  good.mutable_case_fields()->set_title("Phishing report");
  *good.mutable_case_fields()->add_custom_fields() = TextValue("team", "blue");
  EXPECT_TRUE(with_templates({good}).ok()) << Describe(with_templates({good}));

  v1::CaseTemplate no_name = good;
  no_name.set_name("");
  EXPECT_TRUE(IsInvalidField(with_templates({no_name}), "templates[0].name"));
  v1::CaseTemplate bad_key = good;
  bad_key.set_key("Bad Key");
  EXPECT_TRUE(IsInvalidField(with_templates({bad_key}), "templates[0].key"));
  EXPECT_TRUE(IsInvalidField(with_templates({good, good}), "templates"));
  std::vector<v1::CaseTemplate> eleven;
  for (int i = 0; i < 11; ++i) {
    v1::CaseTemplate t = good;
    t.set_key("t" + std::to_string(i));
    eleven.push_back(t);
  }
  EXPECT_TRUE(IsInvalidField(with_templates(eleven), "templates"));
  v1::CaseTemplate long_description = good;
  long_description.set_description(std::string(1001, 'd'));
  EXPECT_TRUE(IsInvalidField(with_templates({long_description}),
                             "templates[0].description"));
  v1::CaseTemplate many_tags = good;
  for (int i = 0; i < 10; ++i) many_tags.add_tags("t" + std::to_string(i));
  EXPECT_TRUE(IsInvalidField(with_templates({many_tags}), "templates[0].tags"));
  v1::CaseTemplate long_title = good;
  long_title.mutable_case_fields()->set_title(std::string(161, 't'));
  EXPECT_TRUE(
      IsInvalidField(with_templates({long_title}), "templates[0].case_fields"));
  v1::CaseTemplate unknown_field = good;
  *unknown_field.mutable_case_fields()->mutable_custom_fields(0) =
      TextValue("nope", "x");
  EXPECT_TRUE(IsInvalidField(with_templates({unknown_field}), "templates[0]"));
  v1::CaseTemplate wrong_type = good;
  *wrong_type.mutable_case_fields()->mutable_custom_fields(0) =
      ToggleValue("team", true);
  EXPECT_TRUE(IsInvalidField(with_templates({wrong_type}), "templates[0]"));
}

// --------------------------------------------- custom fields enforced on cases

class CaseCustomFieldsTest : public ConfigurationTest {
 protected:
  void SetUp() override {
    ConfigurationTest::SetUp();
    Set(NewConfig({TextField("team", true, "blue"),
                   ToggleField("urgent", false), NumberField("score", false),
                   TextField("ticket", false)}));
  }
};

TEST_F(CaseCustomFieldsTest, MissingFieldsAreFilledWithDefaultsOrNull) {
  v1::Case c = Create(NewCase());
  ASSERT_EQ(c.custom_fields_size(), 4) << c.ShortDebugString();
  const v1::CustomFieldValue* team = FieldOf(c, "team");
  ASSERT_NE(team, nullptr);
  EXPECT_EQ(team->type(), v1::CUSTOM_FIELD_TYPE_TEXT);
  EXPECT_EQ(team->text_value(), "blue") << "required with default is filled";
  const v1::CustomFieldValue* urgent = FieldOf(c, "urgent");
  ASSERT_NE(urgent, nullptr);
  EXPECT_EQ(urgent->type(), v1::CUSTOM_FIELD_TYPE_TOGGLE);
  EXPECT_EQ(urgent->value_case(), v1::CustomFieldValue::VALUE_NOT_SET)
      << "optional = null";
  ASSERT_NE(FieldOf(c, "score"), nullptr);
  EXPECT_EQ(FieldOf(c, "score")->type(), v1::CUSTOM_FIELD_TYPE_NUMBER);
}

TEST_F(CaseCustomFieldsTest, ValuesRoundTrip) {
  v1::CreateCaseRequest r = NewCase();
  *r.add_custom_fields() = TextValue("team", "red");
  *r.add_custom_fields() = ToggleValue("urgent", true);
  v1::CustomFieldValue score;
  score.set_key("score");
  score.set_type(v1::CUSTOM_FIELD_TYPE_NUMBER);
  score.set_number_value(kMaxSafeInteger);
  *r.add_custom_fields() = score;
  v1::Case c = Create(r);
  v1::Case g = Get(c.id());
  ASSERT_NE(FieldOf(g, "team"), nullptr);
  EXPECT_EQ(FieldOf(g, "team")->text_value(), "red");
  EXPECT_TRUE(FieldOf(g, "urgent")->toggle_value());
  EXPECT_EQ(FieldOf(g, "score")->number_value(), kMaxSafeInteger);
  EXPECT_EQ(FieldOf(g, "ticket")->value_case(),
            v1::CustomFieldValue::VALUE_NOT_SET);
}

TEST_F(CaseCustomFieldsTest, UnknownKeyIsInvalid) {
  v1::CreateCaseRequest r = NewCase();
  *r.add_custom_fields() = TextValue("nope", "x");
  EXPECT_TRUE(IsInvalidField(TryCreate(r), "custom_fields"));
}

TEST_F(CaseCustomFieldsTest, WrongTypeIsInvalid) {
  v1::CreateCaseRequest r = NewCase();
  *r.add_custom_fields() = ToggleValue("team", true);
  EXPECT_TRUE(IsInvalidField(TryCreate(r), "custom_fields"));
  v1::CreateCaseRequest mismatch = NewCase();
  v1::CustomFieldValue v = TextValue("urgent", "yes");
  v.set_type(v1::CUSTOM_FIELD_TYPE_TOGGLE);  // declared toggle, carries text
  *mismatch.add_custom_fields() = v;
  EXPECT_TRUE(IsInvalidField(TryCreate(mismatch), "custom_fields"));
}

TEST_F(CaseCustomFieldsTest, DuplicateKeyIsInvalid) {
  v1::CreateCaseRequest r = NewCase();
  *r.add_custom_fields() = TextValue("team", "a");
  *r.add_custom_fields() = TextValue("team", "b");
  EXPECT_TRUE(IsInvalidField(TryCreate(r), "custom_fields"));
}

TEST_F(CaseCustomFieldsTest, RequiredSetToNullIsInvalid) {
  v1::CreateCaseRequest r = NewCase();
  *r.add_custom_fields() = NullValue("team", v1::CUSTOM_FIELD_TYPE_TEXT);
  EXPECT_TRUE(IsInvalidField(TryCreate(r), "custom_fields"));
}

TEST_F(CaseCustomFieldsTest, RequiredWithoutDefaultMissingIsInvalid) {
  v1::UpdateConfigurationRequest u;
  auto configs = GetConfigs({owner_});
  ASSERT_EQ(configs.size(), 1u);
  u.set_id(configs[0].id());
  u.set_version(configs[0].version());
  for (const auto& d : configs[0].custom_fields())
    *u.mutable_custom_fields()->add_values() = d;
  *u.mutable_custom_fields()->add_values() = TextField("must", true);
  ASSERT_TRUE(TryUpdateConfig(u).ok());
  EXPECT_TRUE(IsInvalidField(TryCreate(NewCase()), "custom_fields"));
  v1::CreateCaseRequest r = NewCase();
  *r.add_custom_fields() = TextValue("must", "given");
  v1::Case c;
  ASSERT_TRUE(TryCreate(r, &c).ok());
  EXPECT_EQ(FieldOf(c, "must")->text_value(), "given");
}

TEST_F(CaseCustomFieldsTest, ValueLimits) {
  v1::CreateCaseRequest r = NewCase();
  *r.add_custom_fields() = TextValue("ticket", std::string(161, 'x'));
  EXPECT_TRUE(IsInvalidField(TryCreate(r), "custom_fields"));
  r = NewCase();
  *r.add_custom_fields() = TextValue("ticket", "   ");
  EXPECT_TRUE(IsInvalidField(TryCreate(r), "custom_fields"));
  r = NewCase();
  *r.add_custom_fields() = TextValue("ticket", std::string(160, 'x'));
  EXPECT_TRUE(TryCreate(r).ok());
  r = NewCase();
  v1::CustomFieldValue score;
  score.set_key("score");
  score.set_type(v1::CUSTOM_FIELD_TYPE_NUMBER);
  score.set_number_value(kMaxSafeInteger + 1);
  *r.add_custom_fields() = score;
  EXPECT_TRUE(IsInvalidField(TryCreate(r), "custom_fields"));
  score.set_number_value(-kMaxSafeInteger - 1);
  *r.mutable_custom_fields(0) = score;
  EXPECT_TRUE(IsInvalidField(TryCreate(r), "custom_fields"));
  score.set_number_value(-kMaxSafeInteger);
  *r.mutable_custom_fields(0) = score;
  EXPECT_TRUE(TryCreate(r).ok());
}

TEST_F(CaseCustomFieldsTest, UpdateCasesValidatesAndRefills) {
  v1::Case c = Create(NewCase());
  v1::CasePatch bad = PatchOf(c);
  *bad.mutable_custom_fields()->add_values() = TextValue("nope", "x");
  EXPECT_TRUE(IsInvalidField(TryUpdate({bad}), "cases[0].custom_fields"));
  v1::CasePatch wrong = PatchOf(c);
  *wrong.mutable_custom_fields()->add_values() = ToggleValue("team", false);
  EXPECT_TRUE(IsInvalidField(TryUpdate({wrong}), "cases[0].custom_fields"));

  v1::CasePatch ok = PatchOf(c);
  *ok.mutable_custom_fields()->add_values() = ToggleValue("urgent", true);
  v1::Case u = Update(ok);
  ASSERT_NE(FieldOf(u, "urgent"), nullptr);
  EXPECT_TRUE(FieldOf(u, "urgent")->toggle_value());
  ASSERT_NE(FieldOf(u, "team"), nullptr)
      << "missing configured fields are re-filled";
  EXPECT_EQ(FieldOf(u, "team")->text_value(), "blue");
  EXPECT_EQ(u.custom_fields_size(), 4);

  // One custom_fields activity entry naming the change.
  auto actions = Activity(c.id(), {v1::CASE_ACTIVITY_FILTER_CUSTOM_FIELDS});
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].type(), v1::USER_ACTION_TYPE_CUSTOM_FIELDS);
  EXPECT_EQ(actions[0].action(), v1::USER_ACTION_ACTION_UPDATE);
  EXPECT_TRUE(actions[0].payload().fields().count("customFields"))
      << actions[0].payload().ShortDebugString();
}

TEST_F(CaseCustomFieldsTest, OtherOwnersAreNotAffected) {
  v1::CreateCaseRequest r = NewCase();
  r.set_owner(owner_ + "-unconfigured");
  v1::Case c = Create(r);
  EXPECT_EQ(c.custom_fields_size(), 0);
  *r.add_custom_fields() = TextValue("team", "x");
  EXPECT_TRUE(IsInvalidField(TryCreate(r), "custom_fields"))
      << "no such key for that owner";
}

}  // namespace
}  // namespace casebridge::testing
