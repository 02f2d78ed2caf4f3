#include "common/grpc_server.h"

#include <arpa/inet.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/server_builder.h>

#include <string_view>

#include "common/str_cat.h"

namespace im::common {

absl::StatusOr<std::unique_ptr<grpc::Server>> StartGrpcServer(
    const std::string& address, const std::vector<grpc::Service*>& services,
    const InternalCredentials& credentials) {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  int bound_port = 0;
  builder.AddListeningPort(address, credentials.server(), &bound_port);
  for (auto* service : services) builder.RegisterService(service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || bound_port == 0) {
    return absl::UnavailableError(
        common::StrCat("cannot listen on ", address, " (address in use or invalid)"));
  }
  return server;
}

std::shared_ptr<grpc::Channel> MakeInternalChannel(const std::string& target,
                                                   const InternalCredentials& credentials) {
  grpc::ChannelArguments args;
  // Reconnect quickly after a peer restarts instead of backing off for minutes.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 200);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 200);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 20000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5000);
  args.SetLoadBalancingPolicyName("round_robin");
  if (credentials.secure()) args.SetSslTargetNameOverride(credentials.server_name());
  const std::string uri = target.find(',') == std::string::npos ? target : "ipv4:" + target;
  return grpc::CreateCustomChannel(uri, credentials.channel(), args);
}

absl::Status ValidateTarget(const std::string& target) {
  auto bad = [&](std::string_view why) {
    return absl::InvalidArgumentError(common::StrCat("target \"", target, "\": ", why));
  };
  std::vector<std::string_view> parts;
  for (std::size_t start = 0;;) {
    const std::size_t comma = target.find(',', start);
    parts.push_back(std::string_view(target).substr(
        start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  for (std::string_view part : parts) {
    const std::size_t colon = part.rfind(':');
    if (part.empty() || colon == std::string_view::npos || colon == 0 || colon + 1 == part.size()) {
      return bad("each replica is host:port");
    }
    if (parts.size() > 1) {
      in_addr address{};
      const std::string host(part.substr(0, colon));
      if (inet_pton(AF_INET, host.c_str(), &address) != 1) {
        return bad(
            "a list of replicas must be IPv4 addresses (for names, use one DNS name "
            "that has an address per replica)");
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace im::common
