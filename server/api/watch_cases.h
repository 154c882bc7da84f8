// casebridge.v1.CaseService.WatchCases: a change feed of case events read
// from the store (server/cases/case_events.h writes them).
//
// One hub per process. Its thread reads new events for every open stream
// when this process commits events, and every poll interval for the events
// other replicas commit; it also deletes events older than the retention.
// Each stream replays from its resume token, then follows. Thread-safe.
// Shutdown() ends every stream (UNAVAILABLE) and refuses new ones; call it
// before shutting the gRPC server down, and destroy the hub after the server
// has stopped (streams call back into it until they are done).
#ifndef CASEBRIDGE_SERVER_API_WATCH_CASES_H_
#define CASEBRIDGE_SERVER_API_WATCH_CASES_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include "absl/time/time.h"
#include "casebridge/v1/case_service.pb.h"
#include "server/store/store.h"

namespace casebridge::api {

struct WatchOptions {
  absl::Duration poll_interval = absl::Seconds(2);
  absl::Duration retention = absl::Hours(168);
  int max_streams = 1000;
};

// The resume token of the event with sequence `seq`, and back.
std::string EncodeResumeToken(int64_t seq);
std::optional<int64_t> DecodeResumeToken(const std::string& token);

// A WatchCases stream that ends at once with `status` (refused calls).
grpc::ServerWriteReactor<v1::WatchCasesResponse>* EndedWatch(
    grpc::Status status);

class CaseWatchHub {
 public:
  // `store` is borrowed and must outlive the hub.
  CaseWatchHub(store::Store* store, WatchOptions options);
  ~CaseWatchHub();
  CaseWatchHub(const CaseWatchHub&) = delete;
  CaseWatchHub& operator=(const CaseWatchHub&) = delete;

  // Serves one WatchCases call.
  grpc::ServerWriteReactor<v1::WatchCasesResponse>* Watch(
      grpc::CallbackServerContext* ctx, const v1::WatchCasesRequest* request);

  void Shutdown();

 private:
  class Stream;
  friend class Stream;

  void Run();
  void Remove(Stream* stream);
  void PruneIfDue(absl::Time now);

  store::Store* const store_;
  const WatchOptions options_;
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::set<Stream*> streams_;                     // guarded by mu_
  absl::Time next_prune_ = absl::InfinitePast();  // hub thread only
  std::thread thread_;
};

}  // namespace casebridge::api

#endif  // CASEBRIDGE_SERVER_API_WATCH_CASES_H_
