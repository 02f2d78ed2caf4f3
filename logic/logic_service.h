#pragma once
// The Logic gRPC service (callback API): HandleStream, a coalescing stream
// (common/stream_server.h), passes each forwarded client request to the
// dispatcher and answers it when the handler replies; a call that says a
// session closed forgets the connection's route if it is still the current
// one; an access node's lease renewals and route restores are passed to
// storage (and connections a restore's new registrations replaced, kicked). Stateless: any replica
// can serve any request. Never blocks a reactor. DrainStreams() (at shutdown, before the server's
// Shutdown) answers what the streams carried and ends them.

#include "common/grpc_status.h"
#include "common/stream_server.h"
#include "logic.grpc.pb.h"
#include "logic/access_push_api.h"
#include "logic/request_dispatcher.h"
#include "logic/storage_api.h"

namespace im::logic {

class LogicService final : public internal::Logic::CallbackService {
 public:
  LogicService(const RequestDispatcher* dispatcher, StorageApi* storage,
               AccessPushApi* access)
      : dispatcher_(dispatcher), storage_(storage), access_(access) {}

  grpc::ServerBidiReactor<internal::HandleCalls, internal::HandleResults>* HandleStream(
      grpc::CallbackServerContext* /*ctx*/) override {
    return handle_stream_.Open();
  }
  void DrainStreams() { handle_stream_.Drain(); }

  // Passed to storage as they are.
  grpc::ServerUnaryReactor* RenewNodeLease(grpc::CallbackServerContext* ctx,
                                           const internal::NodeLeaseRequest* request,
                                           internal::NodeLeaseResponse* response) override {
    return Forward(ctx, *request, response, &StorageApi::RenewNodeLease);
  }
  // Passed to storage; a connection whose route a newly registered one
  // replaced (two logins of one device while Redis was down) is kicked.
  grpc::ServerUnaryReactor* RestoreRoutes(grpc::CallbackServerContext* ctx,
                                          const internal::RestoreRoutesRequest* request,
                                          internal::RestoreRoutesResponse* response) override;
  grpc::ServerUnaryReactor* ReleaseNodeLease(grpc::CallbackServerContext* ctx,
                                             const internal::NodeLeaseRelease* request,
                                             internal::NodeLeaseReleased* response) override {
    return Forward(ctx, *request, response, &StorageApi::ReleaseNodeLease);
  }

 private:
  template <typename Request, typename Response>
  grpc::ServerUnaryReactor* Forward(grpc::CallbackServerContext* ctx, const Request& request,
                                    Response* response,
                                    void (StorageApi::*call)(Request,
                                                                ::im::logic::Done<Response>)) {
    auto* reactor = ctx->DefaultReactor();
    (storage_->*call)(request, [reactor, response](absl::StatusOr<Response> result) {
      if (!result.ok()) return reactor->Finish(common::ToGrpcStatus(result.status()));
      *response = std::move(*result);
      reactor->Finish(grpc::Status::OK);
    });
    return reactor;
  }

  using Done = std::function<void(absl::Status)>;
  void SessionClosed(const internal::SessionContext& session, Done done);

  const RequestDispatcher* dispatcher_;
  StorageApi* storage_;
  AccessPushApi* access_;
  common::StreamServer<internal::HandleCalls, internal::HandleResults> handle_stream_{
      [this](const internal::HandleRequest& request, internal::HandleResponse* response,
             Done done) {
        if (request.session_closed()) return SessionClosed(request.session(), std::move(done));
        dispatcher_->Dispatch(request,
                              [response, done = std::move(done)](internal::HandleResponse result) {
                                *response = std::move(result);
                                done(absl::OkStatus());
                              });
      }};
};

}  // namespace im::logic
