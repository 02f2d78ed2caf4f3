#pragma once
// Per-user token buckets for one kind of request that costs other people
// something (sends, friend requests, group changes): up to `burst` at once,
// refilled at `per_minute`. A request over the limit is refused
// RESOURCE_EXHAUSTED "too many KIND; try again in N ms" with a retry-after
// hint, counted in im_logic_rate_limited_total{kind}, and costs nothing else;
// other users are never affected.
//
// Each logic replica keeps its own buckets (no shared state on the hot path):
// with R replicas a user reaches at most R times the rate. Memory: one small
// entry per user active within a refill period; full buckets are dropped when
// a shard grows past kPruneAbove entries. Thread-safe (sharded mutexes).

#include <array>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include "absl/status/status.h"
#include "common/metrics.h"

namespace im::logic {

class UserRateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::size_t kShards = 16;
  static constexpr std::size_t kPruneAbove = 4096;  // entries per shard

  // `per_minute` 0: no limit. `metrics` may be null.
  UserRateLimiter(std::string kind, std::int64_t per_minute, std::int64_t burst,
                  common::Metrics* metrics);

  absl::Status Take(std::uint64_t user_id, Clock::time_point now = Clock::now());
  std::size_t tracked_users() const;  // for tests

 private:
  struct Bucket {
    double tokens;
    Clock::time_point refilled;
  };
  struct Shard {
    mutable std::mutex mutex;
    std::unordered_map<std::uint64_t, Bucket> buckets;
  };
  // Drops the buckets of `shard` that have refilled completely.
  void Prune(Shard& shard, Clock::time_point now) const;

  const std::string kind_;
  const double per_second_;
  const double burst_;
  common::MetricCounter* refused_;
  std::array<Shard, kShards> shards_;
};

}  // namespace im::logic
