#include "logic/access_push_client.h"

#include "common/async_unary.h"
#include "common/grpc_server.h"
#include "common/logging.h"
#include "common/stream_client.h"

namespace im::logic {

AccessPushClient::AccessPushClient(const common::InternalCredentials& credentials,
                                   common::InFlight* in_flight, std::chrono::milliseconds timeout)
    : credentials_(credentials), in_flight_(in_flight), timeout_(timeout) {}

AccessPushClient::~AccessPushClient() = default;

AccessPushClient::Node& AccessPushClient::NodeFor(const std::string& endpoint) {
  std::lock_guard lock(mutex_);
  Node& node = nodes_[endpoint];
  if (!node.stub) {
    node.stub = internal::Access::NewStub(common::MakeInternalChannel(endpoint, credentials_));
    node.pushes = std::make_unique<PushStream>(
        [stub = node.stub.get()](grpc::ClientContext* context, PushStream::Reactor* reactor) {
          stub->async()->PushStream(context, reactor);
        },
        PushStream::Options{.peer = "access " + endpoint, .timeout = timeout_});
  }
  return node;
}

void AccessPushClient::Push(const std::string& endpoint, internal::PushRequest request,
                            std::function<void()> delivered) {
  NodeFor(endpoint).pushes->Submit(
      std::move(request),
      [endpoint, delivered = std::move(delivered), guard = in_flight_->Enter()](
          absl::Status status, internal::PushResponse) {
        if (!status.ok()) {
          common::GetLogger("push")->warn("event=push_failed endpoint={} status=\"{}\"", endpoint,
                                          status);
        } else if (delivered) {
          delivered();
        }
      });
}

void AccessPushClient::Kick(const std::string& endpoint, internal::KickRequest request) {
  auto* stub = NodeFor(endpoint).stub.get();
  common::CallAsync<internal::KickRequest, internal::KickResponse>(
      [stub](auto* ctx, auto* req, auto* resp, auto cb) {
        stub->async()->Kick(ctx, req, resp, std::move(cb));
      },
      std::move(request), timeout_,
      [endpoint, guard = in_flight_->Enter()](absl::Status status, internal::KickResponse) {
        if (!status.ok()) {
          common::GetLogger("push")->warn("event=kick_failed endpoint={} status=\"{}\"", endpoint,
                                          status);
        }
      });
}

}  // namespace im::logic
