// WorkerPool: a fixed set of threads for blocking work (plugin calls, store
// reads that wait on the network). For plugin calls it lets a caller
// stop waiting for a plugin that overruns its deadline while the call itself
// keeps its thread (the host cannot preempt a plugin).
//
// Thread-safe. Threads are detached and share the queue with the pool
// through reference counting: destroying the pool drops queued tasks and
// lets idle threads exit without waiting for busy ones. Tasks must therefore
// only capture state they co-own (shared_ptr), never the pool's owner.
#ifndef CASEBRIDGE_SERVER_UTIL_WORKER_POOL_H_
#define CASEBRIDGE_SERVER_UTIL_WORKER_POOL_H_

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>

namespace casebridge {

class WorkerPool {
 public:
  explicit WorkerPool(int threads);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `task`; it runs on the first free thread.
  void Submit(std::function<void()> task);

  // Threads currently running a task (for logs and tests).
  int busy() const;

 private:
  struct State {
    mutable std::mutex mu;
    std::condition_variable cv;
    std::deque<std::function<void()>> queue;
    int busy = 0;
    bool stopping = false;
  };
  static void Run(std::shared_ptr<State> state);

  std::shared_ptr<State> state_;
};

}  // namespace casebridge

#endif  // CASEBRIDGE_SERVER_UTIL_WORKER_POOL_H_
