#pragma once
// Logic's gRPC client of the access nodes' Access service (the AccessPushApi
// of logic/access_push_api.h). One channel per access
// endpoint, made on first use and kept, with one coalescing stream
// (common/stream_client.h) for its pushes. Pushes are fire-and-forget from the
// caller's view: a failed push is logged, and the recipient gets the message
// by sync instead (a caller may ask to hear when a push was delivered, for
// its metrics). Every call counts in `in_flight` until its callback has run.
// Thread-safe.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "access.grpc.pb.h"
#include "common/in_flight.h"
#include "common/internal_tls.h"
#include "logic/access_push_api.h"

namespace im::common {
template <typename Calls, typename Results>
class StreamClient;
}

namespace im::logic {

class AccessPushClient final : public AccessPushApi {
 public:
  // `in_flight` outlives this client.
  AccessPushClient(const common::InternalCredentials& credentials, common::InFlight* in_flight,
                   std::chrono::milliseconds timeout);
  ~AccessPushClient();

  // `delivered` runs on a gRPC thread.
  void Push(const std::string& endpoint, internal::PushRequest request,
            std::function<void()> delivered = {}) override;
  void Kick(const std::string& endpoint, internal::KickRequest request) override;

 private:
  using PushStream = common::StreamClient<internal::PushCalls, internal::PushResults>;
  struct Node {
    std::unique_ptr<internal::Access::Stub> stub;
    std::unique_ptr<PushStream> pushes;
  };
  Node& NodeFor(const std::string& endpoint);

  const common::InternalCredentials credentials_;
  common::InFlight* const in_flight_;
  std::chrono::milliseconds timeout_;
  std::mutex mutex_;
  std::map<std::string, Node> nodes_;
};

}  // namespace im::logic
