#include "access/logic_client.h"

#include "common/async_unary.h"
#include "common/grpc_server.h"
#include "common/logging.h"
#include "common/sharded_stream_client.h"

namespace im::access {

using HandleStream = common::ShardedStreamClient<internal::HandleCalls, internal::HandleResults>;

LogicClient::LogicClient(const std::string& target, const common::InternalCredentials& credentials,
                         std::chrono::milliseconds timeout, common::StreamSpread spread)
    : timeout_(timeout),
      stub_(internal::Logic::NewStub(common::MakeInternalChannel(target, credentials))),
      handle_(std::make_unique<HandleStream>(
          spread.streams,
          [this](grpc::ClientContext* context, HandleStream::Reactor* reactor) {
            stub_->async()->HandleStream(context, reactor);
          },
          HandleStream::Shard::Options{.peer = "logic " + target,
                                       .timeout = timeout,
                                       .wait_for_ready = true,
                                       .max_stream_age = spread.rebalance})) {}

LogicClient::~LogicClient() = default;

void LogicClient::Handle(internal::HandleRequest request, Done done) {
  const std::uint64_t conn_id = request.session().conn_id();
  handle_->Submit(conn_id, std::move(request),
                  [done = std::move(done)](absl::Status status, internal::HandleResponse response) {
                    if (status.ok()) return done(std::move(response));
                    common::GetLogger("access")->warn("event=logic_call_failed status=\"{}\"",
                                                      status);
                    done(absl::UnavailableError("service unavailable, try again"));
                  });
}

void LogicClient::SessionClosed(internal::SessionContext session) {
  internal::HandleRequest request;
  *request.mutable_session() = std::move(session);
  request.set_session_closed(true);
  session_closes_in_flight_.fetch_add(1, std::memory_order_relaxed);
  const std::uint64_t conn_id = request.session().conn_id();
  handle_->Submit(
      conn_id, std::move(request), [this](absl::Status status, internal::HandleResponse) {
        if (!status.ok()) {
          common::GetLogger("access")->warn("event=session_closed_failed status=\"{}\"", status);
        }
        session_closes_in_flight_.fetch_sub(1, std::memory_order_relaxed);
      });
}

namespace {

// A unary call to logic whose `done` gets the response or the failure.
template <typename Request, typename Response, typename Start>
void Unary(Start start, Request request, std::chrono::milliseconds timeout,
           std::function<void(absl::StatusOr<Response>)> done) {
  common::CallAsync<Request, Response>(
      std::move(start), std::move(request), timeout,
      [done = std::move(done)](absl::Status status, Response response) {
        if (!status.ok()) return done(status);
        done(std::move(response));
      });
}

}  // namespace

void LogicClient::RenewNodeLease(
    internal::NodeLeaseRequest request,
    std::function<void(absl::StatusOr<internal::NodeLeaseResponse>)> done) {
  Unary<internal::NodeLeaseRequest, internal::NodeLeaseResponse>(
      [this](auto* ctx, auto* req, auto* resp, auto on_done) {
        stub_->async()->RenewNodeLease(ctx, req, resp, std::move(on_done));
      },
      std::move(request), timeout_, std::move(done));
}

void LogicClient::RestoreRoutes(
    internal::RestoreRoutesRequest request,
    std::function<void(absl::StatusOr<internal::RestoreRoutesResponse>)> done) {
  Unary<internal::RestoreRoutesRequest, internal::RestoreRoutesResponse>(
      [this](auto* ctx, auto* req, auto* resp, auto on_done) {
        stub_->async()->RestoreRoutes(ctx, req, resp, std::move(on_done));
      },
      std::move(request), timeout_, std::move(done));
}

void LogicClient::ReleaseNodeLease(internal::NodeLeaseRelease request,
                                   std::function<void(absl::Status)> done) {
  Unary<internal::NodeLeaseRelease, internal::NodeLeaseReleased>(
      [this](auto* ctx, auto* req, auto* resp, auto on_done) {
        stub_->async()->ReleaseNodeLease(ctx, req, resp, std::move(on_done));
      },
      std::move(request), timeout_,
      [done = std::move(done)](absl::StatusOr<internal::NodeLeaseReleased> r) {
        done(r.status());
      });
}

}  // namespace im::access
