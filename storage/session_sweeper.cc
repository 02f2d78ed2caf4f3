#include "storage/session_sweeper.h"

#include "common/logging.h"

namespace im::storage {

SessionSweeper::SessionSweeper(UserStore* users, std::chrono::seconds period,
                               common::Metrics* metrics)
    : users_(users),
      period_(period),
      expired_(metrics->Counter("im_storage_sessions_expired_total",
                                "Expired login sessions deleted.")) {
  if (period_.count() > 0) thread_ = std::thread([this] { Run(); });
}

SessionSweeper::~SessionSweeper() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

absl::StatusOr<std::uint64_t> SessionSweeper::SweepOnce() {
  std::uint64_t total = 0;
  for (;;) {
    auto deleted = users_->DeleteExpiredSessions(kBatch);
    if (!deleted.ok()) return deleted.status();
    total += *deleted;
    expired_.Add(*deleted);
    if (*deleted < kBatch) return total;
    std::lock_guard lock(mutex_);
    if (stopping_) return total;
  }
}

void SessionSweeper::Run() {
  std::unique_lock lock(mutex_);
  while (!wake_.wait_for(lock, period_, [this] { return stopping_; })) {
    lock.unlock();
    auto swept = SweepOnce();
    if (!swept.ok()) {
      common::GetLogger("storage")->warn("event=session_sweep_failed error=\"{}\"",
                                         swept.status().message());
    } else if (*swept > 0) {
      common::GetLogger("storage")->info("event=sessions_expired deleted={}", *swept);
    }
    lock.lock();
  }
}

}  // namespace im::storage
