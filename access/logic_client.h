#pragma once
// Access' client of im-logic. Handle forwards one parsed client request with
// its session context on a coalescing stream (common/sharded_stream_client.h:
// `spread.streams` of them, spread over logic's replicas; a connection's
// requests always take the same one, so they reach logic in order);
// `done` runs once on a gRPC thread (post to the connection's thread from
// there). If logic is down or slow the result is UNAVAILABLE, "service
// unavailable, try again". Thread-safe.

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "access/request_gateway.h"
#include "common/internal_tls.h"
#include "common/stream_spread.h"
#include "logic.grpc.pb.h"

namespace im::common {
template <typename Calls, typename Results>
class ShardedStreamClient;
}

namespace im::access {

class LogicClient final : public RequestGateway {
 public:
  LogicClient(const std::string& target, const common::InternalCredentials& credentials,
              std::chrono::milliseconds timeout, common::StreamSpread spread = {});
  ~LogicClient() override;

  void Handle(internal::HandleRequest request, Done done) override;
  // Fire and forget, on the connection's stream: tells logic a logged-in
  // connection ended (after every request the connection sent before).
  void SessionClosed(internal::SessionContext session) override;
  // SessionClosed calls not answered yet (a drain waits for them).
  std::size_t session_closes_in_flight() const {
    return session_closes_in_flight_.load(std::memory_order_relaxed);
  }
  // The node's lease and the restoring of its routes (unary calls; `done`
  // runs once on a gRPC thread).
  void RenewNodeLease(internal::NodeLeaseRequest request,
                      std::function<void(absl::StatusOr<internal::NodeLeaseResponse>)> done);
  void RestoreRoutes(internal::RestoreRoutesRequest request,
                     std::function<void(absl::StatusOr<internal::RestoreRoutesResponse>)> done);
  void ReleaseNodeLease(internal::NodeLeaseRelease request, std::function<void(absl::Status)> done);

 private:
  std::chrono::milliseconds timeout_;
  std::atomic<std::size_t> session_closes_in_flight_{0};
  std::unique_ptr<internal::Logic::Stub> stub_;
  std::unique_ptr<common::ShardedStreamClient<internal::HandleCalls, internal::HandleResults>>
      handle_;
};

}  // namespace im::access
