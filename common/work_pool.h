#pragma once
// A fixed set of threads running submitted jobs in FIFO order. For blocking
// work (database calls, password hashing) that must stay off gRPC reactor and
// Asio I/O threads. The queue is bounded: Submit refuses work past the limit so
// an overload turns into RESOURCE_EXHAUSTED answers, never unbounded memory.
// Thread-safe. The destructor finishes queued jobs, then joins. A job must
// not throw; one that does is logged (common/run_catching.h) and the thread
// goes on to the next job.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "common/in_flight.h"

namespace im::common {

class WorkPool {
 public:
  // With `in_flight`, each job counts in it from Submit until it has run.
  WorkPool(std::size_t threads, std::size_t max_queued, InFlight* in_flight = nullptr);
  ~WorkPool();
  WorkPool(const WorkPool&) = delete;
  WorkPool& operator=(const WorkPool&) = delete;

  // Queues `job`; returns false (and drops it) if the queue is full.
  bool Submit(std::function<void()> job);

 private:
  void Run();

  const std::size_t max_queued_;
  InFlight* const in_flight_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace im::common
