#include "storage/login_guard.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "storage/storage_test_env.h"

namespace im::storage {
namespace {

internal::LoginThrottle Policy(std::uint32_t free_failures, std::int64_t base_ms,
                               std::int64_t max_ms) {
  internal::LoginThrottle policy;
  policy.set_free_failures(free_failures);
  policy.set_base_delay_ms(base_ms);
  policy.set_max_delay_ms(max_ms);
  policy.set_window_seconds(60);
  return policy;
}

// Names unique per run: the test Redis keeps keys between tests.
std::string Unique(const std::string& base) {
  return base + std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
}

class LoginGuardTest : public ::testing::Test {
 protected:
  LoginGuard guard_{GetStorageTestEnv().redis_pool.get()};
};

TEST_F(LoginGuardTest, FailuresBeyondTheFreeOnesImposeDoublingWaitsUpToTheMaximum) {
  const std::string user = Unique("mallory");
  const auto account = Policy(2, 1000, 5000);
  const auto address = Policy(100, 1000, 5000);
  std::vector<std::int64_t> waits;
  for (int i = 0; i < 6; ++i) {
    auto wait = guard_.Failed(user, "", account, address);
    ASSERT_TRUE(wait.ok()) << wait.status();
    waits.push_back(wait->retry_after_ms);
  }
  EXPECT_EQ(waits, (std::vector<std::int64_t>{0, 0, 1000, 2000, 4000, 5000}));

  auto check = guard_.Check(user, "");
  ASSERT_TRUE(check.ok());
  EXPECT_GT(check->retry_after_ms, 4000);
  EXPECT_LE(check->retry_after_ms, 5000);
  EXPECT_EQ(check->scope, "account");
  // Names are exact, as accounts are: another case is another account.
  EXPECT_EQ(guard_.Check("MALLORY" + user.substr(7), "")->retry_after_ms, 0);
}

TEST_F(LoginGuardTest, SuccessForgetsTheAccountsFailuresButNotTheAddresss) {
  const std::string user = Unique("trudy");
  const std::string other = Unique("victim");
  const std::string address = Unique("192.0.2.");
  const auto account = Policy(0, 60000, 60000);
  const auto per_address = Policy(1, 30000, 30000);
  ASSERT_EQ(guard_.Failed(user, address, account, per_address)->retry_after_ms, 60000);
  auto second = guard_.Failed(other, address, account, per_address);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->retry_after_ms, 60000);

  ASSERT_TRUE(guard_.Succeeded(user).ok());
  auto after = guard_.Check(user, address);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->scope, "address") << "the address still waits";
  EXPECT_GT(after->retry_after_ms, 25000);
  EXPECT_EQ(guard_.Check(user, "")->retry_after_ms, 0) << "the account does not";
  EXPECT_EQ(guard_.Check(Unique("carol"), Unique("198.51.100."))->retry_after_ms, 0);
}

TEST_F(LoginGuardTest, FailuresAreForgottenAfterTheWindow) {
  const std::string user = Unique("eve");
  auto policy = Policy(1, 100, 100);
  policy.set_window_seconds(1);
  ASSERT_EQ(guard_.Failed(user, "", policy, policy)->retry_after_ms, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  EXPECT_EQ(guard_.Failed(user, "", policy, policy)->retry_after_ms, 0) << "a fresh first failure";
  EXPECT_EQ(guard_.Failed(user, "", policy, policy)->retry_after_ms, 100);
}

}  // namespace
}  // namespace im::storage
