#include "access/login_admission.h"

#include <algorithm>
#include <cmath>

#include "common/client_status.h"

namespace im::access {

LoginAdmission::LoginAdmission(double rate, double burst, std::uint32_t max_in_flight,
                               std::chrono::milliseconds busy_retry)
    : rate_(rate),
      burst_(std::max(1.0, burst)),
      max_in_flight_(max_in_flight),
      busy_retry_(busy_retry),
      tokens_(std::max(1.0, burst)),
      refilled_(Clock::now()) {}

absl::Status LoginAdmission::Admit(Clock::time_point now) {
  std::lock_guard lock(mutex_);
  if (max_in_flight_ > 0 && in_flight_ >= max_in_flight_) {
    return common::WithRetryAfter(
        absl::UnavailableError("too many logins at once on this server; try again shortly"),
        busy_retry_);
  }
  if (rate_ > 0) {
    if (now > refilled_) {
      const double elapsed = std::chrono::duration<double>(now - refilled_).count();
      tokens_ = std::min(burst_, tokens_ + elapsed * rate_);
      refilled_ = now;
    }
    if (tokens_ < 1.0) {
      // Refused logins take no token, so the hint is when the next one frees up.
      const auto wait_ms = static_cast<std::int64_t>(std::ceil((1.0 - tokens_) / rate_ * 1000.0));
      return common::WithRetryAfter(
          absl::UnavailableError("too many logins on this server right now; try again shortly"),
          std::chrono::milliseconds(std::max<std::int64_t>(1, wait_ms)));
    }
    tokens_ -= 1.0;
  }
  ++in_flight_;
  return absl::OkStatus();
}

void LoginAdmission::Finished() {
  std::lock_guard lock(mutex_);
  if (in_flight_ > 0) --in_flight_;
}

}  // namespace im::access
