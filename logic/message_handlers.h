#pragma once
// SendMessage, 1:1 or to a group. A 1:1 send is checked against the
// relationship chain (MaySendDirect) and appended only if the facts it was
// decided on still hold when it commits (relation versions), so a block
// racing a send either comes after the stored message or refuses it. A group
// send is checked by storage under the group's lock (membership, mute). Blocks
// between members do not apply inside groups. The message is committed before
// the sender's success response; only then is it pushed: to the recipient's
// and the sender's other devices, or to the group's members' devices through
// PushFanout::PushGroupMessage. Before any of that, a text passes the
// operator's send filter (`filter`, if given; send_filter.h): a refused send
// stores nothing, a masked one is stored masked and its ack says `masked`.
// Then the operator's before_send webhook (`before_send`, if given;
// before_send_hook.h) may refuse it or rewrite it (the ack says `rewritten`).
// A send that waits for the hook has already taken its turn in its
// connection's order (SendOrder), so pipelined sends are stored in the order
// they were sent, 1:1 and group alike. With an after_send webhook
// (LogicConfig::RecordsWebhookEvents), each message is recorded in storage's
// outbox with it.
// Thread-safe; async.

#include "logic/before_send_hook.h"
#include "logic/desk_handlers.h"
#include "logic/logic_config.h"
#include "logic/push_fanout.h"
#include "logic/relation_cache.h"
#include "logic/request_dispatcher.h"
#include "logic/send_filter.h"
#include "logic/send_order.h"
#include "logic/storage_api.h"
#include "logic/user_directory.h"

namespace im::logic {

// What a send passes besides the checks every send has. Each may be null
// (none) and outlives the handlers.
struct SendScreens {
  const SendFilterHolder* filter = nullptr;
  BeforeSendHook* before_send = nullptr;
};

class MessageHandlers {
 public:
  MessageHandlers(const LogicConfig& config, StorageApi* storage, UserDirectory* users,
                  RelationCache* relations, PushFanout* fanout, SendScreens screens = {},
                  DeskHandlers* desks = nullptr)
      : config_(config),
        storage_(storage),
        users_(users),
        relations_(relations),
        fanout_(fanout),
        screens_(screens),
        desks_(desks) {}

  void RegisterWith(RequestDispatcher& dispatcher);

 private:
  using Turn = std::shared_ptr<SendOrder::Turn>;  // null once the send lost its place
  using SentAt = PushFanout::SentAt;              // when the send reached logic
  void SendMessage(const internal::HandleRequest& request, Reply reply);
  // Asks the before_send hook (if any) about `req` (validated and filtered),
  // then routes it as the hook decided.
  void AskHookThenRoute(const internal::SessionContext& session,
                        const client::SendMessageRequest& req, Reply reply, SentAt sent_at);
  // Sends `req` 1:1 or to its group, appending in `turn` (1:1 sends without
  // one take theirs now).
  void Route(const internal::SessionContext& session, const client::SendMessageRequest& req,
             Reply reply, SentAt sent_at, Turn turn);
  // Decides on the relation (cached if it allows the send, else read fresh),
  // appends in its turn; decides again on a fresh read if it changed meanwhile.
  void CheckAndAppend(internal::SessionContext session, client::SendMessageRequest req,
                      internal::User recipient, Reply reply, int attempt, Turn turn,
                      SentAt sent_at);
  // Decides on `relation` and appends with its versions, in its turn.
  void DecideAndAppend(internal::SessionContext session, client::SendMessageRequest req,
                       internal::User recipient, Reply reply, int attempt,
                       const internal::Relation& relation, Turn turn, SentAt sent_at);
  void SendToGroup(const internal::SessionContext& session, const client::SendMessageRequest& req,
                   Reply reply, SentAt sent_at, Turn turn);
  // The outbox event recorded with the message (names only: storage fills the rest).
  void RecordEvent(const internal::SessionContext& session, const std::string& recipient,
                   internal::AppendMessageRequest* append) const;
  void Answer(const internal::SessionContext& session,
              const internal::AppendMessageResponse& stored, const Reply& reply);
  // The message as recipients see it (recipient and group left to the caller).
  static client::ChatMessage StoredMessage(const internal::SessionContext& session,
                                           const client::SendMessageRequest& req,
                                           const internal::AppendMessageResponse& stored);
  // A message to a desk account is routed to the desk's agents first.
  void AnswerAndPush(const internal::SessionContext& session, const client::SendMessageRequest& req,
                     const internal::User& recipient, const internal::AppendMessageResponse& stored,
                     const Reply& reply, SentAt sent_at);
  void AnswerAndPushStored(const internal::SessionContext& session,
                           const internal::User& recipient, client::ServerFrame event,
                           const internal::AppendMessageResponse& stored, const Reply& reply,
                           SentAt sent_at);

  const LogicConfig& config_;
  StorageApi* storage_;
  UserDirectory* users_;
  RelationCache* relations_;
  PushFanout* fanout_;
  const SendScreens screens_;
  DeskHandlers* desks_;  // 1:1 messages to a desk account are routed to its agents
  SendOrder order_;  // 1:1 sends stored in the order each connection sent them
};

}  // namespace im::logic
