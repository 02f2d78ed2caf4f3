#pragma once
// The Access gRPC service logic calls to reach this node's connections: each
// push on PushStream (a coalescing stream, common/stream_server.h) writes one
// frame to each listed connection that is still bound to the named user; Kick
// sends a Kick frame and closes. Answers at once: writes happen on the
// connections' threads. Stats reports counters since start. DrainStreams()
// (at shutdown, before the server's Shutdown) ends the streams. Thread-safe.

#include <atomic>

#include "access.grpc.pb.h"
#include "access/connection_registry.h"
#include "common/stream_server.h"

namespace im::access {

class PushService final : public internal::Access::CallbackService {
 public:
  explicit PushService(ConnectionRegistry* registry) : registry_(registry) {}

  grpc::ServerBidiReactor<internal::PushCalls, internal::PushResults>* PushStream(
      grpc::CallbackServerContext* /*ctx*/) override {
    return push_stream_.Open();
  }
  void DrainStreams() { push_stream_.Drain(); }
  std::uint64_t push_requests() const { return push_requests_.load(std::memory_order_relaxed); }
  std::uint64_t push_targets() const { return push_targets_.load(std::memory_order_relaxed); }
  grpc::ServerUnaryReactor* Kick(grpc::CallbackServerContext* ctx,
                                 const internal::KickRequest* request,
                                 internal::KickResponse* response) override;
  grpc::ServerUnaryReactor* Stats(grpc::CallbackServerContext* ctx,
                                  const internal::AccessStatsRequest* request,
                                  internal::AccessStatsResponse* response) override;

 private:
  // Hands the frame to each target's connection; returns how many were found.
  std::uint32_t Push(const internal::PushRequest& request);

  ConnectionRegistry* registry_;
  std::atomic<std::uint64_t> push_requests_{0};
  std::atomic<std::uint64_t> push_targets_{0};
  common::StreamServer<internal::PushCalls, internal::PushResults> push_stream_{
      [this](const internal::PushRequest& request, internal::PushResponse* response,
             std::function<void(absl::Status)> done) {
        response->set_delivered(Push(request));
        done(absl::OkStatus());
      }};
};

}  // namespace im::access
