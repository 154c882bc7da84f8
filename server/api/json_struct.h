// Conversion between google.protobuf.Struct/Value and nlohmann::json.
// Numbers: a Value's double becomes a JSON integer when it is integral and a
// safe integer, else a JSON float. Pure functions; thread-safe.
#ifndef CASEBRIDGE_SERVER_API_JSON_STRUCT_H_
#define CASEBRIDGE_SERVER_API_JSON_STRUCT_H_

#include "google/protobuf/struct.pb.h"
#include "nlohmann/json.hpp"

namespace casebridge::api {

nlohmann::json ValueToJson(const google::protobuf::Value& value);
nlohmann::json StructToJson(const google::protobuf::Struct& s);

void JsonToValue(const nlohmann::json& json, google::protobuf::Value* out);
// Non-object JSON yields an empty Struct.
void JsonToStruct(const nlohmann::json& json, google::protobuf::Struct* out);

}  // namespace casebridge::api

#endif  // CASEBRIDGE_SERVER_API_JSON_STRUCT_H_
