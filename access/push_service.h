#pragma once
// The Access gRPC service logic calls to reach this node's connections: Push
// writes one frame to each listed connection that is still bound to the named
// user; Kick sends a Kick frame and closes. Returns at once: writes happen on
// the connections' strands. Stats reports counters since start. Thread-safe.

#include <atomic>

#include "access.grpc.pb.h"
#include "access/connection_registry.h"

namespace im::access {

class PushService final : public internal::Access::CallbackService {
 public:
  explicit PushService(ConnectionRegistry* registry) : registry_(registry) {}

  grpc::ServerUnaryReactor* Push(grpc::CallbackServerContext* ctx,
                                 const internal::PushRequest* request,
                                 internal::PushResponse* response) override;
  grpc::ServerUnaryReactor* Kick(grpc::CallbackServerContext* ctx,
                                 const internal::KickRequest* request,
                                 internal::KickResponse* response) override;
  grpc::ServerUnaryReactor* Stats(grpc::CallbackServerContext* ctx,
                                  const internal::AccessStatsRequest* request,
                                  internal::AccessStatsResponse* response) override;

 private:
  ConnectionRegistry* registry_;
  std::atomic<std::uint64_t> push_requests_{0};
  std::atomic<std::uint64_t> push_targets_{0};
};

}  // namespace im::access
