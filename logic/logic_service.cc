#include "logic/logic_service.h"

#include "common/grpc_status.h"
#include "common/logging.h"

namespace im::logic {

grpc::ServerUnaryReactor* LogicService::SessionClosed(grpc::CallbackServerContext* ctx,
                                                      const internal::SessionClosedRequest* request,
                                                      internal::SessionClosedResponse* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  const auto& session = request->session();
  if (session.user_id() == 0) {
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
  internal::RemoveRouteRequest remove;
  remove.set_user_id(session.user_id());
  remove.set_device_id(session.device_id());
  remove.set_epoch(session.route_epoch());
  storage_->RemoveRoute(std::move(remove),
                        [reactor](absl::StatusOr<internal::RemoveRouteResponse> removed) {
                          reactor->Finish(common::ToGrpcStatus(removed.status()));
                        });
  return reactor;
}

}  // namespace im::logic
