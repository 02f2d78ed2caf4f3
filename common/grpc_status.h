#pragma once
// The one conversion between the project's status type (absl::Status) and
// grpc::Status. Codes share the same numbering; the message is kept.

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace im::common {

grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace im::common
