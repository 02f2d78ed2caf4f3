#pragma once
// CallAsync: one asynchronous unary gRPC call with a deadline, whose completion
// arrives as (absl::Status, Response). Clients of each hop wrap their stub
// methods with it, so handlers never see gRPC types:
//
//   CallAsync<Req, Resp>(
//       [this](auto* ctx, auto* req, auto* resp, auto done) {
//         stub_->async()->GetUser(ctx, req, resp, std::move(done));
//       },
//       std::move(request), timeout, std::move(on_done));
//
// `on_done` runs exactly once, on a gRPC thread: it must not block.
// With `wait_for_ready`, a call made while the server is unreachable (say,
// restarting) waits for it until the deadline instead of failing at once:
// for hops to a required tier (access -> logic -> storage), not for pushes.
// Include only from .cc files (it pulls in gRPC headers).

#include <grpcpp/client_context.h>

#include <chrono>
#include <functional>
#include <memory>

#include "common/grpc_status.h"

namespace im::common {

template <typename Response>
using Completion = std::function<void(absl::Status, Response)>;

template <typename Request, typename Response, typename Start>
void CallAsync(Start&& start, Request request, std::chrono::milliseconds timeout,
               Completion<Response> on_done, bool wait_for_ready = false) {
  struct Call {
    grpc::ClientContext context;
    Request request;
    Response response;
  };
  auto call = std::make_shared<Call>();
  call->request = std::move(request);
  call->context.set_deadline(std::chrono::system_clock::now() + timeout);
  call->context.set_wait_for_ready(wait_for_ready);
  start(&call->context, &call->request, &call->response,
        [call, on_done = std::move(on_done)](grpc::Status status) {
          on_done(FromGrpcStatus(status), std::move(call->response));
        });
}

}  // namespace im::common
