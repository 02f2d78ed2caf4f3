#include "logic/logic_service.h"

#include "common/grpc_status.h"
#include "common/logging.h"
#include "logic/account_handlers.h"

namespace im::logic {

void LogicService::SessionClosed(const internal::SessionContext& session, Done done) {
  if (session.user_id() == 0) return done(absl::OkStatus());
  internal::RemoveRouteRequest remove;
  remove.set_user_id(session.user_id());
  remove.set_device_id(session.device_id());
  remove.set_epoch(session.route_epoch());
  storage_->RemoveRoute(
      std::move(remove),
      [done = std::move(done)](absl::StatusOr<internal::RemoveRouteResponse> removed) {
        done(removed.status());
      });
}

grpc::ServerUnaryReactor* LogicService::RestoreRoutes(grpc::CallbackServerContext* ctx,
                                                      const internal::RestoreRoutesRequest* request,
                                                      internal::RestoreRoutesResponse* response) {
  auto* reactor = ctx->DefaultReactor();
  storage_->RestoreRoutes(
      *request, [this, reactor, response](absl::StatusOr<internal::RestoreRoutesResponse> result) {
        if (!result.ok()) return reactor->Finish(common::ToGrpcStatus(result.status()));
        for (const auto& registered : result->registered()) {
          if (registered.has_replaced()) {
            KickReplaced(access_, registered.user_id(), registered.replaced());
          }
        }
        *response = std::move(*result);
        reactor->Finish(grpc::Status::OK);
      });
  return reactor;
}

}  // namespace im::logic
