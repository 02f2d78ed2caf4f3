#pragma once
// Deletes expired login sessions: every `period`, in batches of kBatch rows
// until a batch comes back short, so the sessions table holds live sessions
// only (ResumeSession already refuses expired ones; this reclaims the rows).
// Counted in im_storage_sessions_expired_total. One thread of its own, stopped
// (and joined) by the destructor; replicas sweeping at once only share work.

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "common/metrics.h"
#include "storage/user_store.h"

namespace im::storage {

class SessionSweeper {
 public:
  static constexpr std::uint32_t kBatch = 1000;

  // `period` 0: never sweeps. `users` and `metrics` outlive the sweeper.
  SessionSweeper(UserStore* users, std::chrono::seconds period, common::Metrics* metrics);
  ~SessionSweeper();
  SessionSweeper(const SessionSweeper&) = delete;
  SessionSweeper& operator=(const SessionSweeper&) = delete;

  // One sweep now; how many sessions it deleted.
  absl::StatusOr<std::uint64_t> SweepOnce();

 private:
  void Run();

  UserStore* users_;
  const std::chrono::seconds period_;
  common::MetricCounter& expired_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;  // last: it uses the members above
};

}  // namespace im::storage
