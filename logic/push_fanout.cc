#include "logic/push_fanout.h"

#include <map>

#include "common/logging.h"

namespace im::logic {

void PushFanout::PushToUsers(std::vector<std::uint64_t> user_ids, client::ServerFrame frame,
                             std::string skip_node_id, std::uint64_t skip_conn_id) {
  internal::GetRoutesRequest lookup;
  for (auto id : user_ids) lookup.add_user_ids(id);
  storage_->GetRoutes(std::move(lookup), [this, frame = std::move(frame),
                                          skip_node_id = std::move(skip_node_id), skip_conn_id](
                                             absl::StatusOr<internal::GetRoutesResponse> routes) {
    if (!routes.ok()) {
      common::GetLogger("push")->warn("event=route_lookup_failed status=\"{}\"", routes.status());
      return;
    }
    std::map<std::string, internal::PushRequest> per_node;
    for (const auto& user : routes->users()) {
      for (const auto& route : user.routes()) {
        if (route.access_node_id() == skip_node_id && route.conn_id() == skip_conn_id) continue;
        internal::PushRequest& push = per_node[route.access_endpoint()];
        auto* target = push.add_targets();
        target->set_conn_id(route.conn_id());
        target->set_user_id(user.user_id());
      }
    }
    for (auto& [endpoint, push] : per_node) {
      *push.mutable_frame() = frame;
      access_->Push(endpoint, std::move(push));
    }
  });
}

}  // namespace im::logic
