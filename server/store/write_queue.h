// WriteQueue: funnels write operations from many threads into one writer
// thread, which applies everything queued since its last batch as one
// Store::ApplyWriteBatch. Concurrent writes thus share one commit, and a
// caller hands its write off once instead of waiting for the writer itself.
//
// Thread-safe. Callbacks run on the writer thread, after the batch holding
// their op has committed (or failed), in submission order; they must not
// block for long and must not destroy the queue. The Store must outlive the
// queue; the destructor applies what is still queued, then joins the thread.
#ifndef CASEBRIDGE_SERVER_STORE_WRITE_QUEUE_H_
#define CASEBRIDGE_SERVER_STORE_WRITE_QUEUE_H_

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "absl/status/status.h"
#include "server/store/store.h"

namespace casebridge::store {

class WriteQueue {
 public:
  // Receives the op's status: its own error, or the status of the commit
  // that made its writes durable (OK = durable).
  using Done = std::function<void(absl::Status)>;

  // At most `max_batch` ops go into one ApplyWriteBatch call.
  explicit WriteQueue(Store* store, int max_batch = 64);
  ~WriteQueue();

  WriteQueue(const WriteQueue&) = delete;
  WriteQueue& operator=(const WriteQueue&) = delete;

  // Queues `op`; `done` is called exactly once. The writer thread starts with
  // the first Submit.
  void Submit(Store::WriteOp op, Done done);

 private:
  struct Item {
    Store::WriteOp op;
    Done done;
  };
  void Run();

  Store* const store_;
  const size_t max_batch_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Item> queue_;  // guarded by mu_
  bool stop_ = false;       // guarded by mu_
  bool idle_ = false;       // writer is waiting on cv_; guarded by mu_
  std::thread thread_;      // started by the first Submit, under mu_
};

}  // namespace casebridge::store

#endif  // CASEBRIDGE_SERVER_STORE_WRITE_QUEUE_H_
