#include "logic/conversation_handlers.h"

#include "common/str_cat.h"
#include "logic/message_policy.h"
#include "logic/peer_lookup.h"
#include "logic/stored_to_client.h"

namespace im::logic {
namespace {

constexpr int kMaxAcksPerRequest = 1000;

internal::HandleResponse Empty() { return internal::HandleResponse(); }

}  // namespace

void ConversationHandlers::RegisterWith(RequestDispatcher& d) {
  d.Register(client::ClientFrame::kSync, Access::kLoggedIn,
             BindHandler(this, &ConversationHandlers::Sync));
  d.Register(client::ClientFrame::kAck, Access::kLoggedIn,
             BindHandler(this, &ConversationHandlers::Ack));
  d.Register(client::ClientFrame::kConvList, Access::kLoggedIn,
             BindHandler(this, &ConversationHandlers::ListConversations));
  d.Register(client::ClientFrame::kHistory, Access::kLoggedIn,
             BindHandler(this, &ConversationHandlers::History));
  d.Register(client::ClientFrame::kMarkRead, Access::kLoggedIn,
             BindHandler(this, &ConversationHandlers::MarkRead));
  d.Register(client::ClientFrame::kRecall, Access::kLoggedIn,
             BindHandler(this, &ConversationHandlers::Recall));
  d.Register(client::ClientFrame::kTyping, Access::kLoggedIn,
             BindHandler(this, &ConversationHandlers::Typing));
}

void ConversationHandlers::Sync(const internal::HandleRequest& request, Reply reply) {
  internal::SyncMessagesRequest sync;
  sync.set_user_id(request.session().user_id());
  sync.set_device_id(request.session().device_id());
  sync.set_limit(request.frame().sync().limit());
  sync.set_conv_id(request.frame().sync().conv_id());
  storage_->SyncMessages(std::move(sync), [reply](absl::StatusOr<internal::MessagePage> page) {
    if (!page.ok()) return reply(page.status());
    internal::HandleResponse response;
    auto* out = response.mutable_frame()->mutable_sync();
    ToClient(std::move(*page->mutable_messages()), out->mutable_messages());
    out->set_more(page->more());
    reply(std::move(response));
  });
}

void ConversationHandlers::Ack(const internal::HandleRequest& request, Reply reply) {
  const auto& acks = request.frame().ack().acks();
  if (acks.size() > kMaxAcksPerRequest) {
    return reply(absl::InvalidArgumentError("at most 1000 conversations per ack"));
  }
  internal::AckMessagesRequest ack;
  ack.set_user_id(request.session().user_id());
  ack.set_device_id(request.session().device_id());
  ToStorage(acks, ack.mutable_acks());
  storage_->AckMessages(std::move(ack), [reply](absl::StatusOr<internal::AckMessagesResponse> r) {
    if (!r.ok()) return reply(r.status());
    internal::HandleResponse response = Empty();
    response.mutable_frame()->mutable_ack();
    reply(std::move(response));
  });
}

void ConversationHandlers::ListConversations(const internal::HandleRequest& request, Reply reply) {
  internal::UserRef ref;
  ref.set_user_id(request.session().user_id());
  storage_->ListConversations(
      std::move(ref), [reply](absl::StatusOr<internal::ListConversationsResponse> list) {
        if (!list.ok()) return reply(list.status());
        internal::HandleResponse response;
        ToClient(std::move(*list->mutable_conversations()),
                 response.mutable_frame()->mutable_conv_list()->mutable_conversations());
        reply(std::move(response));
      });
}

void ConversationHandlers::ResolveConversation(const internal::SessionContext& session,
                                               const std::string& peer, std::uint64_t group_id,
                                               Done<Target> done) {
  Target target;
  target.ref.set_user_id(session.user_id());
  if (group_id != 0) {
    if (!peer.empty()) {
      return done(absl::InvalidArgumentError("name a peer or a group, not both"));
    }
    target.ref.set_group_id(group_id);
    return done(std::move(target));
  }
  LookUpPeer(*users_, session, peer, "there is no conversation with yourself",
             [target = std::move(target), done](absl::StatusOr<internal::User> user) mutable {
               if (!user.ok()) return done(user.status());
               target.ref.set_peer_id(user->user_id());
               target.peer = std::move(*user);
               done(std::move(target));
             });
}

Suspend<ConversationHandlers::Target> ConversationHandlers::ConversationNamed(
    internal::SessionContext session, std::string peer, std::uint64_t group_id) {
  return Suspend<Target>(
      [this, session = std::move(session), peer = std::move(peer), group_id](Done<Target> done) {
        ResolveConversation(session, peer, group_id, std::move(done));
      });
}

HandlerTask ConversationHandlers::History(internal::HandleRequest request, Reply reply) {
  const auto& req = request.frame().history();
  auto target = co_await ConversationNamed(request.session(), req.peer(), req.group_id());
  if (!target.ok()) co_return reply(target.status());
  internal::HistoryQuery history;
  *history.mutable_conversation() = target->ref;
  history.set_before_seq(req.before_seq());
  history.set_limit(req.limit());
  auto page = co_await Call(storage_, &StorageApi::History, std::move(history));
  internal::HandleResponse response;
  auto* out = response.mutable_frame()->mutable_history();
  // No 1:1 conversation yet: an empty history.
  if (target->ref.peer_id() != 0 && page.status().code() == absl::StatusCode::kNotFound) {
    co_return reply(std::move(response));
  }
  if (!page.ok()) co_return reply(page.status());
  if (page->messages_size() > 0) out->set_conv_id(page->messages(0).conv_id());
  ToClient(std::move(*page->mutable_messages()), out->mutable_messages());
  reply(std::move(response));
}

HandlerTask ConversationHandlers::MarkRead(internal::HandleRequest request, Reply reply) {
  const internal::SessionContext& session = request.session();
  const auto& req = request.frame().mark_read();
  auto target = co_await ConversationNamed(session, req.peer(), req.group_id());
  if (!target.ok()) co_return reply(target.status());
  internal::MarkReadQuery mark;
  *mark.mutable_conversation() = target->ref;
  mark.set_seq(req.seq());
  auto read = co_await Call(storage_, &StorageApi::MarkRead, std::move(mark));
  if (read.status().code() == absl::StatusCode::kNotFound && target->ref.peer_id() != 0) {
    co_return reply(absl::NotFoundError(
        common::StrCat("no conversation with ", target->peer.username(), " yet")));
  }
  if (!read.ok()) co_return reply(read.status());
  internal::HandleResponse response;
  response.mutable_frame()->mutable_mark_read()->set_conv_id(read->conv_id());
  response.mutable_frame()->mutable_mark_read()->set_read_seq(read->read_seq());
  reply(std::move(response));
  client::ServerFrame receipt;
  receipt.mutable_read_receipt()->set_conv_id(read->conv_id());
  receipt.mutable_read_receipt()->set_reader(session.username());
  receipt.mutable_read_receipt()->set_read_seq(read->read_seq());
  // In a group, only the reader's other devices hear of it.
  std::vector<std::uint64_t> to = {session.user_id()};
  if (target->ref.peer_id() != 0) to.push_back(target->ref.peer_id());
  fanout_->PushToUsers(std::move(to), std::move(receipt), session.access_node_id(),
                       session.conn_id());
}

HandlerTask ConversationHandlers::Recall(internal::HandleRequest request, Reply reply) {
  const internal::SessionContext& session = request.session();
  const std::uint64_t msg_id = request.frame().recall().msg_id();
  internal::RecallMessageRequest recall;
  recall.set_user_id(session.user_id());
  recall.set_msg_id(msg_id);
  recall.set_window_ms(config_.recall_window_seconds * 1000);
  auto recalled = co_await Call(storage_, &StorageApi::RecallMessage, std::move(recall));
  if (!recalled.ok()) co_return reply(recalled.status());
  internal::HandleResponse response;
  response.mutable_frame()->mutable_recall();
  reply(std::move(response));
  client::ServerFrame event;
  auto* out = event.mutable_recalled();
  out->set_conv_id(recalled->conv_id());
  out->set_msg_id(msg_id);
  out->set_seq(recalled->seq());
  out->set_sender(session.username());
  if (recalled->group_id() != 0) {
    co_return fanout_->PushToGroup(recalled->group_id(), recalled->seq(), std::move(event),
                                   session.access_node_id(), session.conn_id());
  }
  fanout_->PushToUsers({recalled->member_ids().begin(), recalled->member_ids().end()},
                       std::move(event), session.access_node_id(), session.conn_id());
}

HandlerTask ConversationHandlers::Typing(internal::HandleRequest request, Reply reply) {
  const internal::SessionContext& session = request.session();
  auto peer = co_await PeerNamed(*users_, session, request.frame().typing().peer(),
                                 "there is no conversation with yourself");
  if (!peer.ok()) co_return reply(peer.status());
  internal::UserPair pair;
  pair.set_user_id(session.user_id());
  pair.set_peer_id(peer->user_id());
  auto relation = co_await Call(storage_, &StorageApi::GetRelation, std::move(pair));
  if (!relation.ok()) co_return reply(relation.status());
  // Typing reaches only those the user may message.
  if (absl::Status allowed =
          MaySendDirect(*relation, config_.DefaultMessagePolicy(), peer->username());
      !allowed.ok()) {
    co_return reply(allowed);
  }
  internal::HandleResponse response;
  response.mutable_frame()->mutable_typing();
  reply(std::move(response));
  client::ServerFrame event;
  event.mutable_typing_event()->set_from_user(session.username());
  fanout_->PushToUsers({peer->user_id()}, std::move(event));
}

}  // namespace im::logic
