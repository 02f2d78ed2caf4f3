#pragma once
// Starts a gRPC server for a daemon: listens on `address` (host:port,
// plaintext), registers `services`, enables the standard health service.
// Returns UNAVAILABLE with a readable message if the address cannot be bound.

#include <grpcpp/server.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace grpc {
class Service;
}

namespace im::common {

absl::StatusOr<std::unique_ptr<grpc::Server>> StartGrpcServer(
    const std::string& address, const std::vector<grpc::Service*>& services);

// The keepalive and reconnect settings every internal channel uses.
std::shared_ptr<grpc::Channel> MakeInternalChannel(const std::string& target);

}  // namespace im::common
