#include "logic/relation_handlers.h"

#include <set>

#include "common/clock.h"
#include "common/str_cat.h"
#include "logic/message_policy.h"
#include "logic/peer_lookup.h"

namespace im::logic {
namespace {

constexpr std::size_t kMaxNoteBytes = 255;

using internal::RelationOutcome;
using Event = client::FriendEvent;

internal::UserPair Pair(std::uint64_t user, std::uint64_t peer) {
  internal::UserPair pair;
  pair.set_user_id(user);
  pair.set_peer_id(peer);
  return pair;
}

internal::UserRef Ref(std::uint64_t user) {
  internal::UserRef ref;
  ref.set_user_id(user);
  return ref;
}

// The error for an outcome no handler expected (a storage/logic mismatch).
absl::Status Unexpected(RelationOutcome outcome) {
  return absl::InternalError(common::StrCat("unexpected relation outcome ", outcome));
}

}  // namespace

void RelationHandlers::RegisterWith(RequestDispatcher& d) {
  d.Register(client::ClientFrame::kFriendRequest, Access::kLoggedIn,
             BindHandler(this, &RelationHandlers::RequestFriend));
  d.Register(client::ClientFrame::kFriendRespond, Access::kLoggedIn,
             BindHandler(this, &RelationHandlers::RespondFriend));
  d.Register(client::ClientFrame::kFriendCancel, Access::kLoggedIn,
             BindHandler(this, &RelationHandlers::CancelRequest));
  d.Register(client::ClientFrame::kFriendRemove, Access::kLoggedIn,
             BindHandler(this, &RelationHandlers::RemoveFriend));
  d.Register(client::ClientFrame::kFriendList, Access::kLoggedIn,
             BindHandler(this, &RelationHandlers::ListFriends));
  d.Register(client::ClientFrame::kFriendPending, Access::kLoggedIn,
             BindHandler(this, &RelationHandlers::ListPending));
  d.Register(client::ClientFrame::kBlockSet, Access::kLoggedIn,
             BindHandler(this, &RelationHandlers::SetBlock));
  d.Register(client::ClientFrame::kBlockList, Access::kLoggedIn,
             BindHandler(this, &RelationHandlers::ListBlocked));
  d.Register(client::ClientFrame::kPrivacySet, Access::kLoggedIn,
             BindHandler(this, &RelationHandlers::SetPrivacy));
}

void RelationHandlers::Notify(const internal::SessionContext& session,
                              std::vector<std::uint64_t> to_users, Event::Kind kind,
                              const std::string& from, const std::string& to,
                              const std::string& note) {
  client::ServerFrame frame;
  auto* event = frame.mutable_friend_event();
  event->set_kind(kind);
  event->set_from_user(from);
  event->set_to_user(to);
  event->set_note(note);
  event->set_at_ms(common::NowMs());
  fanout_->PushToUsers(std::move(to_users), std::move(frame), session.access_node_id(),
                       session.conn_id());
}

HandlerTask RelationHandlers::RequestFriend(internal::HandleRequest request, Reply reply) {
  const internal::SessionContext& session = request.session();
  const auto& req = request.frame().friend_request();
  if (req.note().size() > kMaxNoteBytes) {
    co_return reply(absl::InvalidArgumentError("the note is longer than 255 bytes"));
  }
  auto peer = co_await PeerNamed(*users_, session, req.peer(), "you cannot befriend yourself");
  if (!peer.ok()) co_return reply(peer.status());
  internal::RequestFriendRequest change;
  change.set_user_id(session.user_id());
  change.set_peer_id(peer->user_id());
  change.set_note(req.note());
  change.set_record_webhook_event(config_.RecordsWebhookEvents());
  auto r = co_await Call(storage_, &StorageApi::RequestFriend, std::move(change));
  if (!r.ok()) co_return reply(r.status());
  const std::string& name = peer->username();
  internal::HandleResponse response;
  auto* out = response.mutable_frame()->mutable_friend_request();
  switch (r->outcome()) {
    case internal::REQUESTED:
      Notify(session, {peer->user_id(), session.user_id()}, Event::REQUESTED, session.username(),
             name, req.note());
      break;
    case internal::ALREADY_PENDING:
      out->set_already_pending(true);
      break;
    case internal::BECAME_FRIENDS:
      out->set_became_friends(true);
      Notify(session, {peer->user_id(), session.user_id()}, Event::ACCEPTED, session.username(),
             name);
      break;
    case internal::ALREADY_FRIENDS:
      co_return reply(
          absl::AlreadyExistsError(common::StrCat("you are already friends with ", name)));
    case internal::BLOCKED_BY_PEER:
      co_return reply(absl::PermissionDeniedError(common::StrCat(name, " has blocked you")));
    case internal::PEER_BLOCKED:
      co_return reply(absl::FailedPreconditionError(
          common::StrCat("you have blocked ", name, "; unblock them first")));
    default:
      co_return reply(Unexpected(r->outcome()));
  }
  reply(std::move(response));
}

HandlerTask RelationHandlers::RespondFriend(internal::HandleRequest request, Reply reply) {
  const internal::SessionContext& session = request.session();
  const bool accept = request.frame().friend_respond().accept();
  auto peer = co_await PeerNamed(*users_, session, request.frame().friend_respond().peer(),
                                 "you cannot befriend yourself");
  if (!peer.ok()) co_return reply(peer.status());
  internal::RespondFriendRequest change;
  change.set_user_id(session.user_id());
  change.set_peer_id(peer->user_id());
  change.set_accept(accept);
  change.set_record_webhook_event(config_.RecordsWebhookEvents());
  auto r = co_await Call(storage_, &StorageApi::RespondFriend, std::move(change));
  if (!r.ok()) co_return reply(r.status());
  const std::string& name = peer->username();
  internal::HandleResponse response;
  auto* out = response.mutable_frame()->mutable_friend_respond();
  switch (r->outcome()) {
    case internal::ACCEPTED:
      Notify(session, {peer->user_id(), session.user_id()}, Event::ACCEPTED, session.username(),
             name);
      break;
    case internal::DECLINED:
      // The requester is not told; the decliner's other devices are.
      Notify(session, {session.user_id()}, Event::DECLINED, session.username(), name);
      break;
    case internal::ALREADY_FRIENDS:
      if (!accept) {
        co_return reply(absl::FailedPreconditionError(common::StrCat(
            "you are already friends with ", name, "; use friend remove to end it")));
      }
      out->set_already_done(true);
      break;
    case internal::ALREADY_DECLINED:
      if (accept) {
        co_return reply(absl::FailedPreconditionError(
            common::StrCat("you declined ", name, "'s request; they can send a new one")));
      }
      out->set_already_done(true);
      break;
    case internal::REQUEST_WITHDRAWN:
      co_return reply(
          absl::FailedPreconditionError(common::StrCat(name, " withdrew the friend request")));
    case internal::NO_REQUEST:
      co_return reply(
          absl::FailedPreconditionError(common::StrCat("there is no friend request from ", name)));
    default:
      co_return reply(Unexpected(r->outcome()));
  }
  reply(std::move(response));
}

HandlerTask RelationHandlers::ApplyPairChange(internal::HandleRequest request,
                                              std::string peer_name, const PairChange& change,
                                              Reply reply) {
  const internal::SessionContext& session = request.session();
  auto peer = co_await PeerNamed(*users_, session, peer_name, "you cannot befriend yourself");
  if (!peer.ok()) co_return reply(peer.status());
  internal::UserPair pair = Pair(session.user_id(), peer->user_id());
  pair.set_record_webhook_event(config_.RecordsWebhookEvents());
  auto r = co_await Call(storage_, change.call, std::move(pair));
  if (!r.ok()) co_return reply(r.status());
  if (r->outcome() == change.nothing) {
    co_return reply(absl::FailedPreconditionError(change.nothing_message(peer->username())));
  }
  if (r->outcome() != change.done) co_return reply(Unexpected(r->outcome()));
  Notify(session, {peer->user_id(), session.user_id()}, change.event, session.username(),
         peer->username());
  internal::HandleResponse response;
  (response.mutable_frame()->*change.answer)();
  reply(std::move(response));
}

void RelationHandlers::CancelRequest(const internal::HandleRequest& request, Reply reply) {
  static const PairChange kCancel{&StorageApi::CancelFriendRequest,
                                  internal::CANCELLED,
                                  internal::NO_REQUEST,
                                  [](const std::string& peer) {
                                    return common::StrCat("you have no pending request to ", peer);
                                  },
                                  Event::CANCELLED,
                                  &client::ServerFrame::mutable_friend_cancel};
  ApplyPairChange(request, request.frame().friend_cancel().peer(), kCancel, std::move(reply));
}

void RelationHandlers::RemoveFriend(const internal::HandleRequest& request, Reply reply) {
  static const PairChange kRemove{
      &StorageApi::RemoveFriend,
      internal::REMOVED,
      internal::NOT_FRIENDS,
      [](const std::string& peer) { return common::StrCat(peer, " is not your friend"); },
      Event::REMOVED,
      &client::ServerFrame::mutable_friend_remove};
  ApplyPairChange(request, request.frame().friend_remove().peer(), kRemove, std::move(reply));
}

HandlerTask RelationHandlers::ListFriends(internal::HandleRequest request, Reply reply) {
  const std::uint64_t user_id = request.session().user_id();
  auto friends = co_await Call(storage_, &StorageApi::ListFriends, Ref(user_id));
  if (!friends.ok()) co_return reply(friends.status());
  auto blocked = co_await Call(storage_, &StorageApi::ListBlocked, Ref(user_id));
  if (!blocked.ok()) co_return reply(blocked.status());
  std::set<std::uint64_t> blocked_ids;
  for (const auto& b : blocked->users()) blocked_ids.insert(b.user_id());
  internal::GetRoutesRequest lookup;  // one batched lookup for presence
  for (const auto& f : friends->friends()) lookup.add_user_ids(f.user_id());
  auto routes = co_await Call(storage_, &StorageApi::GetRoutes, std::move(lookup));
  if (!routes.ok()) co_return reply(routes.status());
  std::set<std::uint64_t> online;
  for (const auto& u : routes->users()) {
    if (u.routes_size() > 0) online.insert(u.user_id());
  }
  internal::HandleResponse response;
  auto* out = response.mutable_frame()->mutable_friend_list();
  for (const auto& f : friends->friends()) {
    auto* info = out->add_friends();
    info->set_user_id(f.user_id());
    info->set_username(f.username());
    info->set_since_ms(f.since_ms());
    info->set_online(online.count(f.user_id()) > 0);
    info->set_blocked(blocked_ids.count(f.user_id()) > 0);
  }
  reply(std::move(response));
}

HandlerTask RelationHandlers::ListPending(internal::HandleRequest request, Reply reply) {
  auto requests =
      co_await Call(storage_, &StorageApi::ListFriendRequests, Ref(request.session().user_id()));
  if (!requests.ok()) co_return reply(requests.status());
  internal::HandleResponse response;
  auto* out = response.mutable_frame()->mutable_friend_pending();
  for (auto [from, to] : {std::pair{&requests->incoming(), out->mutable_incoming()},
                          std::pair{&requests->outgoing(), out->mutable_outgoing()}}) {
    for (const auto& r : *from) {
      auto* p = to->Add();
      p->set_username(r.username());
      p->set_note(r.note());
      p->set_created_at_ms(r.created_at_ms());
    }
  }
  reply(std::move(response));
}

HandlerTask RelationHandlers::SetBlock(internal::HandleRequest request, Reply reply) {
  const internal::SessionContext& session = request.session();
  auto peer = co_await PeerNamed(*users_, session, request.frame().block_set().peer(),
                                 "you cannot block yourself");
  if (!peer.ok()) co_return reply(peer.status());
  internal::SetBlockRequest change;
  change.set_user_id(session.user_id());
  change.set_peer_id(peer->user_id());
  change.set_blocked(request.frame().block_set().blocked());
  change.set_record_webhook_event(config_.RecordsWebhookEvents());
  // The blocked user is not told.
  auto r = co_await Call(storage_, &StorageApi::SetBlock, std::move(change));
  if (!r.ok()) co_return reply(r.status());
  internal::HandleResponse response;
  response.mutable_frame()->mutable_block_set();
  reply(std::move(response));
}

HandlerTask RelationHandlers::ListBlocked(internal::HandleRequest request, Reply reply) {
  auto blocked =
      co_await Call(storage_, &StorageApi::ListBlocked, Ref(request.session().user_id()));
  if (!blocked.ok()) co_return reply(blocked.status());
  internal::HandleResponse response;
  auto* out = response.mutable_frame()->mutable_block_list();
  for (const auto& u : blocked->users()) out->add_usernames(u.username());
  reply(std::move(response));
}

HandlerTask RelationHandlers::SetPrivacy(internal::HandleRequest request, Reply reply) {
  const client::MessagePolicy policy = request.frame().privacy_set().messages();
  if (policy != client::MESSAGE_POLICY_EVERYONE && policy != client::MESSAGE_POLICY_FRIENDS) {
    co_return reply(absl::InvalidArgumentError("choose who may message you: everyone or friends"));
  }
  internal::SetMessagePolicyRequest change;
  change.set_user_id(request.session().user_id());
  change.set_policy(policy);
  auto r = co_await Call(storage_, &StorageApi::SetMessagePolicy, std::move(change));
  if (!r.ok()) co_return reply(r.status());
  internal::HandleResponse response;
  response.mutable_frame()->mutable_privacy_set()->set_messages(policy);
  reply(std::move(response));
}

}  // namespace im::logic
