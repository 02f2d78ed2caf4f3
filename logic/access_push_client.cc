#include "logic/access_push_client.h"

#include "common/async_unary.h"
#include "common/grpc_server.h"
#include "common/logging.h"

namespace im::logic {

internal::Access::Stub* AccessPushClient::StubFor(const std::string& endpoint) {
  std::lock_guard lock(mutex_);
  auto& stub = stubs_[endpoint];
  if (!stub) stub = internal::Access::NewStub(common::MakeInternalChannel(endpoint));
  return stub.get();
}

void AccessPushClient::Push(const std::string& endpoint, internal::PushRequest request) {
  auto* stub = StubFor(endpoint);
  common::CallAsync<internal::PushRequest, internal::PushResponse>(
      [stub](auto* ctx, auto* req, auto* resp, auto cb) {
        stub->async()->Push(ctx, req, resp, std::move(cb));
      },
      std::move(request), timeout_,
      [endpoint](absl::Status status, internal::PushResponse) {
        if (!status.ok()) {
          common::GetLogger("push")->warn("event=push_failed endpoint={} status=\"{}\"", endpoint,
                                          status);
        }
      });
}

void AccessPushClient::Kick(const std::string& endpoint, internal::KickRequest request) {
  auto* stub = StubFor(endpoint);
  common::CallAsync<internal::KickRequest, internal::KickResponse>(
      [stub](auto* ctx, auto* req, auto* resp, auto cb) {
        stub->async()->Kick(ctx, req, resp, std::move(cb));
      },
      std::move(request), timeout_,
      [endpoint](absl::Status status, internal::KickResponse) {
        if (!status.ok()) {
          common::GetLogger("push")->warn("event=kick_failed endpoint={} status=\"{}\"", endpoint,
                                          status);
        }
      });
}

}  // namespace im::logic
