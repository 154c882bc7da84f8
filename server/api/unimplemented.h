// The answer for RPCs whose feature has not landed yet.
#ifndef CASEBRIDGE_SERVER_API_UNIMPLEMENTED_H_
#define CASEBRIDGE_SERVER_API_UNIMPLEMENTED_H_

#include <string>

#include "absl/strings/str_cat.h"
#include "grpcpp/grpcpp.h"

namespace casebridge::api {

inline grpc::Status NotYetImplemented(const std::string& method, const std::string& arrives_with) {
  return grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                      absl::StrCat(method, " is not implemented yet in this server build; it arrives with ",
                                   arrives_with, "."));
}

}  // namespace casebridge::api

#endif  // CASEBRIDGE_SERVER_API_UNIMPLEMENTED_H_
