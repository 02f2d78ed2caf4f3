#pragma once
// Delivers one server frame to every online device of some users: looks up
// their routes in one storage call, groups the connections by access node and
// sends each node one Push carrying all of its targets. Never broadcasts to
// nodes that hold none of the users. Best effort: offline devices and failed
// pushes are served later by sync. A group's messages are pushed in the order
// PushGroupMessage was called for them (logic/push_order.h), whatever order
// their route lookups finish in. Thread-safe.
//
// With metrics, the pushes of a sent message (given the time its send reached
// logic) are timed until each access node has queued them on its connections:
// im_logic_send_to_push_seconds{kind="direct"|"group"}, one observation per
// node that delivered.

#include <chrono>
#include <cstdint>
#include <functional>
#include <vector>

#include "client.pb.h"
#include "common/metrics.h"
#include "logic/access_push_api.h"
#include "logic/push_order.h"
#include "logic/storage_api.h"

namespace im::logic {

class PushFanout {
 public:
  // Groups with more than `notice_above_members` members are pushed notices
  // (see PushGroupMessage).
  PushFanout(StorageApi* storage, AccessPushApi* access, std::uint32_t notice_above_members,
             common::Metrics* metrics = nullptr);

  // When a message's send reached logic (steady clock); {} for other frames.
  using SentAt = std::chrono::steady_clock::time_point;

  // Pushes `frame` to all devices of `user_ids` except connection
  // `skip_conn_id` on node `skip_node_id` (the sender's own connection).
  void PushToUsers(std::vector<std::uint64_t> user_ids, client::ServerFrame frame,
                   std::string skip_node_id = {}, std::uint64_t skip_conn_id = 0,
                   SentAt sent_at = {});

  // The same with the routes already looked up (storage returns them with an
  // append).
  void PushToRoutes(const internal::GetRoutesResponse& routes, const client::ServerFrame& frame,
                    const std::string& skip_node_id = {}, std::uint64_t skip_conn_id = 0,
                    SentAt sent_at = {});

  // Pushes `frame` to the online devices of every member of `group_id` who
  // can see its message `seq` (storage resolves members and routes in one
  // call), except the sender's connection.
  void PushToGroup(std::uint64_t group_id, std::uint64_t seq, client::ServerFrame frame,
                   std::string skip_node_id = {}, std::uint64_t skip_conn_id = 0);

  // Delivers a stored group message to the members who can see it, after the
  // pushes of the group's earlier calls (call it in seq order): the message itself, or, in a group
  // of more than notice_above_members, a ConversationNotice (conv_id, max_seq = its seq) that
  // clients answer with Sync, so a huge group costs one small frame per online device.
  void PushGroupMessage(const client::ChatMessage& message, std::uint32_t member_count,
                        std::string skip_node_id = {}, std::uint64_t skip_conn_id = 0,
                        SentAt sent_at = {});

 private:
  // One Push per access node holding any of `routes`, once they are found.
  void PushToFound(absl::StatusOr<internal::GetRoutesResponse> routes,
                   const client::ServerFrame& frame, const std::string& skip_node_id,
                   std::uint64_t skip_conn_id, SentAt sent_at);
  // What to run when a node delivered a push of `frame`: observes the time
  // since `sent_at`; empty for frames that are not a sent message.
  std::function<void()> TimerFor(const client::ServerFrame& frame, SentAt sent_at) const;

  StorageApi* storage_;
  AccessPushApi* access_;
  std::uint32_t notice_above_members_;
  common::MetricHistogram* direct_latency_ = nullptr;  // with metrics
  common::MetricHistogram* group_latency_ = nullptr;
  PushOrder group_order_;
};

}  // namespace im::logic
