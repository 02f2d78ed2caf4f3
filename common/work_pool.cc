#include "common/work_pool.h"

#include "common/run_catching.h"

namespace im::common {

WorkPool::WorkPool(std::size_t threads, std::size_t max_queued, InFlight* in_flight)
    : max_queued_(max_queued), in_flight_(in_flight) {
  for (std::size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { Run(); });
}

WorkPool::~WorkPool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  ready_.notify_all();
  for (auto& t : threads_) t.join();
}

bool WorkPool::Submit(std::function<void()> job) {
  if (in_flight_ != nullptr) {
    job = [guard = in_flight_->Enter(), job = std::move(job)] { job(); };
  }
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || jobs_.size() >= max_queued_) return false;
    jobs_.push_back(std::move(job));
  }
  ready_.notify_one();
  return true;
}

void WorkPool::Run() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock(mutex_);
      ready_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // stopping and drained
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    // A job that throws is a bug; the thread (and the process) carries on.
    RunCatching("work_pool", [&] {
      job();
      return absl::OkStatus();
    }).IgnoreError();
  }
}

}  // namespace im::common
