#include "server/util/worker_pool.h"

#include <thread>
#include <utility>

namespace casebridge {

WorkerPool::WorkerPool(int threads) : state_(std::make_shared<State>()) {
  for (int i = 0; i < threads; ++i) {
    std::thread(&WorkerPool::Run, state_).detach();
  }
}

WorkerPool::~WorkerPool() {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->stopping = true;
  state_->queue.clear();
  state_->cv.notify_all();
}

void WorkerPool::Submit(std::function<void()> task) {
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->queue.push_back(std::move(task));
  }
  // Outside the lock: the woken thread would otherwise block on it at once.
  state_->cv.notify_one();
}

int WorkerPool::busy() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->busy;
}

void WorkerPool::Run(std::shared_ptr<State> state) {
  std::unique_lock<std::mutex> lock(state->mu);
  while (true) {
    state->cv.wait(lock,
                   [&] { return state->stopping || !state->queue.empty(); });
    if (state->stopping) return;
    std::function<void()> task = std::move(state->queue.front());
    state->queue.pop_front();
    ++state->busy;
    lock.unlock();
    task();
    task = nullptr;
    lock.lock();
    --state->busy;
  }
}

}  // namespace casebridge
