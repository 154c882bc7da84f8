// Fuzz target: the JSON Schemas a plugin descriptor declares (config,
// secrets, sub-action params). Input: schema text, a NUL byte, a document.
// The schema goes the way the host takes it: parsed as the loader does
// (an object, else the plugin is refused), compiled by JsonSchema as
// ConnectorManager does, converted to a google.protobuf.Struct as
// ListConnectorTypes does; the document (a JSON value as a request's Struct
// would carry it) is validated against it and the violations become a gRPC
// status. Documents nested deeper than protobuf's recursion limit (100)
// cannot arrive through gRPC and are skipped. Checks: no crash or sanitizer
// report, only INVALID_ARGUMENT errors, decodable Struct and status.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "google/protobuf/struct.pb.h"
#include "nlohmann/json.hpp"
#include "server/api/grpc_status.h"
#include "server/api/json_struct.h"
#include "server/connectors/json_schema.h"
#include "server/util/status.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

constexpr int kMaxDepth = 100;

// Nesting depth of the JSON text, counting brackets outside strings.
int Depth(std::string_view text) {
  int depth = 0, max_depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      max_depth = std::max(max_depth, ++depth);
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return max_depth;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using casebridge::fuzz::CheckRoundTrip;
  using casebridge::fuzz::CheckStatus;
  using casebridge::fuzz::Fail;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  if (Depth(input) > kMaxDepth) return -1;
  const size_t split = input.find('\0');
  std::string_view schema_text = input.substr(0, split);
  std::string_view document_text = split == std::string_view::npos
                                       ? std::string_view("{}")
                                       : input.substr(split + 1);

  nlohmann::json schema = nlohmann::json::parse(schema_text, nullptr, false);
  if (schema.is_discarded() || !schema.is_object()) return -1;

  google::protobuf::Struct as_struct;
  casebridge::api::JsonToStruct(schema, &as_struct);
  CheckRoundTrip(as_struct);

  auto compiled = casebridge::connectors::JsonSchema::Compile(schema);
  if (!compiled.ok()) {
    if (!absl::IsInvalidArgument(compiled.status())) {
      Fail("Compile: " + compiled.status().ToString());
    }
    return 0;
  }
  nlohmann::json document =
      nlohmann::json::parse(document_text, nullptr, false);
  if (document.is_discarded()) return 0;
  google::protobuf::Value as_value;
  casebridge::api::JsonToValue(document, &as_value);
  CheckRoundTrip(as_value);

  casebridge::ValidationErrors errors;
  (*compiled)->Validate(document, "config", &errors);
  if (!errors.empty()) {
    grpc::Status status = casebridge::api::ToGrpcStatus(errors.ToStatus());
    if (status.error_code() != grpc::StatusCode::INVALID_ARGUMENT) {
      Fail("validation gave " + status.error_message());
    }
    CheckStatus(status);
  }
  return 0;
}
