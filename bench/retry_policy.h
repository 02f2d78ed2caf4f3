#pragma once
// How a bench client, like a real one, treats a refusal: a passing one
// (unavailable, busy, timed out, aborted) is tried again after a jittered
// pause that grows with each attempt; any other is final.

#include <algorithm>
#include <chrono>
#include <random>

#include "absl/status/status.h"

namespace im::bench {

inline bool IsPassing(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kAborted:
      return true;
    default:
      return false;
  }
}

// 50-150 ms on the first retry, doubling up to 3.2-9.6 s, as a mobile
// client backs off from a server that is struggling.
inline std::chrono::milliseconds RetryPause(int attempt) {
  thread_local std::mt19937 rng(std::random_device{}());
  const int base = 100 << std::clamp(attempt, 0, 6);
  return std::chrono::milliseconds(base / 2 +
                                   static_cast<int>(rng() % static_cast<unsigned>(base)));
}

}  // namespace im::bench
