#pragma once
// Starts a gRPC server for a daemon: listens on `address` (host:port) with
// `credentials` (mutual TLS or plaintext), registers `services`, enables the
// standard health service. Returns UNAVAILABLE with a readable message if the
// address cannot be bound.

#include <grpcpp/server.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/internal_tls.h"

namespace grpc {
class Service;
}

namespace im::common {

absl::StatusOr<std::unique_ptr<grpc::Server>> StartGrpcServer(
    const std::string& address, const std::vector<grpc::Service*>& services,
    const InternalCredentials& credentials);

// The channel every internal hop uses: quick reconnects, keepalives, and
// round-robin over the replicas behind `target`: one host:port (a DNS name
// with several addresses counts as several replicas), or a comma-separated
// list of IPv4 host:port replicas. A call on a replica that went away fails
// UNAVAILABLE and the next one goes to another. With secure `credentials`
// every replica must present a certificate for credentials.server_name().
std::shared_ptr<grpc::Channel> MakeInternalChannel(const std::string& target,
                                                   const InternalCredentials& credentials);

// INVALID_ARGUMENT unless `target` is one host:port or a list of IPv4
// host:port separated by commas (what MakeInternalChannel takes).
absl::Status ValidateTarget(const std::string& target);

}  // namespace im::common
