#include "tests/fuzz/fuzz_util.h"

#include <cstdio>
#include <cstdlib>

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace casebridge::fuzz {

void Fail(const std::string& what) {
  std::fprintf(stderr, "fuzz check failed: %s\n", what.c_str());
  std::fflush(stderr);
  std::abort();
}

void CheckRoundTrip(const google::protobuf::Message& message) {
  std::string bytes;
  if (!message.SerializeToString(&bytes)) {
    Fail("cannot serialize " + message.GetTypeName());
  }
  std::unique_ptr<google::protobuf::Message> parsed(message.New());
  if (!parsed->ParseFromString(bytes)) {
    Fail("a client cannot parse " + message.GetTypeName() + ": " +
         message.ShortDebugString().substr(0, 2000));
  }
}

void CheckStatus(const grpc::Status& status) {
  if (status.ok()) return;
  if (status.error_code() == grpc::StatusCode::INTERNAL ||
      status.error_code() == grpc::StatusCode::UNKNOWN) {
    Fail("internal error for a request: " + status.error_message());
  }
  if (status.error_message().empty()) Fail("error without a message");
  if (status.error_details().empty()) return;
  google::rpc::Status rich;
  if (!rich.ParseFromString(status.error_details())) {
    Fail("unparseable google.rpc.Status detail for: " + status.error_message());
  }
  if (rich.code() != static_cast<int32_t>(status.error_code())) {
    Fail("google.rpc.Status code differs from the call's code");
  }
  for (const auto& any : rich.details()) {
    google::rpc::BadRequest bad_request;
    if (any.Is<google::rpc::BadRequest>() && !any.UnpackTo(&bad_request)) {
      Fail("unparseable BadRequest detail for: " + status.error_message());
    }
    for (const auto& v : bad_request.field_violations()) {
      if (v.field().empty() || v.description().empty()) {
        Fail("field violation without field or description");
      }
    }
  }
}

}  // namespace casebridge::fuzz
