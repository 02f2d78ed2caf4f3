#pragma once
// Admits logins to this access node at a configured pace so that a reconnect
// storm (every client of a restarted node, or of a network blip, at once) is
// served at the rate the cluster can log people in instead of piling up
// behind it until calls time out: at most `rate` per second (a token bucket
// holding up to `burst`) and at most `max_in_flight` awaiting logic. A login
// over either limit is answered UNAVAILABLE with a retry-after hint (how long
// until the bucket has a token for it, or `busy_retry` while too many are in
// flight); clients wait about that long with jitter, then try again.
// A limit of 0 is no limit. Thread-safe.

#include <chrono>
#include <cstdint>
#include <mutex>

#include "absl/status/status.h"

namespace im::access {

class LoginAdmission {
 public:
  using Clock = std::chrono::steady_clock;

  LoginAdmission(double rate, double burst, std::uint32_t max_in_flight,
                 std::chrono::milliseconds busy_retry = std::chrono::milliseconds(500));

  // OK: the login may go ahead, and Finished() must follow its answer.
  absl::Status Admit(Clock::time_point now = Clock::now());
  void Finished();

 private:
  const double rate_;
  const double burst_;
  const std::uint32_t max_in_flight_;
  const std::chrono::milliseconds busy_retry_;
  std::mutex mutex_;
  double tokens_;
  Clock::time_point refilled_;
  std::uint32_t in_flight_ = 0;
};

}  // namespace im::access
