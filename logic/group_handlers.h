#pragma once
// Group requests: create, change (invite, kick, leave, dissolve, rename,
// announce, roles, transfer, mute, mute-all), info, member pages and the
// user's groups. Logic validates what the client sent and the configured size
// limit; storage applies each change atomically under the group's lock with
// the rules of storage/group_rules.h and records it as a system message,
// which is then pushed to every member who can see it (including one just
// removed, so their devices learn of it). Thread-safe; asynchronous.

#include "logic/logic_config.h"
#include "logic/push_fanout.h"
#include "logic/request_dispatcher.h"
#include "logic/storage_api.h"

namespace im::logic {

class GroupHandlers {
 public:
  GroupHandlers(const LogicConfig& config, StorageApi* storage, PushFanout* fanout)
      : config_(config), storage_(storage), fanout_(fanout) {}

  void RegisterWith(RequestDispatcher& dispatcher);

 private:
  void Create(const internal::HandleRequest& request, Reply reply);
  void Change(const internal::HandleRequest& request, Reply reply);
  void Info(const internal::HandleRequest& request, Reply reply);
  void Members(const internal::HandleRequest& request, Reply reply);
  void List(const internal::HandleRequest& request, Reply reply);

  // Pushes a recorded change to the members who can see it.
  void PushChange(const internal::SessionContext& session,
                  internal::GroupChangeResult& result);

  const LogicConfig& config_;
  StorageApi* storage_;
  PushFanout* fanout_;
};

}  // namespace im::logic
