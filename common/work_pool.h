#pragma once
// A fixed set of threads running submitted jobs in FIFO order. For blocking
// work (database calls, password hashing) that must stay off gRPC reactor and
// Asio I/O threads. The queue is bounded: Submit refuses work past the limit so
// an overload turns into RESOURCE_EXHAUSTED answers, never unbounded memory.
// Thread-safe. The destructor finishes queued jobs, then joins.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace im::common {

class WorkPool {
 public:
  WorkPool(std::size_t threads, std::size_t max_queued);
  ~WorkPool();
  WorkPool(const WorkPool&) = delete;
  WorkPool& operator=(const WorkPool&) = delete;

  // Queues `job`; returns false (and drops it) if the queue is full.
  bool Submit(std::function<void()> job);

 private:
  void Run();

  const std::size_t max_queued_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace im::common
