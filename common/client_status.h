#pragma once
// Conversion between absl::Status and the Status carried in client frames.
// Codes share gRPC's numbering. A server's "retry after" hint travels as a
// payload of the absl::Status (WithRetryAfter / RetryAfter) and as
// Status.retry_after_ms on the wire.

#include <chrono>
#include <optional>

#include "absl/status/status.h"
#include "client.pb.h"

namespace im::common {

void SetClientStatus(const absl::Status& status, im::client::Status* out);
absl::Status FromClientStatus(const im::client::Status& status);

// `status` (not OK) carrying the hint to try again after `after`.
absl::Status WithRetryAfter(absl::Status status, std::chrono::milliseconds after);
// The hint, if `status` carries one.
std::optional<std::chrono::milliseconds> RetryAfter(const absl::Status& status);

}  // namespace im::common
