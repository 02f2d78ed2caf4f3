#pragma once
// How a bench client, like a real one, treats a refusal: a passing one
// (unavailable, busy, timed out, aborted) is tried again after a jittered
// pause that grows with each attempt, and is at least about what the server's
// retry-after hint asked for (jittered too); any other is final.

#include <algorithm>
#include <chrono>
#include <optional>
#include <random>

#include "absl/status/status.h"
#include "common/client_status.h"

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
inline std::chrono::milliseconds RetryPause(int attempt, const absl::Status& refusal = {}) {
  thread_local std::mt19937 rng(std::random_device{}());
  const int base = 100 << std::clamp(attempt, 0, 6);
  const auto backoff =
      std::chrono::milliseconds(base / 2 + static_cast<int>(rng() % static_cast<unsigned>(base)));
  const std::optional<std::chrono::milliseconds> hint = common::RetryAfter(refusal);
  if (!hint) return backoff;
  const auto h = static_cast<int>(std::min<std::int64_t>(hint->count(), 60000));
  const auto asked = std::chrono::milliseconds(h / 2 + static_cast<int>(rng() % (h + 1)));
  return std::max(backoff, asked);
}

}  // namespace im::bench
