#include "common/client_status.h"

#include <gtest/gtest.h>

namespace im::common {
namespace {

TEST(ClientStatusTest, RoundTripsCodeMessageAndRetryHint) {
  client::Status wire;
  SetClientStatus(WithRetryAfter(absl::UnavailableError("busy"), std::chrono::milliseconds(750)),
                  &wire);
  EXPECT_EQ(wire.code(), static_cast<int>(absl::StatusCode::kUnavailable));
  EXPECT_EQ(wire.message(), "busy");
  EXPECT_EQ(wire.retry_after_ms(), 750u);

  const absl::Status back = FromClientStatus(wire);
  EXPECT_EQ(back.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(back.message(), "busy");
  ASSERT_TRUE(RetryAfter(back).has_value());
  EXPECT_EQ(RetryAfter(back)->count(), 750);
}

TEST(ClientStatusTest, NoHintUnlessTheServerGaveOne) {
  client::Status wire;
  SetClientStatus(absl::NotFoundError("no such user"), &wire);
  EXPECT_EQ(wire.retry_after_ms(), 0u);
  EXPECT_FALSE(RetryAfter(FromClientStatus(wire)).has_value());
  wire.Clear();
  EXPECT_TRUE(FromClientStatus(wire).ok());
}

}  // namespace
}  // namespace im::common
