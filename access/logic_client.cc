#include "access/logic_client.h"

#include "common/async_unary.h"
#include "common/grpc_server.h"
#include "common/logging.h"

namespace im::access {

LogicClient::LogicClient(const std::string& target, std::chrono::milliseconds timeout)
    : stub_(internal::Logic::NewStub(common::MakeInternalChannel(target))), timeout_(timeout) {}

void LogicClient::Handle(internal::HandleRequest request,
                         std::function<void(absl::StatusOr<internal::HandleResponse>)> done) {
  common::CallAsync<internal::HandleRequest, internal::HandleResponse>(
      [this](auto* ctx, auto* req, auto* resp, auto cb) {
        stub_->async()->Handle(ctx, req, resp, std::move(cb));
      },
      std::move(request), timeout_,
      [done = std::move(done)](absl::Status status, internal::HandleResponse response) {
        if (status.ok()) return done(std::move(response));
        common::GetLogger("access")->warn("event=logic_call_failed status=\"{}\"", status);
        done(absl::UnavailableError("service unavailable, try again"));
      },
      /*wait_for_ready=*/true);
}

void LogicClient::SessionClosed(internal::SessionContext session) {
  internal::SessionClosedRequest request;
  *request.mutable_session() = std::move(session);
  common::CallAsync<internal::SessionClosedRequest, internal::SessionClosedResponse>(
      [this](auto* ctx, auto* req, auto* resp, auto cb) {
        stub_->async()->SessionClosed(ctx, req, resp, std::move(cb));
      },
      std::move(request), timeout_,
      [](absl::Status status, internal::SessionClosedResponse) {
        if (!status.ok()) {
          common::GetLogger("access")->warn("event=session_closed_failed status=\"{}\"", status);
        }
      });
}

}  // namespace im::access
