#include "server/api/watch_cases.h"

#include <deque>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "server/api/case_convert.h"
#include "server/api/grpc_status.h"
#include "server/cases/case_events.h"
#include "server/cases/validation.h"
#include "server/metrics/metrics.h"
#include "server/util/ids.h"
#include "server/util/log.h"
#include "server/util/status.h"

namespace casebridge::api {
namespace {

constexpr char kComponent[] = "watch";
constexpr char kTokenPrefix[] = "ev1.";
constexpr int kMaxOwners = 100;
constexpr int kReadBatch = 256;
constexpr absl::Duration kPruneEvery = absl::Minutes(1);

class EndedStream : public grpc::ServerWriteReactor<v1::WatchCasesResponse> {
 public:
  explicit EndedStream(grpc::Status status) { Finish(std::move(status)); }
  void OnDone() override { delete this; }
};

}  // namespace

grpc::ServerWriteReactor<v1::WatchCasesResponse>* EndedWatch(
    grpc::Status status) {
  return new EndedStream(std::move(status));
}

std::string EncodeResumeToken(int64_t seq) {
  return absl::StrCat(kTokenPrefix, seq);
}

std::optional<int64_t> DecodeResumeToken(const std::string& token) {
  const std::string prefix = kTokenPrefix;
  if (token.compare(0, prefix.size(), prefix) != 0) return std::nullopt;
  int64_t seq = 0;
  if (!absl::SimpleAtoi(token.substr(prefix.size()), &seq) || seq < 0) {
    return std::nullopt;
  }
  return seq;
}

// One open WatchCases call. Writes one event at a time; events read from
// the store wait in pending_ while a write is in flight.
class CaseWatchHub::Stream
    : public grpc::ServerWriteReactor<v1::WatchCasesResponse> {
 public:
  Stream(CaseWatchHub* hub, std::set<std::string> owners, std::set<int> types,
         int64_t after_seq)
      : hub_(hub),
        owners_(std::move(owners)),
        types_(std::move(types)),
        after_seq_(after_seq) {}

  // Reads the events after the last one seen and starts writing the first
  // that matches, unless a write is in flight or the stream is over. Any
  // thread.
  void Pump() {
    std::lock_guard<std::mutex> lock(mu_);
    if (finished_ || writing_) return;
    while (pending_.empty()) {
      auto tx = hub_->store_->BeginRead();
      if (!tx.ok()) {
        log::Warn(kComponent, "reading case events: ", tx.status().message());
        return;  // tried again on the next wake-up
      }
      auto events = (*tx)->ListCaseEvents(after_seq_, kReadBatch);
      if (!events.ok()) {
        log::Warn(kComponent,
                  "reading case events: ", events.status().message());
        return;
      }
      for (const store::CaseEvent& e : *events) {
        after_seq_ = e.seq;
        if (Matches(e)) pending_.push_back(ToProto(e));
      }
      if (static_cast<int>(events->size()) < kReadBatch) break;
    }
    if (pending_.empty()) return;
    current_ = std::move(pending_.front());
    pending_.pop_front();
    writing_ = true;
    metrics::CountWatchEventsSent(1);
    StartWrite(&current_);
  }

  // Ends the stream with `status` unless it is over. Any thread.
  void End(grpc::Status status) {
    std::lock_guard<std::mutex> lock(mu_);
    if (finished_) return;
    if (writing_) {
      // OnWriteDone finishes it.
      end_status_ = std::move(status);
      return;
    }
    finished_ = true;
    Finish(std::move(status));
  }

  void OnWriteDone(bool ok) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      writing_ = false;
      if (!ok || end_status_) {
        if (!finished_) {
          finished_ = true;
          Finish(end_status_ ? *end_status_ : grpc::Status::CANCELLED);
        }
        return;
      }
    }
    Pump();
  }

  void OnCancel() override {
    End(grpc::Status(grpc::StatusCode::CANCELLED, "the client cancelled"));
  }

  void OnDone() override {
    hub_->Remove(this);
    delete this;
  }

 private:
  bool Matches(const store::CaseEvent& e) const {
    if (!owners_.empty() && owners_.count(e.owner) == 0) return false;
    if (!types_.empty() && types_.count(static_cast<int>(e.type)) == 0) {
      return false;
    }
    return true;
  }

  static v1::WatchCasesResponse ToProto(const store::CaseEvent& e) {
    v1::WatchCasesResponse out;
    v1::CaseEvent* event = out.mutable_event();
    event->set_resume_token(EncodeResumeToken(e.seq));
    event->set_type(static_cast<v1::CaseEventType>(e.type));
    event->set_case_id(e.case_id);
    event->set_owner(e.owner);
    if (e.case_version > 0) event->set_version(EncodeVersion(e.case_version));
    TimeToProto(e.time, event->mutable_time());
    return out;
  }

  CaseWatchHub* const hub_;
  const std::set<std::string> owners_;
  const std::set<int> types_;
  std::mutex mu_;
  int64_t after_seq_;                           // guarded by mu_
  std::deque<v1::WatchCasesResponse> pending_;  // guarded by mu_
  v1::WatchCasesResponse current_;              // in flight; guarded by mu_
  bool writing_ = false;                        // guarded by mu_
  bool finished_ = false;                       // guarded by mu_
  std::optional<grpc::Status> end_status_;      // guarded by mu_
};

CaseWatchHub::CaseWatchHub(store::Store* store, WatchOptions options)
    : store_(store), options_(options), thread_([this] { Run(); }) {}

CaseWatchHub::~CaseWatchHub() { Shutdown(); }

grpc::ServerWriteReactor<v1::WatchCasesResponse>* CaseWatchHub::Watch(
    grpc::CallbackServerContext* /*ctx*/,
    const v1::WatchCasesRequest* request) {
  if (stopping_) {
    return EndedWatch(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                   "the server is shutting down"));
  }
  ValidationErrors errors;
  std::set<std::string> owners;
  if (request->owners_size() > kMaxOwners) {
    errors.Add("owners",
               absl::StrCat("must hold at most ", kMaxOwners, " owners"));
  }
  for (int i = 0; i < request->owners_size(); ++i) {
    cases::CheckOwner(request->owners(i), absl::StrCat("owners[", i, "]"),
                      errors);
    owners.insert(request->owners(i));
  }
  std::set<int> types;
  for (int i = 0; i < request->types_size(); ++i) {
    const int type = request->types(i);
    if (type < v1::CASE_EVENT_TYPE_CREATED ||
        type > v1::CASE_EVENT_TYPE_DELETED) {
      errors.Add(absl::StrCat("types[", i, "]"),
                 "must be CREATED, UPDATED, COMMENTED, PUSHED or DELETED");
    }
    types.insert(type);
  }
  std::optional<int64_t> token_seq;
  if (!request->resume_token().empty()) {
    token_seq = DecodeResumeToken(request->resume_token());
    if (!token_seq) {
      errors.Add("resume_token", "is not a token from a WatchCases event");
    }
  }
  if (!errors.empty()) return EndedWatch(ToGrpcStatus(errors.ToStatus()));

  auto tx = store_->BeginRead();
  if (!tx.ok()) return EndedWatch(ToGrpcStatus(tx.status()));
  auto latest = (*tx)->LatestCaseEventSeq();
  if (!latest.ok()) return EndedWatch(ToGrpcStatus(latest.status()));
  int64_t after_seq = *latest;
  if (token_seq) {
    auto pruned = (*tx)->CaseEventsPrunedThrough();
    if (!pruned.ok()) return EndedWatch(ToGrpcStatus(pruned.status()));
    if (*token_seq < *pruned) {
      return EndedWatch(grpc::Status(
          grpc::StatusCode::OUT_OF_RANGE,
          "resume_token: the events after it are past the retention and were "
          "deleted; reload the cases and watch without a token"));
    }
    if (*token_seq > *latest) {
      return EndedWatch(ToGrpcStatus(InvalidField(
          "resume_token", "is ahead of this server's case events")));
    }
    after_seq = *token_seq;
  }
  tx->reset();

  auto* stream =
      new Stream(this, std::move(owners), std::move(types), after_seq);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (static_cast<int>(streams_.size()) >= options_.max_streams) {
      delete stream;
      return EndedWatch(grpc::Status(
          grpc::StatusCode::RESOURCE_EXHAUSTED,
          absl::StrCat("too many WatchCases streams are open (at most ",
                       options_.max_streams, ")")));
    }
    streams_.insert(stream);
  }
  metrics::AddWatchStreams(1);
  // Initial metadata tells the client the stream is established: events
  // committed from now on reach it.
  stream->StartSendInitialMetadata();
  stream->Pump();  // replays from the token
  return stream;
}

void CaseWatchHub::Shutdown() {
  if (stopping_.exchange(true)) return;
  cases::WakeCaseEventWaiters();
  if (thread_.joinable()) thread_.join();
  std::lock_guard<std::mutex> lock(mu_);
  for (Stream* s : streams_) {
    s->End(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                        "the server is shutting down"));
  }
}

void CaseWatchHub::Remove(Stream* stream) {
  std::lock_guard<std::mutex> lock(mu_);
  if (streams_.erase(stream) > 0) metrics::AddWatchStreams(-1);
}

void CaseWatchHub::Run() {
  uint64_t generation = cases::CaseEventsGeneration();
  while (!stopping_) {
    generation = cases::WaitForCaseEvents(generation, options_.poll_interval);
    if (stopping_) break;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (Stream* s : streams_) s->Pump();
    }
    PruneIfDue(absl::Now());
  }
}

void CaseWatchHub::PruneIfDue(absl::Time now) {
  if (now < next_prune_) return;
  next_prune_ = now + kPruneEvery;
  auto tx = store_->BeginWrite();
  absl::Status status = tx.status();
  if (status.ok()) {
    auto pruned = (*tx)->PruneCaseEvents(now - options_.retention);
    status = pruned.status();
    if (status.ok()) status = (*tx)->Commit();
  }
  if (!status.ok()) {
    log::Warn(kComponent, "pruning case events: ", status.message());
  }
}

}  // namespace casebridge::api
