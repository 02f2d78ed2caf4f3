#pragma once
// Conversations and delivery: Sync (everything after this device's cursors, or in one
// conversation),
// Ack (move them), the conversation list with unread counts, history, marking
// read (with read receipts to the peer and the reader's other devices; in a
// group, to the reader's other devices only),
// recall (by the sender, within the configured window) and typing indicators
// (pushed, never stored). All act for the session's user and device only.
// Thread-safe; asynchronous.

#include "logic/handler_task.h"
#include "logic/logic_config.h"
#include "logic/push_fanout.h"
#include "logic/request_dispatcher.h"
#include "logic/storage_api.h"
#include "logic/user_directory.h"

namespace im::logic {

class ConversationHandlers {
 public:
  ConversationHandlers(const LogicConfig& config, StorageApi* storage, UserDirectory* users,
                       PushFanout* fanout)
      : config_(config), storage_(storage), users_(users), fanout_(fanout) {}

  void RegisterWith(RequestDispatcher& dispatcher);

 private:
  // The conversation a request names: a peer (looked up) or a group.
  struct Target {
    internal::ConversationRef ref;
    internal::User peer;  // 1:1 only
  };
  void ResolveConversation(const internal::SessionContext& session, const std::string& peer,
                           std::uint64_t group_id, Done<Target> done);
  Suspend<Target> ConversationNamed(internal::SessionContext session, std::string peer,
                                    std::uint64_t group_id);

  // The hot one-call handlers (sync, ack) stay plain callbacks: no copy of
  // the request, no coroutine frame. The others are coroutines.
  void Sync(const internal::HandleRequest& request, Reply reply);
  void Ack(const internal::HandleRequest& request, Reply reply);
  void ListConversations(const internal::HandleRequest& request, Reply reply);
  HandlerTask History(internal::HandleRequest request, Reply reply);
  HandlerTask MarkRead(internal::HandleRequest request, Reply reply);
  HandlerTask Recall(internal::HandleRequest request, Reply reply);
  HandlerTask Typing(internal::HandleRequest request, Reply reply);

  const LogicConfig& config_;
  StorageApi* storage_;
  UserDirectory* users_;
  PushFanout* fanout_;
};

}  // namespace im::logic
