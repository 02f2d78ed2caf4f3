#pragma once
// Delivers one server frame to every online device of some users: looks up
// their routes in one storage call, groups the connections by access node and
// sends each node one Push carrying all of its targets. Never broadcasts to
// nodes that hold none of the users. Best effort: offline devices and failed
// pushes are served later by sync. Thread-safe.

#include <cstdint>
#include <vector>

#include "client.pb.h"
#include "logic/access_push_client.h"
#include "logic/storage_client.h"

namespace im::logic {

class PushFanout {
 public:
  PushFanout(StorageClient* storage, AccessPushClient* access)
      : storage_(storage), access_(access) {}

  // Pushes `frame` to all devices of `user_ids` except connection
  // `skip_conn_id` on node `skip_node_id` (the sender's own connection).
  void PushToUsers(std::vector<std::uint64_t> user_ids, client::ServerFrame frame,
                   std::string skip_node_id = {}, std::uint64_t skip_conn_id = 0);

 private:
  StorageClient* storage_;
  AccessPushClient* access_;
};

}  // namespace im::logic
