#include "logic/logic_service.h"

#include "common/grpc_status.h"
#include "common/logging.h"

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

}  // namespace im::logic
