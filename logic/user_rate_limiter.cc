#include "logic/user_rate_limiter.h"

#include <algorithm>
#include <cmath>

#include "common/client_status.h"
#include "common/str_cat.h"

namespace im::logic {

UserRateLimiter::UserRateLimiter(std::string kind, std::int64_t per_minute, std::int64_t burst,
                                 common::Metrics* metrics)
    : kind_(std::move(kind)),
      per_second_(static_cast<double>(per_minute) / 60.0),
      burst_(static_cast<double>(std::max<std::int64_t>(burst, 1))),
      refused_(metrics == nullptr
                   ? nullptr
                   : &metrics->Counter("im_logic_rate_limited_total",
                                       "Requests refused by a per-user rate limit, by kind.",
                                       {{"kind", kind_}})) {}

absl::Status UserRateLimiter::Take(std::uint64_t user_id, Clock::time_point now) {
  if (per_second_ <= 0) return absl::OkStatus();
  Shard& shard = shards_[user_id % kShards];
  double wait_seconds = 0;
  {
    std::lock_guard lock(shard.mutex);
    auto [it, added] = shard.buckets.try_emplace(user_id, Bucket{burst_, now});
    Bucket& bucket = it->second;
    if (!added) {
      const double elapsed = std::chrono::duration<double>(now - bucket.refilled).count();
      bucket.tokens = std::min(burst_, bucket.tokens + std::max(0.0, elapsed) * per_second_);
      bucket.refilled = now;
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      if (added && shard.buckets.size() > kPruneAbove) Prune(shard, now);
      return absl::OkStatus();
    }
    wait_seconds = (1 - bucket.tokens) / per_second_;
  }
  if (refused_ != nullptr) refused_->Add();
  const auto wait_ms = static_cast<std::int64_t>(std::ceil(wait_seconds * 1000));
  return common::WithRetryAfter(absl::ResourceExhaustedError(common::StrCat(
                                    "too many ", kind_, "; try again in ", wait_ms, " ms")),
                                std::chrono::milliseconds(wait_ms));
}

void UserRateLimiter::Prune(Shard& shard, Clock::time_point now) const {
  const auto full_after = std::chrono::duration<double>(burst_ / per_second_);
  std::erase_if(shard.buckets,
                [&](const auto& entry) { return now - entry.second.refilled >= full_after; });
}

std::size_t UserRateLimiter::tracked_users() const {
  std::size_t total = 0;
  for (const Shard& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    total += shard.buckets.size();
  }
  return total;
}

}  // namespace im::logic
