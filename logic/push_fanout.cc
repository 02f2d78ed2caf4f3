#include "logic/push_fanout.h"

#include <map>

#include "common/logging.h"

namespace im::logic {

PushFanout::PushFanout(StorageApi* storage, AccessPushApi* access,
                       std::uint32_t notice_above_members, common::Metrics* metrics)
    : storage_(storage), access_(access), notice_above_members_(notice_above_members) {
  if (metrics == nullptr) return;
  const char* help =
      "From a send's arrival at logic until an access node queued its push on the recipients' "
      "connections.";
  direct_latency_ = &metrics->Histogram("im_logic_send_to_push_seconds", help,
                                        common::Metrics::LatencyBuckets(), {{"kind", "direct"}});
  group_latency_ = &metrics->Histogram("im_logic_send_to_push_seconds", help,
                                       common::Metrics::LatencyBuckets(), {{"kind", "group"}});
}

std::function<void()> PushFanout::TimerFor(const client::ServerFrame& frame, SentAt sent_at) const {
  if (sent_at == SentAt{} || direct_latency_ == nullptr) return {};
  const bool group = frame.has_notice() || frame.message().group_id() != 0;
  return [histogram = group ? group_latency_ : direct_latency_, sent_at] {
    histogram->Observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - sent_at).count());
  };
}

void PushFanout::PushToUsers(std::vector<std::uint64_t> user_ids, client::ServerFrame frame,
                             std::string skip_node_id, std::uint64_t skip_conn_id, SentAt sent_at) {
  internal::GetRoutesRequest lookup;
  for (auto id : user_ids) lookup.add_user_ids(id);
  storage_->GetRoutes(std::move(lookup),
                      [this, frame = std::move(frame), skip_node_id = std::move(skip_node_id),
                       skip_conn_id, sent_at](auto routes) {
                        PushToFound(std::move(routes), frame, skip_node_id, skip_conn_id, sent_at);
                      });
}

void PushFanout::PushToGroup(std::uint64_t group_id, std::uint64_t seq, client::ServerFrame frame,
                             std::string skip_node_id, std::uint64_t skip_conn_id) {
  internal::GetGroupRoutesRequest lookup;
  lookup.set_group_id(group_id);
  lookup.set_seq(seq);
  storage_->GetGroupRoutes(
      std::move(lookup),
      [this, frame = std::move(frame), skip_node_id = std::move(skip_node_id), skip_conn_id](
          auto routes) { PushToFound(std::move(routes), frame, skip_node_id, skip_conn_id, {}); });
}

void PushFanout::PushGroupMessage(const client::ChatMessage& message, std::uint32_t member_count,
                                  std::string skip_node_id, std::uint64_t skip_conn_id,
                                  SentAt sent_at) {
  client::ServerFrame frame;
  if (member_count > notice_above_members_) {
    frame.mutable_notice()->set_conv_id(message.conv_id());
    frame.mutable_notice()->set_max_seq(message.seq());
  } else {
    *frame.mutable_message() = message;
  }
  const std::uint64_t conv_id = message.conv_id();
  const PushOrder::Ticket ticket = group_order_.Reserve(conv_id);
  internal::GetGroupRoutesRequest lookup;
  lookup.set_group_id(message.group_id());
  lookup.set_seq(message.seq());
  storage_->GetGroupRoutes(std::move(lookup), [this, conv_id, ticket, frame = std::move(frame),
                                               skip_node_id = std::move(skip_node_id), skip_conn_id,
                                               sent_at](auto routes) {
    if (!routes.ok()) {
      common::GetLogger("push")->warn("event=route_lookup_failed status=\"{}\"", routes.status());
      return group_order_.Release(conv_id, ticket, nullptr);
    }
    // May run later, on the thread that releases an earlier place: owns its data.
    group_order_.Release(
        conv_id, ticket,
        [this, found = std::move(*routes), frame, skip_node_id, skip_conn_id, sent_at] {
          PushToRoutes(found, frame, skip_node_id, skip_conn_id, sent_at);
        });
  });
}

void PushFanout::PushToFound(absl::StatusOr<internal::GetRoutesResponse> routes,
                             const client::ServerFrame& frame, const std::string& skip_node_id,
                             std::uint64_t skip_conn_id, SentAt sent_at) {
  if (!routes.ok()) {
    common::GetLogger("push")->warn("event=route_lookup_failed status=\"{}\"", routes.status());
    return;
  }
  PushToRoutes(*routes, frame, skip_node_id, skip_conn_id, sent_at);
}

void PushFanout::PushToRoutes(const internal::GetRoutesResponse& routes,
                              const client::ServerFrame& frame, const std::string& skip_node_id,
                              std::uint64_t skip_conn_id, SentAt sent_at) {
  std::map<std::string, internal::PushRequest> per_node;
  for (const auto& user : routes.users()) {
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
    access_->Push(endpoint, std::move(push), TimerFor(frame, sent_at));
  }
}

}  // namespace im::logic
