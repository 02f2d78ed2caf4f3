#include "access/login_admission.h"

#include <gtest/gtest.h>

#include "common/client_status.h"

namespace im::access {
namespace {

using std::chrono::milliseconds;

TEST(LoginAdmissionTest, AdmitsTheBurstThenPacesAtTheRateWithAHint) {
  LoginAdmission admission(/*rate=*/10, /*burst=*/3, /*max_in_flight=*/0);
  const auto t0 = LoginAdmission::Clock::now();
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(admission.Admit(t0).ok()) << i;
  const absl::Status refused = admission.Admit(t0);
  EXPECT_EQ(refused.code(), absl::StatusCode::kUnavailable);
  ASSERT_TRUE(common::RetryAfter(refused).has_value());
  EXPECT_EQ(common::RetryAfter(refused)->count(), 100);  // one token every 100 ms

  EXPECT_FALSE(admission.Admit(t0 + milliseconds(50)).ok());
  EXPECT_EQ(common::RetryAfter(admission.Admit(t0 + milliseconds(50)))->count(), 50);
  EXPECT_TRUE(admission.Admit(t0 + milliseconds(100)).ok());
  EXPECT_FALSE(admission.Admit(t0 + milliseconds(100)).ok());
  // Idle time refills at most the burst.
  const auto later = t0 + std::chrono::seconds(60);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(admission.Admit(later).ok()) << i;
  EXPECT_FALSE(admission.Admit(later).ok());
}

TEST(LoginAdmissionTest, CapsLoginsInFlightUntilOneFinishes) {
  LoginAdmission admission(/*rate=*/0, /*burst=*/1, /*max_in_flight=*/2, milliseconds(300));
  EXPECT_TRUE(admission.Admit().ok());
  EXPECT_TRUE(admission.Admit().ok());
  const absl::Status busy = admission.Admit();
  EXPECT_EQ(busy.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(common::RetryAfter(busy)->count(), 300);
  admission.Finished();
  EXPECT_TRUE(admission.Admit().ok());
}

TEST(LoginAdmissionTest, ZeroMeansNoLimit) {
  LoginAdmission admission(0, 1, 0);
  for (int i = 0; i < 10000; ++i) ASSERT_TRUE(admission.Admit().ok()) << i;
}

}  // namespace
}  // namespace im::access
