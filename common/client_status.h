#pragma once
// Conversion between absl::Status and the Status carried in client frames.
// Codes share gRPC's numbering.

#include "absl/status/status.h"
#include "client.pb.h"

namespace im::common {

void SetClientStatus(const absl::Status& status, im::client::Status* out);
absl::Status FromClientStatus(const im::client::Status& status);

}  // namespace im::common
