// RpcAuthorizer: the gRPC side of server/auth's Guard. Every handler in
// server/api calls Check (once) before doing anything else; it reads the
// "authorization" header from the call, authenticates, rate-limits and
// checks the privilege on the object's owner, and returns the principal
// whose user acts for the call.
//
// Its interceptor (NewInterceptorFactory, registered on the ServerBuilder)
// audits the outcome of every authorized mutation and fails closed: a
// casebridge.v1 RPC whose handler answered OK without calling Check is
// turned into INTERNAL, so an RPC added without an authorization check
// cannot leak data.
//
// Thread-safe. The Guard must outlive it; it must outlive the server.
#ifndef CASEBRIDGE_SERVER_API_AUTHZ_H_
#define CASEBRIDGE_SERVER_API_AUTHZ_H_

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/support/server_interceptor.h"
#include "server/auth/guard.h"

namespace casebridge::api {

class RpcAuthorizer {
 public:
  explicit RpcAuthorizer(auth::Guard* guard) : guard_(guard) {}

  // Finds the owners of the object(s) an action targets; called only after
  // authentication succeeded. Errors (e.g. NOT_FOUND) are returned as is.
  using OwnerResolver =
      std::function<absl::StatusOr<std::vector<std::string>>()>;

  // For actions without an owner (connectors, admin) or whose owners come
  // from `resolve`.
  absl::StatusOr<auth::Principal> Check(grpc::ServerContextBase* ctx,
                                        const auth::Action& action,
                                        const OwnerResolver& resolve = nullptr);
  // For actions on a known owner (e.g. the owner of a case to create).
  absl::StatusOr<auth::Principal> CheckOwner(grpc::ServerContextBase* ctx,
                                             const auth::Action& action,
                                             const std::string& owner);
  // For searches over owners: narrows `owners` (see Guard::AuthorizeSearch).
  absl::StatusOr<auth::Principal> CheckSearch(grpc::ServerContextBase* ctx,
                                              const auth::Action& action,
                                              std::vector<std::string>& owners);

  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
  NewInterceptorFactory();

  // The username of the principal a call in progress was authorized as (""
  // before Check, or when it failed). For the request log line; an interceptor
  // reading it must run before this class's (which forgets the call).
  std::string PrincipalIdOf(const grpc::ServerContextBase& ctx);

  auth::Guard* guard() const { return guard_; }

 private:
  class Interceptor;
  class Factory;
  struct CallRecord {
    bool mutation = false;
    std::string principal_id;  // username
    auth::Principal principal;  // mutations only
    auth::Action action;
    std::string owner;
    std::string peer;
  };
  absl::StatusOr<auth::Principal> Authenticate(grpc::ServerContextBase* ctx,
                                               const auth::Action& action);
  void Record(grpc::ServerContextBase* ctx, const auth::Principal& principal,
              const auth::Action& action, const std::string& owner);
  // Removes and returns the record of `ctx`, if any.
  bool Take(grpc::ServerContextBase* ctx, CallRecord* out);

  // Records of the calls in flight, sharded by call so that concurrent
  // calls rarely meet on a lock (each call takes one three times).
  struct Shard {
    absl::Mutex mu;
    std::unordered_map<const grpc::ServerContextBase*, CallRecord> calls
        ABSL_GUARDED_BY(mu);
  };
  static constexpr size_t kShards = 16;
  Shard& ShardOf(const grpc::ServerContextBase* ctx);

  auth::Guard* guard_;
  Shard shards_[kShards];
};

}  // namespace casebridge::api

#endif  // CASEBRIDGE_SERVER_API_AUTHZ_H_
