#include "server/api/json_struct.h"

#include <cmath>
#include <cstdint>
#include <string>

namespace casebridge::api {

using nlohmann::json;

json ValueToJson(const google::protobuf::Value& value) {
  switch (value.kind_case()) {
    case google::protobuf::Value::kNullValue:
    case google::protobuf::Value::KIND_NOT_SET:
      return nullptr;
    case google::protobuf::Value::kNumberValue: {
      const double d = value.number_value();
      constexpr double kSafe = 9007199254740991.0;
      if (std::isfinite(d) && std::trunc(d) == d && std::fabs(d) <= kSafe) {
        return static_cast<int64_t>(d);
      }
      return d;
    }
    case google::protobuf::Value::kStringValue:
      return value.string_value();
    case google::protobuf::Value::kBoolValue:
      return value.bool_value();
    case google::protobuf::Value::kStructValue:
      return StructToJson(value.struct_value());
    case google::protobuf::Value::kListValue: {
      json out = json::array();
      for (const auto& v : value.list_value().values()) {
        out.push_back(ValueToJson(v));
      }
      return out;
    }
  }
  return nullptr;
}

json StructToJson(const google::protobuf::Struct& s) {
  json out = json::object();
  for (const auto& [key, value] : s.fields()) out[key] = ValueToJson(value);
  return out;
}

void JsonToValue(const json& j, google::protobuf::Value* out) {
  switch (j.type()) {
    case json::value_t::null:
    case json::value_t::discarded:
    case json::value_t::binary:
      out->set_null_value(google::protobuf::NULL_VALUE);
      break;
    case json::value_t::boolean:
      out->set_bool_value(j.get<bool>());
      break;
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float:
      out->set_number_value(j.get<double>());
      break;
    case json::value_t::string:
      out->set_string_value(j.get_ref<const std::string&>());
      break;
    case json::value_t::array: {
      auto* list = out->mutable_list_value();
      for (const auto& e : j) JsonToValue(e, list->add_values());
      break;
    }
    case json::value_t::object:
      JsonToStruct(j, out->mutable_struct_value());
      break;
  }
}

void JsonToStruct(const json& j, google::protobuf::Struct* out) {
  out->Clear();
  if (!j.is_object()) return;
  auto* fields = out->mutable_fields();
  for (const auto& [key, value] : j.items()) {
    JsonToValue(value, &(*fields)[key]);
  }
}

}  // namespace casebridge::api
