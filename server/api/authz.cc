#include "server/api/authz.h"

#include <utility>

#include "absl/hash/hash.h"
#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "server/auth/api_key.h"
#include "server/util/log.h"

namespace casebridge::api {
namespace {

// The peer address for the audit log; "" when there is none (asking gRPC
// for it costs a lock and a copy on every call).
std::string AuditPeer(const auth::Guard& guard, grpc::ServerContextBase* ctx) {
  return guard.audits() ? ctx->peer() : std::string();
}

std::string Header(grpc::ServerContextBase* ctx) {
  const auto& metadata = ctx->client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) return "";
  return std::string(it->second.data(), it->second.size());
}

}  // namespace

class RpcAuthorizer::Interceptor final
    : public grpc::experimental::Interceptor {
 public:
  Interceptor(RpcAuthorizer* owner, grpc::experimental::ServerRpcInfo* info)
      : owner_(owner), info_(info) {}
  ~Interceptor() override {
    CallRecord ignored;
    owner_->Take(info_->server_context(), &ignored);
  }

  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    using grpc::experimental::InterceptionHookPoints;
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::PRE_SEND_STATUS)) {
      OnSendStatus(methods);
    }
    methods->Proceed();
  }

 private:
  void OnSendStatus(grpc::experimental::InterceptorBatchMethods* methods) {
    CallRecord record;
    const bool checked = owner_->Take(info_->server_context(), &record);
    const grpc::Status status = methods->GetSendStatus();
    const char* method = info_->method();
    if (!checked && status.ok() && method != nullptr &&
        absl::StartsWith(method, "/casebridge.v1.")) {
      log::Error("authz", "RPC ", method,
                 " answered without an authorization check; refused");
      methods->ModifySendStatus(grpc::Status(
          grpc::StatusCode::INTERNAL,
          "this RPC has no authorization check yet and is refused"));
      return;
    }
    if (checked && record.mutation) {
      owner_->guard_->AuditOutcome(
          record.principal, record.action, record.owner,
          absl::Status(static_cast<absl::StatusCode>(status.error_code()), ""),
          record.peer);
    }
  }

  RpcAuthorizer* owner_;
  grpc::experimental::ServerRpcInfo* info_;
};

class RpcAuthorizer::Factory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit Factory(RpcAuthorizer* owner) : owner_(owner) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new Interceptor(owner_, info);
  }

 private:
  RpcAuthorizer* owner_;
};

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
RpcAuthorizer::NewInterceptorFactory() {
  return std::make_unique<Factory>(this);
}

absl::StatusOr<auth::Principal> RpcAuthorizer::Authenticate(
    grpc::ServerContextBase* ctx, const auth::Action& action) {
  std::string header = Header(ctx);
  auto principal = guard_->Authenticate(header, action, AuditPeer(*guard_, ctx));
  auth::Wipe(header);
  return principal;
}

absl::StatusOr<auth::Principal> RpcAuthorizer::Check(
    grpc::ServerContextBase* ctx, const auth::Action& action,
    const OwnerResolver& resolve) {
  auto principal = Authenticate(ctx, action);
  if (!principal.ok()) return principal.status();
  std::vector<std::string> owners;
  if (resolve) {
    auto resolved = resolve();
    if (!resolved.ok()) return resolved.status();
    owners = *std::move(resolved);
  }
  if (owners.empty()) owners.emplace_back();
  const std::string peer = AuditPeer(*guard_, ctx);
  for (const std::string& owner : owners) {
    if (absl::Status s = guard_->Authorize(*principal, action, owner, peer);
        !s.ok()) {
      return s;
    }
  }
  Record(ctx, *principal, action, absl::StrJoin(owners, ","));
  return principal;
}

absl::StatusOr<auth::Principal> RpcAuthorizer::CheckOwner(
    grpc::ServerContextBase* ctx, const auth::Action& action,
    const std::string& owner) {
  return Check(ctx, action,
               [&owner]() -> absl::StatusOr<std::vector<std::string>> {
                 return std::vector<std::string>{owner};
               });
}

absl::StatusOr<auth::Principal> RpcAuthorizer::CheckSearch(
    grpc::ServerContextBase* ctx, const auth::Action& action,
    std::vector<std::string>& owners) {
  auto principal = Authenticate(ctx, action);
  if (!principal.ok()) return principal.status();
  if (absl::Status s =
          guard_->AuthorizeSearch(*principal, action, owners,
                                  AuditPeer(*guard_, ctx));
      !s.ok()) {
    return s;
  }
  Record(ctx, *principal, action, absl::StrJoin(owners, ","));
  return principal;
}

void RpcAuthorizer::Record(grpc::ServerContextBase* ctx,
                           const auth::Principal& principal,
                           const auth::Action& action,
                           const std::string& owner) {
  CallRecord record;
  record.mutation = action.mutation;
  record.principal_id = principal.user.username;
  if (action.mutation) {
    record.principal = principal;
    record.action = action;
    record.owner = owner;
    record.peer = AuditPeer(*guard_, ctx);
  }
  Shard& shard = ShardOf(ctx);
  absl::MutexLock lock(&shard.mu);
  shard.calls[ctx] = std::move(record);
}

RpcAuthorizer::Shard& RpcAuthorizer::ShardOf(
    const grpc::ServerContextBase* ctx) {
  return shards_[absl::Hash<const grpc::ServerContextBase*>{}(ctx) % kShards];
}

std::string RpcAuthorizer::PrincipalIdOf(
    const grpc::ServerContextBase& ctx) {
  Shard& shard = ShardOf(&ctx);
  absl::MutexLock lock(&shard.mu);
  auto it = shard.calls.find(&ctx);
  return it == shard.calls.end() ? std::string() : it->second.principal_id;
}

bool RpcAuthorizer::Take(grpc::ServerContextBase* ctx, CallRecord* out) {
  Shard& shard = ShardOf(ctx);
  absl::MutexLock lock(&shard.mu);
  auto it = shard.calls.find(ctx);
  if (it == shard.calls.end()) return false;
  *out = std::move(it->second);
  shard.calls.erase(it);
  return true;
}

}  // namespace casebridge::api
