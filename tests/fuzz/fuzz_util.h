// Checks shared by the fuzz targets: what a gRPC client receives must be
// decodable. A failed check aborts (libFuzzer and the seed runner report it
// as a crash). Single-threaded use; no state.
#ifndef CASEBRIDGE_TESTS_FUZZ_FUZZ_UTIL_H_
#define CASEBRIDGE_TESTS_FUZZ_FUZZ_UTIL_H_

#include <string>

#include "google/protobuf/message.h"
#include "grpcpp/support/status.h"

namespace casebridge::fuzz {

// Prints `what` and aborts.
[[noreturn]] void Fail(const std::string& what);

// The message survives a serialize/parse round trip (e.g. every string field
// is valid UTF-8, which clients enforce when they decode).
void CheckRoundTrip(const google::protobuf::Message& message);

// A non-OK status carries a message and, when it has details, a parseable
// google.rpc.Status whose BadRequest details decode. INTERNAL and UNKNOWN
// are bugs: no input may cause them.
void CheckStatus(const grpc::Status& status);

}  // namespace casebridge::fuzz

#endif  // CASEBRIDGE_TESTS_FUZZ_FUZZ_UTIL_H_
