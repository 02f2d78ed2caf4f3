#include "common/client_status.h"

#include <charconv>
#include <string>

#include "absl/strings/cord.h"

namespace im::common {
namespace {

constexpr char kRetryAfterUrl[] = "type.im/retry_after_ms";

}  // namespace

void SetClientStatus(const absl::Status& status, im::client::Status* out) {
  out->set_code(static_cast<int>(status.code()));
  out->set_message(std::string(status.message()));
  if (auto after = RetryAfter(status))
    out->set_retry_after_ms(static_cast<std::uint32_t>(after->count()));
}

absl::Status FromClientStatus(const im::client::Status& status) {
  if (status.code() == 0) return absl::OkStatus();
  absl::Status s(static_cast<absl::StatusCode>(status.code()), status.message());
  if (status.retry_after_ms() > 0) {
    return WithRetryAfter(std::move(s), std::chrono::milliseconds(status.retry_after_ms()));
  }
  return s;
}

absl::Status WithRetryAfter(absl::Status status, std::chrono::milliseconds after) {
  status.SetPayload(kRetryAfterUrl, absl::Cord(std::to_string(after.count())));
  return status;
}

std::optional<std::chrono::milliseconds> RetryAfter(const absl::Status& status) {
  auto payload = status.GetPayload(kRetryAfterUrl);
  if (!payload) return std::nullopt;
  const std::string text(*payload);
  std::uint32_t ms = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), ms);
  if (ec != std::errc() || ms == 0) return std::nullopt;
  return std::chrono::milliseconds(ms);
}

}  // namespace im::common
