#include "logic/user_rate_limiter.h"

#include <gtest/gtest.h>

#include "common/client_status.h"

namespace im::logic {
namespace {

using Clock = UserRateLimiter::Clock;
using std::chrono::milliseconds;

TEST(UserRateLimiterTest, ABurstThenTheRefillRateAndOtherUsersUntouched) {
  common::Metrics metrics;
  UserRateLimiter limiter("messages", /*per_minute=*/60, /*burst=*/3, &metrics);
  const Clock::time_point t0{};
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.Take(7, t0).ok()) << i;
  const absl::Status refused = limiter.Take(7, t0);
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(refused.message(), "too many messages; try again in 1000 ms");
  ASSERT_TRUE(common::RetryAfter(refused));
  EXPECT_EQ(*common::RetryAfter(refused), milliseconds(1000));

  EXPECT_TRUE(limiter.Take(8, t0).ok()) << "another user has a bucket of their own";
  EXPECT_FALSE(limiter.Take(7, t0 + milliseconds(900)).ok());
  EXPECT_TRUE(limiter.Take(7, t0 + milliseconds(1000)).ok()) << "one token a second";
  EXPECT_FALSE(limiter.Take(7, t0 + milliseconds(1000)).ok());
  EXPECT_NE(metrics.Render().find("im_logic_rate_limited_total{kind=\"messages\"} 3"),
            std::string::npos)
      << metrics.Render();
}

TEST(UserRateLimiterTest, ZeroMeansNoLimit) {
  UserRateLimiter limiter("messages", 0, 1, nullptr);
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(limiter.Take(1).ok());
  EXPECT_EQ(limiter.tracked_users(), 0u);
}

TEST(UserRateLimiterTest, FullBucketsOfIdleUsersAreDropped) {
  UserRateLimiter limiter("messages", 600, 10, nullptr);  // full again 1 s after the last use
  const Clock::time_point t0{};
  const std::size_t many = UserRateLimiter::kShards * UserRateLimiter::kPruneAbove;
  for (std::uint64_t u = 0; u < many; ++u) ASSERT_TRUE(limiter.Take(u, t0).ok());
  EXPECT_EQ(limiter.tracked_users(), many);
  const auto later = t0 + std::chrono::seconds(2);
  for (std::uint64_t u = many; u < many + UserRateLimiter::kShards; ++u) {
    ASSERT_TRUE(limiter.Take(u, later).ok());
  }
  EXPECT_EQ(limiter.tracked_users(), UserRateLimiter::kShards) << "only the new users are left";
}

}  // namespace
}  // namespace im::logic
