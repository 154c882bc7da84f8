// Fuzz target: request validation of CaseService. Each input is a binary
// casebridge.fuzz.FuzzCaseRequest (tests/fuzz/fuzz_requests.proto); the
// seeds are text protos that run_fuzzers.sh encodes. Every input gets a
// fresh in-memory store holding one case (id and version "seed"), one
// comment on it and one configuration, then runs through the same
// CaseServiceImpl handlers the server registers (the callback methods
// CreateCase and FindCases through the conversion, validation and
// CaseManager call their handlers make).
// Checks: no crash or sanitizer report, no INTERNAL/UNKNOWN status, error
// details and responses that a client can decode.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_requests.pb.h"
#include "google/protobuf/text_format.h"
#include "grpcpp/server_context.h"
#include "server/api/case_convert.h"
#include "server/api/authz.h"
#include "server/api/case_service.h"
#include "server/auth/authenticator.h"
#include "server/auth/guard.h"
#include "server/api/grpc_status.h"
#include "server/cases/case_manager.h"
#include "server/cases/validation.h"
#include "server/util/log.h"
#include "tests/fuzz/fuzz_util.h"
#include "tests/unit/fake_store.h"

namespace casebridge::fuzz {
namespace {

constexpr char kSeed[] = "seed";

struct Seeded {
  std::string case_id, case_version;
  std::string comment_id, comment_version;
  std::string configuration_id, configuration_version;
};

void Remap(std::string* value, const std::string& actual) {
  if (*value == kSeed) *value = actual;
}

// What the CreateCase callback handler does, synchronously.
grpc::Status CreateCase(cases::CaseManager& manager,
                        const v1::CreateCaseRequest& request,
                        v1::CreateCaseResponse* response) {
  ValidationErrors errors;
  cases::NewCase c = api::NewCaseFromProto(request, errors);
  if (!errors.empty()) {
    cases::CheckNewCase(c, errors);
    return api::ToGrpcStatus(errors.ToStatus());
  }
  auto created = manager.CreateCase(
      std::move(c), store::User{"fuzz", "Fuzz", "fuzz@example.com", "u_fuzz"});
  if (!created.ok()) return api::ToGrpcStatus(created.status());
  api::CaseToProto(*created, response->mutable_case_());
  return grpc::Status::OK;
}

// Creates the case, comment and configuration every input starts with.
Seeded Seed(cases::CaseManager& manager, api::CaseServiceImpl& service,
            grpc::ServerContext& ctx) {
  Seeded s;
  v1::CreateCaseRequest create;
  create.set_title("Seeded case");
  create.set_description("A case for the fuzzer");
  create.set_owner("securitySolution");
  create.add_tags("seed");
  v1::CreateCaseResponse created;
  grpc::Status status = CreateCase(manager, create, &created);
  if (!status.ok()) Fail("seed CreateCase: " + status.error_message());

  v1::AddCommentRequest add;
  add.set_case_id(created.case_().id());
  add.mutable_attachment()->mutable_user()->set_comment("seed comment");
  v1::AddCommentResponse added;
  status = service.AddComment(&ctx, &add, &added);
  if (!status.ok() || added.case_().comments_size() != 1) {
    Fail("seed AddComment: " + status.error_message());
  }
  s.case_id = added.case_().id();
  s.case_version = added.case_().version();
  s.comment_id = added.case_().comments(0).id();
  s.comment_version = added.case_().comments(0).version();

  v1::SetConfigurationRequest set;
  set.set_owner("securitySolution");
  v1::SetConfigurationResponse configured;
  status = service.SetConfiguration(&ctx, &set, &configured);
  if (!status.ok()) Fail("seed SetConfiguration: " + status.error_message());
  s.configuration_id = configured.configuration().id();
  s.configuration_version = configured.configuration().version();
  return s;
}

// A guard letting every call through as an anonymous superuser: the target
// fuzzes validation, not authorization (rpc_role_table_test covers that).
std::unique_ptr<auth::Guard> AllowEverythingGuard() {
  config::AuthConfig auth;
  auth.anonymous.enabled = true;
  auth.anonymous.roles = {"superuser"};
  config::Principal fuzz_user;
  fuzz_user.username = "fuzz";
  auto authenticator =
      auth::Authenticator::Create(auth, fuzz_user, /*lookup=*/nullptr);
  if (!authenticator.ok()) Fail(authenticator.status().ToString());
  return std::make_unique<auth::Guard>(*std::move(authenticator),
                                       /*audit=*/nullptr,
                                       /*rate_per_second=*/0,
                                       /*rate_burst=*/0);
}

template <typename Response>
void CheckCall(const grpc::Status& status, const Response& response) {
  CheckStatus(status);
  if (status.ok()) CheckRoundTrip(response);
}

void Run(FuzzCaseRequest& in) {
  store::testing::FakeStore store;
  cases::CaseManager manager(&store);
  static auth::Guard* const guard = AllowEverythingGuard().release();
  api::RpcAuthorizer authz(guard);
  api::CaseServiceImpl service(&manager, &authz);
  grpc::ServerContext ctx;
  const Seeded seeded = Seed(manager, service, ctx);

  switch (in.request_case()) {
    case FuzzCaseRequest::kCreateCase: {
      v1::CreateCaseResponse response;
      CheckCall(CreateCase(manager, in.create_case(), &response), response);
      break;
    }
    case FuzzCaseRequest::kUpdateCases: {
      for (auto& patch : *in.mutable_update_cases()->mutable_cases()) {
        Remap(patch.mutable_id(), seeded.case_id);
        Remap(patch.mutable_version(), seeded.case_version);
      }
      v1::UpdateCasesResponse response;
      CheckCall(service.UpdateCases(&ctx, &in.update_cases(), &response),
                response);
      break;
    }
    case FuzzCaseRequest::kAddComment: {
      Remap(in.mutable_add_comment()->mutable_case_id(), seeded.case_id);
      v1::AddCommentResponse response;
      CheckCall(service.AddComment(&ctx, &in.add_comment(), &response),
                response);
      break;
    }
    case FuzzCaseRequest::kUpdateComment: {
      v1::UpdateCommentRequest* r = in.mutable_update_comment();
      Remap(r->mutable_case_id(), seeded.case_id);
      Remap(r->mutable_comment_id(), seeded.comment_id);
      Remap(r->mutable_version(), seeded.comment_version);
      v1::UpdateCommentResponse response;
      CheckCall(service.UpdateComment(&ctx, r, &response), response);
      break;
    }
    case FuzzCaseRequest::kFindCases: {
      // The handler's conversion and manager call (FakeStore answers
      // searches with UNIMPLEMENTED once validation passed).
      ValidationErrors errors;
      store::CaseQuery query = api::CaseQueryFromProto(in.find_cases(), errors);
      if (!errors.empty()) {
        CheckStatus(api::ToGrpcStatus(errors.ToStatus()));
        break;
      }
      auto found = manager.FindCases(std::move(query));
      if (!found.ok()) CheckStatus(api::ToGrpcStatus(found.status()));
      break;
    }
    case FuzzCaseRequest::kFindComments: {
      Remap(in.mutable_find_comments()->mutable_case_id(), seeded.case_id);
      v1::FindCommentsResponse response;
      CheckCall(service.FindComments(&ctx, &in.find_comments(), &response),
                response);
      break;
    }
    case FuzzCaseRequest::kFindCaseActivity: {
      Remap(in.mutable_find_case_activity()->mutable_case_id(), seeded.case_id);
      v1::FindCaseActivityResponse response;
      CheckCall(
          service.FindCaseActivity(&ctx, &in.find_case_activity(), &response),
          response);
      break;
    }
    case FuzzCaseRequest::kSetConfiguration: {
      v1::SetConfigurationResponse response;
      CheckCall(
          service.SetConfiguration(&ctx, &in.set_configuration(), &response),
          response);
      break;
    }
    case FuzzCaseRequest::kUpdateConfiguration: {
      v1::UpdateConfigurationRequest* r = in.mutable_update_configuration();
      Remap(r->mutable_id(), seeded.configuration_id);
      Remap(r->mutable_version(), seeded.configuration_version);
      v1::UpdateConfigurationResponse response;
      CheckCall(service.UpdateConfiguration(&ctx, r, &response), response);
      break;
    }
    case FuzzCaseRequest::kGetCaseStatusCounts: {
      v1::GetCaseStatusCountsResponse response;
      CheckCall(service.GetCaseStatusCounts(&ctx, &in.get_case_status_counts(),
                                            &response),
                response);
      break;
    }
    case FuzzCaseRequest::kDeleteCases: {
      for (auto& id : *in.mutable_delete_cases()->mutable_ids()) {
        Remap(&id, seeded.case_id);
      }
      v1::DeleteCasesResponse response;
      CheckCall(service.DeleteCases(&ctx, &in.delete_cases(), &response),
                response);
      break;
    }
    case FuzzCaseRequest::REQUEST_NOT_SET:
      break;
  }

  if (in.has_then_create_case()) {
    v1::CreateCaseResponse response;
    CheckCall(CreateCase(manager, in.then_create_case(), &response), response);
  }
}

}  // namespace
}  // namespace casebridge::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  casebridge::log::SetLevel(casebridge::log::Level::kError);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  casebridge::fuzz::FuzzCaseRequest in;
  // Inputs that are no valid message (or invalid UTF-8, which gRPC would
  // reject before the handler) are not interesting.
  if (!in.ParseFromArray(data, static_cast<int>(size))) return -1;
  casebridge::fuzz::Run(in);
  return 0;
}

// Text seeds (tests/fuzz/corpus/case_requests/*.txtpb) for seed_runner.cc.
extern "C" bool CasebridgeFuzzSeedFromText(const std::string& text,
                                           std::string* bytes) {
  casebridge::fuzz::FuzzCaseRequest in;
  if (!google::protobuf::TextFormat::ParseFromString(text, &in)) return false;
  return in.SerializeToString(bytes);
}
