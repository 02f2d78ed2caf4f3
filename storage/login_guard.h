#pragma once
// Failed password logins, counted in Redis per account name and per client
// address, so that guessing passwords gets slower the more it fails, on every
// logic replica at once. Each scope has a policy (internal::LoginThrottle,
// logic's, passed with each call): the first `free_failures` within the
// window cost nothing; each failure beyond them makes the next attempt wait
// base_delay_ms, doubling per failure up to max_delay_ms. A scope's failures
// are forgotten `window_seconds` after its last one; a login that succeeds
// forgets its account's failures (never its address's: one account the
// guesser owns must not reset their address).
//
// Account names are compared exactly, as the users table does. Thread-safe; blocking (one Redis
// round trip per call).

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "storage.pb.h"
#include "storage/connection_pool.h"
#include "storage/redis_connection.h"

namespace im::storage {

class LoginGuard {
 public:
  using RedisPool = ConnectionPool<RedisConnection>;

  struct Wait {
    std::int64_t retry_after_ms = 0;  // 0: go ahead
    std::string scope;                // "account" or "address" when waiting
  };

  explicit LoginGuard(RedisPool* pool) : pool_(pool) {}

  // How long an attempt for `username` from `address` must still wait.
  absl::StatusOr<Wait> Check(std::string_view username, std::string_view address);
  // Counts a failed attempt; returns the wait it imposes on the next one.
  absl::StatusOr<Wait> Failed(std::string_view username, std::string_view address,
                              const internal::LoginThrottle& per_account,
                              const internal::LoginThrottle& per_address);
  // Forgets the account's failures.
  absl::Status Succeeded(std::string_view username);

 private:
  RedisPool* pool_;
};

}  // namespace im::storage
