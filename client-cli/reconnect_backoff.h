#pragma once
// The pause before each attempt to reconnect: from half to all of a step
// that starts at 0.5 s and doubles up to 8 s, so the many clients a restarted
// access node cut off at once do not all come back in the same instant.
// Reset() after a connection succeeded. Not thread-safe.

#include <algorithm>
#include <chrono>
#include <random>

namespace im::cli {

class ReconnectBackoff {
 public:
  std::chrono::milliseconds Next() {
    const std::chrono::milliseconds pause(
        std::uniform_int_distribution<long>(step_.count() / 2, step_.count())(rng_));
    step_ = std::min(step_ * 2, kLongest);
    return pause;
  }
  void Reset() { step_ = kFirst; }

 private:
  static constexpr std::chrono::milliseconds kFirst{500};
  static constexpr std::chrono::milliseconds kLongest{8000};
  std::mt19937 rng_{std::random_device{}()};
  std::chrono::milliseconds step_ = kFirst;
};

}  // namespace im::cli
