#include "server/store/write_queue.h"

#include <pthread.h>

#include <algorithm>
#include <utility>
#include <vector>

namespace casebridge::store {

WriteQueue::WriteQueue(Store* store, int max_batch)
    : store_(store), max_batch_(static_cast<size_t>(std::max(max_batch, 1))) {}

WriteQueue::~WriteQueue() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void WriteQueue::Submit(Store::WriteOp op, Done done) {
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(Item{std::move(op), std::move(done)});
    if (!thread_.joinable()) thread_ = std::thread([this] { Run(); });
    // A busy writer picks the item up after its current batch; waking it
    // only when it waits saves a futex call per write.
    wake = idle_;
  }
  if (wake) cv_.notify_one();
}

void WriteQueue::Run() {
  // Named for profilers and top -H (it would inherit its creator's name).
  pthread_setname_np(pthread_self(), "store-writer");
  std::vector<Item> batch;
  std::vector<Store::WriteOp> ops;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      idle_ = true;
      cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
      idle_ = false;
      if (queue_.empty()) return;  // stopping, nothing left
      while (!queue_.empty() && batch.size() < max_batch_) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    ops.reserve(batch.size());
    for (Item& item : batch) ops.push_back(std::move(item.op));
    std::vector<absl::Status> results = store_->ApplyWriteBatch(ops);
    for (size_t i = 0; i < batch.size(); ++i) {
      batch[i].done(i < results.size()
                        ? std::move(results[i])
                        : absl::InternalError("write batch lost a result"));
    }
    batch.clear();
    ops.clear();
  }
}

}  // namespace casebridge::store
