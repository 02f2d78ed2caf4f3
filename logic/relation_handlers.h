#pragma once
// The relationship chain: friend requests (request, accept/decline, cancel),
// friends (list with online status, remove), blocks and the message policy.
// Every request acts for the session's user only. Storage applies each change
// atomically; this class turns its outcome into the client's status and
// pushes FriendEvents to the online devices of both users (minus the
// requesting connection, which has its response). Thread-safe; async.

#include "logic/handler_task.h"
#include "logic/logic_config.h"
#include "logic/push_fanout.h"
#include "logic/request_dispatcher.h"
#include "logic/storage_api.h"
#include "logic/user_directory.h"

namespace im::logic {

class RelationHandlers {
 public:
  RelationHandlers(const LogicConfig& config, StorageApi* storage, UserDirectory* users,
                   PushFanout* fanout)
      : config_(config), storage_(storage), users_(users), fanout_(fanout) {}

  void RegisterWith(RequestDispatcher& dispatcher);

 private:
  // Each handler is a coroutine (handler_task.h) but the two that share
  // ApplyPairChange.
  HandlerTask RequestFriend(internal::HandleRequest request, Reply reply);
  HandlerTask RespondFriend(internal::HandleRequest request, Reply reply);
  void CancelRequest(const internal::HandleRequest& request, Reply reply);
  void RemoveFriend(const internal::HandleRequest& request, Reply reply);
  HandlerTask ListFriends(internal::HandleRequest request, Reply reply);
  HandlerTask ListPending(internal::HandleRequest request, Reply reply);
  HandlerTask SetBlock(internal::HandleRequest request, Reply reply);
  HandlerTask ListBlocked(internal::HandleRequest request, Reply reply);
  HandlerTask SetPrivacy(internal::HandleRequest request, Reply reply);

  // A change that undoes a relation (cancel a request, remove a friend):
  // `done` is success (both users get `event`, the client gets an empty
  // answer); `nothing` means there was nothing to undo.
  struct PairChange {
    void (StorageApi::*call)(internal::UserPair, Done<internal::RelationChange>);
    internal::RelationOutcome done;
    internal::RelationOutcome nothing;
    std::string (*nothing_message)(const std::string& peer);
    client::FriendEvent::Kind event;
    client::Ack* (client::ServerFrame::*answer)();
  };
  // `change` is one of the static PairChanges: it outlives the coroutine.
  HandlerTask ApplyPairChange(internal::HandleRequest request, std::string peer_name,
                              const PairChange& change, Reply reply);

  // Pushes a FriendEvent to `to_users` (skipping the acting connection).
  void Notify(const internal::SessionContext& session, std::vector<std::uint64_t> to_users,
              client::FriendEvent::Kind kind, const std::string& from, const std::string& to,
              const std::string& note = {});

  const LogicConfig& config_;
  StorageApi* storage_;
  UserDirectory* users_;
  PushFanout* fanout_;
};

}  // namespace im::logic
