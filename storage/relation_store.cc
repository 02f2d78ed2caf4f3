#include "storage/relation_store.h"

#include <algorithm>
#include <cctype>

#include "common/clock.h"
#include "storage/webhook_outbox_store.h"

namespace im::storage {
namespace {

enum RequestState : std::int64_t { kPending = 1, kAccepted = 2, kDeclined = 3, kWithdrawn = 4 };

using internal::RelationOutcome;

// Whether a row exists for `sql` with two id parameters.
absl::StatusOr<bool> Exists(MysqlConnection& conn, std::string_view sql, std::uint64_t a,
                            std::uint64_t b) {
  auto result = conn.Execute(sql, {a, b});
  if (!result.ok()) return result.status();
  return !result->rows.empty();
}

absl::StatusOr<bool> AreFriends(MysqlConnection& conn, std::uint64_t a, std::uint64_t b) {
  return Exists(conn, "SELECT 1 FROM friendships WHERE user_id = ? AND friend_id = ?", a, b);
}

absl::StatusOr<bool> HasBlocked(MysqlConnection& conn, std::uint64_t user, std::uint64_t peer) {
  return Exists(conn, "SELECT 1 FROM blocks WHERE user_id = ? AND blocked_id = ?", user, peer);
}

// The state of the request from -> to, or 0 if there is none.
absl::StatusOr<std::int64_t> RequestStateOf(MysqlConnection& conn, std::uint64_t from,
                                            std::uint64_t to) {
  auto result = conn.Execute(
      "SELECT state FROM friend_requests WHERE from_user = ? AND to_user = ?", {from, to});
  if (!result.ok()) return result.status();
  return result->rows.empty() ? 0 : result->rows[0].I64(0);
}

absl::Status SetRequestState(MysqlConnection& conn, std::uint64_t from, std::uint64_t to,
                             std::int64_t state) {
  return conn
      .Execute(
          "UPDATE friend_requests SET state = ?, updated_at_ms = ?"
          " WHERE from_user = ? AND to_user = ?",
          {state, common::NowMs(), from, to})
      .status();
}

absl::Status MakeFriends(MysqlConnection& conn, std::uint64_t a, std::uint64_t b) {
  const std::int64_t now = common::NowMs();
  return conn
      .Execute(
          "INSERT IGNORE INTO friendships (user_id, friend_id, created_at_ms)"
          " VALUES (?, ?, ?), (?, ?, ?)",
          {a, b, now, b, a, now})
      .status();
}

// Outcomes that changed something who-may-message-whom depends on.
bool ChangesRelation(RelationOutcome outcome) {
  switch (outcome) {
    case internal::BECAME_FRIENDS:
    case internal::ACCEPTED:
    case internal::REMOVED:
    case internal::BLOCKED:
    case internal::UNBLOCKED:
      return true;
    default:
      return false;
  }
}

// Outcomes that changed something, for the webhook: their names in lower case.
bool IsEvent(RelationOutcome outcome) {
  return ChangesRelation(outcome) || outcome == internal::REQUESTED ||
         outcome == internal::DECLINED || outcome == internal::CANCELLED;
}

}  // namespace

template <typename Change>
absl::StatusOr<RelationOutcome> RelationStore::ChangePair(std::uint64_t user, std::uint64_t peer,
                                                          Change change, bool record_event,
                                                          std::string_view note) {
  if (user == peer) return absl::InvalidArgumentError("a relation needs two different users");
  auto lease = pool_->Acquire();
  if (!lease.ok()) return lease.status();
  MysqlConnection& conn = **lease;
  RelationOutcome outcome = internal::OUTCOME_UNSET;
  absl::Status status = RunTransaction(conn, [&]() -> absl::Status {
    auto locked = conn.Execute(
        "SELECT user_id, username FROM users WHERE user_id IN (?, ?) ORDER BY user_id FOR UPDATE",
        {std::min(user, peer), std::max(user, peer)});
    if (!locked.ok()) return locked.status();
    if (locked->rows.size() != 2) return absl::NotFoundError("no such user");
    auto result = change(conn);
    if (!result.ok()) return result.status();
    outcome = *result;
    if (record_event && IsEvent(outcome)) {
      internal::OutboxEvent event;
      event.set_type("relation.changed");
      auto* relation = event.mutable_relation();
      std::string change_name = internal::RelationOutcome_Name(outcome);
      for (char& c : change_name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      relation->set_change(change_name);
      relation->set_user_id(user);
      relation->set_peer_id(peer);
      for (const SqlRow& row : locked->rows) {
        (row.U64(0) == user ? relation->mutable_user() : relation->mutable_peer())->assign(row.Str(1));
      }
      if (outcome == internal::REQUESTED) relation->set_note(std::string(note));
      if (auto s = WebhookOutboxStore::RecordInTransaction(conn, {&event}); !s.ok()) return s;
    }
    if (!ChangesRelation(outcome)) return absl::OkStatus();
    return conn
        .Execute(
            "UPDATE users SET relation_version = relation_version + 1"
            " WHERE user_id IN (?, ?)",
            {user, peer})
        .status();
  });
  if (!status.ok()) return status;
  return outcome;
}

absl::StatusOr<RelationOutcome> RelationStore::RequestFriend(std::uint64_t user, std::uint64_t peer,
                                                             std::string_view note,
                                                             bool record_event) {
  return ChangePair(user, peer, [&](MysqlConnection& conn) -> absl::StatusOr<RelationOutcome> {
    auto blocked_by_peer = HasBlocked(conn, peer, user);
    if (!blocked_by_peer.ok()) return blocked_by_peer.status();
    if (*blocked_by_peer) return internal::BLOCKED_BY_PEER;
    auto peer_blocked = HasBlocked(conn, user, peer);
    if (!peer_blocked.ok()) return peer_blocked.status();
    if (*peer_blocked) return internal::PEER_BLOCKED;
    auto friends = AreFriends(conn, user, peer);
    if (!friends.ok()) return friends.status();
    if (*friends) return internal::ALREADY_FRIENDS;

    auto reverse = RequestStateOf(conn, peer, user);
    if (!reverse.ok()) return reverse.status();
    if (*reverse == kPending) {  // they asked first: both want it
      if (auto s = SetRequestState(conn, peer, user, kAccepted); !s.ok()) return s;
      if (auto s = MakeFriends(conn, user, peer); !s.ok()) return s;
      return internal::BECAME_FRIENDS;
    }
    auto own = RequestStateOf(conn, user, peer);
    if (!own.ok()) return own.status();
    if (*own == kPending) return internal::ALREADY_PENDING;
    const std::int64_t now = common::NowMs();
    auto stored = conn.Execute(
        "INSERT INTO friend_requests (from_user, to_user, state, note, created_at_ms, "
        "updated_at_ms)"
        " VALUES (?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE state = VALUES(state),"
        " note = VALUES(note), created_at_ms = VALUES(created_at_ms),"
        " updated_at_ms = VALUES(updated_at_ms)",
        {user, peer, std::int64_t{kPending}, note, now, now});
    if (!stored.ok()) return stored.status();
    return internal::REQUESTED;
  }, record_event, note);
}

absl::StatusOr<RelationOutcome> RelationStore::RespondFriend(std::uint64_t user, std::uint64_t peer,
                                                             bool accept, bool record_event) {
  return ChangePair(user, peer, [&](MysqlConnection& conn) -> absl::StatusOr<RelationOutcome> {
    auto state = RequestStateOf(conn, peer, user);
    if (!state.ok()) return state.status();
    auto friends = AreFriends(conn, user, peer);
    if (!friends.ok()) return friends.status();
    switch (*state) {
      case kPending:
        if (!accept) {
          if (auto s = SetRequestState(conn, peer, user, kDeclined); !s.ok()) return s;
          return internal::DECLINED;
        }
        if (auto s = SetRequestState(conn, peer, user, kAccepted); !s.ok()) return s;
        if (auto s = MakeFriends(conn, user, peer); !s.ok()) return s;
        return internal::ACCEPTED;
      case kAccepted:
        return *friends ? internal::ALREADY_FRIENDS : internal::NO_REQUEST;
      case kDeclined:
        return internal::ALREADY_DECLINED;
      case kWithdrawn:
        return internal::REQUEST_WITHDRAWN;
      default:
        return *friends ? internal::ALREADY_FRIENDS : internal::NO_REQUEST;
    }
  }, record_event);
}

absl::StatusOr<RelationOutcome> RelationStore::CancelRequest(std::uint64_t user,
                                                             std::uint64_t peer,
                                                             bool record_event) {
  return ChangePair(user, peer, [&](MysqlConnection& conn) -> absl::StatusOr<RelationOutcome> {
    auto state = RequestStateOf(conn, user, peer);
    if (!state.ok()) return state.status();
    if (*state != kPending) return internal::NO_REQUEST;
    if (auto s = SetRequestState(conn, user, peer, kWithdrawn); !s.ok()) return s;
    return internal::CANCELLED;
  }, record_event);
}

absl::StatusOr<RelationOutcome> RelationStore::RemoveFriend(std::uint64_t user,
                                                            std::uint64_t peer,
                                                            bool record_event) {
  return ChangePair(user, peer, [&](MysqlConnection& conn) -> absl::StatusOr<RelationOutcome> {
    auto removed = conn.Execute(
        "DELETE FROM friendships WHERE (user_id = ? AND friend_id = ?)"
        " OR (user_id = ? AND friend_id = ?)",
        {user, peer, peer, user});
    if (!removed.ok()) return removed.status();
    return removed->affected_rows > 0 ? internal::REMOVED : internal::NOT_FRIENDS;
  }, record_event);
}

absl::StatusOr<RelationOutcome> RelationStore::SetBlock(std::uint64_t user, std::uint64_t peer,
                                                        bool blocked, bool record_event) {
  return ChangePair(user, peer, [&](MysqlConnection& conn) -> absl::StatusOr<RelationOutcome> {
    auto changed = blocked ? conn.Execute(
                                 "INSERT IGNORE INTO blocks (user_id, blocked_id, created_at_ms)"
                                 " VALUES (?, ?, ?)",
                                 {user, peer, common::NowMs()})
                           : conn.Execute("DELETE FROM blocks WHERE user_id = ? AND blocked_id = ?",
                                          {user, peer});
    if (!changed.ok()) return changed.status();
    if (changed->affected_rows == 0) return internal::UNCHANGED;
    return blocked ? internal::BLOCKED : internal::UNBLOCKED;
  }, record_event);
}

absl::Status RelationStore::SetMessagePolicy(std::uint64_t user, int policy) {
  auto lease = pool_->Acquire();
  if (!lease.ok()) return lease.status();
  auto updated = (*lease)->Execute(
      "UPDATE users SET message_policy = ?, relation_version = relation_version + 1"
      " WHERE user_id = ?",
      {static_cast<std::int64_t>(policy), user});
  if (!updated.ok()) return updated.status();
  return absl::OkStatus();
}

absl::StatusOr<internal::ListFriendsResponse> RelationStore::ListFriends(std::uint64_t user) {
  auto lease = pool_->Acquire();
  if (!lease.ok()) return lease.status();
  auto rows = (*lease)->Execute(
      "SELECT u.user_id, u.username, f.created_at_ms FROM friendships f"
      " JOIN users u ON u.user_id = f.friend_id WHERE f.user_id = ? ORDER BY u.username",
      {user});
  if (!rows.ok()) return rows.status();
  internal::ListFriendsResponse response;
  for (const auto& row : rows->rows) {
    auto* f = response.add_friends();
    f->set_user_id(row.U64(0));
    f->set_username(row.Str(1));
    f->set_since_ms(row.I64(2));
  }
  return response;
}

absl::StatusOr<internal::ListFriendRequestsResponse> RelationStore::ListRequests(
    std::uint64_t user) {
  auto lease = pool_->Acquire();
  if (!lease.ok()) return lease.status();
  internal::ListFriendRequestsResponse response;
  auto incoming = (*lease)->Execute(
      "SELECT u.user_id, u.username, r.note, r.created_at_ms FROM friend_requests r"
      " JOIN users u ON u.user_id = r.from_user WHERE r.to_user = ? AND r.state = ?"
      " ORDER BY r.created_at_ms",
      {user, std::int64_t{kPending}});
  if (!incoming.ok()) return incoming.status();
  auto outgoing = (*lease)->Execute(
      "SELECT u.user_id, u.username, r.note, r.created_at_ms FROM friend_requests r"
      " JOIN users u ON u.user_id = r.to_user WHERE r.from_user = ? AND r.state = ?"
      " ORDER BY r.created_at_ms",
      {user, std::int64_t{kPending}});
  if (!outgoing.ok()) return outgoing.status();
  for (auto [rows, list] : {std::pair{&incoming->rows, response.mutable_incoming()},
                            std::pair{&outgoing->rows, response.mutable_outgoing()}}) {
    for (const auto& row : *rows) {
      auto* r = list->Add();
      r->set_user_id(row.U64(0));
      r->set_username(row.Str(1));
      r->set_note(row.Str(2));
      r->set_created_at_ms(row.I64(3));
    }
  }
  return response;
}

absl::StatusOr<internal::ListBlockedResponse> RelationStore::ListBlocked(std::uint64_t user) {
  auto lease = pool_->Acquire();
  if (!lease.ok()) return lease.status();
  auto rows = (*lease)->Execute(
      "SELECT u.user_id, u.username, b.created_at_ms FROM blocks b"
      " JOIN users u ON u.user_id = b.blocked_id WHERE b.user_id = ? ORDER BY u.username",
      {user});
  if (!rows.ok()) return rows.status();
  internal::ListBlockedResponse response;
  for (const auto& row : rows->rows) {
    auto* u = response.add_users();
    u->set_user_id(row.U64(0));
    u->set_username(row.Str(1));
    u->set_since_ms(row.I64(2));
  }
  return response;
}

absl::StatusOr<internal::Relation> RelationStore::GetRelation(std::uint64_t user,
                                                              std::uint64_t peer) {
  auto lease = pool_->Acquire();
  if (!lease.ok()) return lease.status();
  auto rows = (*lease)->Execute(
      "SELECT me.relation_version, them.relation_version, them.message_policy,"
      " EXISTS(SELECT 1 FROM friendships WHERE user_id = me.user_id AND friend_id = them.user_id),"
      " EXISTS(SELECT 1 FROM blocks WHERE user_id = me.user_id AND blocked_id = them.user_id),"
      " EXISTS(SELECT 1 FROM blocks WHERE user_id = them.user_id AND blocked_id = me.user_id)"
      " FROM users me JOIN users them ON them.user_id = ? WHERE me.user_id = ?",
      {peer, user});
  if (!rows.ok()) return rows.status();
  if (rows->rows.empty()) return absl::NotFoundError("no such user");
  const SqlRow& row = rows->rows[0];
  internal::Relation relation;
  relation.set_user_version(row.U64(0));
  relation.set_peer_version(row.U64(1));
  relation.set_peer_message_policy(static_cast<int>(row.I64(2)));
  relation.set_friends(row.I64(3) != 0);
  relation.set_user_blocked_peer(row.I64(4) != 0);
  relation.set_peer_blocked_user(row.I64(5) != 0);
  return relation;
}

}  // namespace im::storage
