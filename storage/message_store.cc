#include "storage/message_store.h"

#include <algorithm>

#include "common/clock.h"
#include "common/str_cat.h"
#include "storage/conversation_append.h"
#include "storage/direct_conversation.h"
#include "storage/group_membership.h"
#include "storage/group_rules.h"

namespace im::storage {
namespace {

constexpr std::int64_t kDirectConversation = 1;
constexpr std::int64_t kGroupConversation = 2;

// One send as its resends are recognised by: the sender's client id, where
// it goes (a direct conversation's peer key, or a group id) and its content.
struct SendKey {
  std::uint64_t sender_id;
  std::string_view client_msg_id;
  std::string_view peer_key;   // 1:1
  std::uint64_t group_id = 0;  // group
  std::string_view kind;
  std::string_view body;
};

// Looks up an earlier message by its client id. NOT_FOUND when there is none,
// ALREADY_EXISTS when it holds different content than this send.
// A locking read sees the latest committed rows, not the transaction's snapshot.
absl::StatusOr<internal::AppendMessageResponse> FindByClientId(MysqlConnection& conn,
                                                               const SendKey& send, bool locking) {
  auto found = conn.Execute(
      locking ? "SELECT m.msg_id, m.conv_id, m.seq, m.sent_at_ms, COALESCE(c.peer_key, ''),"
                " m.kind, m.body FROM messages m JOIN conversations c ON c.conv_id = m.conv_id"
                " WHERE m.sender_id = ? AND m.client_msg_id = ? LOCK IN SHARE MODE"
              : "SELECT m.msg_id, m.conv_id, m.seq, m.sent_at_ms, COALESCE(c.peer_key, ''),"
                " m.kind, m.body FROM messages m JOIN conversations c ON c.conv_id = m.conv_id"
                " WHERE m.sender_id = ? AND m.client_msg_id = ?",
      {send.sender_id, send.client_msg_id});
  if (!found.ok()) return found.status();
  if (found->rows.empty()) return absl::NotFoundError("no such message");
  const SqlRow& row = found->rows[0];
  // A recalled original has lost its body; it still counts as the same send.
  const bool same_destination =
      send.group_id != 0 ? row.U64(1) == send.group_id : row.Str(4) == send.peer_key;
  if (!same_destination || row.Str(5) != send.kind ||
      (row.Str(6) != send.body && !row.Str(6).empty())) {
    return absl::AlreadyExistsError("client_msg_id was already used for a different message");
  }
  internal::AppendMessageResponse original;
  original.set_msg_id(row.U64(0));
  original.set_conv_id(row.U64(1));
  original.set_seq(row.U64(2));
  original.set_sent_at_ms(row.I64(3));
  original.set_duplicate(true);
  return original;
}

// For a send with a client id: true and the stored original if it is a
// resend, false if it is new.
absl::StatusOr<bool> FoundResend(MysqlConnection& conn, const SendKey& send,
                                 internal::AppendMessageResponse* stored) {
  if (send.client_msg_id.empty()) return false;
  auto original = FindByClientId(conn, send, /*locking=*/false);
  if (original.status().code() == absl::StatusCode::kNotFound) return false;
  if (!original.ok()) return original.status();
  *stored = std::move(*original);
  return true;
}

// Creates the direct conversation between two users and its member rows if
// missing. Runs outside the append transaction (each statement commits on its
// own) so racing creators never deadlock; re-running it repairs a half-made one.
absl::Status EnsureDirectConversation(MysqlConnection& conn, std::uint64_t a, std::uint64_t b) {
  const std::string peer_key = DirectPeerKey(a, b);
  auto created = conn.Execute(
      "INSERT IGNORE INTO conversations (kind, peer_key, max_seq, created_at_ms)"
      " VALUES (?, ?, 0, ?)",
      {kDirectConversation, std::string_view(peer_key), common::NowMs()});
  if (!created.ok()) return created.status();
  auto found = conn.Execute("SELECT conv_id FROM conversations WHERE peer_key = ?", {peer_key});
  if (!found.ok()) return found.status();
  if (found->rows.empty()) return absl::InternalError("conversation vanished after creation");
  const std::uint64_t conv_id = found->rows[0].U64(0);
  return conn
      .Execute("INSERT IGNORE INTO conversation_members (conv_id, user_id) VALUES (?, ?), (?, ?)",
               {conv_id, a, conv_id, b})
      .status();
}

// Share-locks both users' rows (in id order, like relationship changes, which
// take them exclusively) and compares their relation versions.
absl::Status CheckRelationVersions(MysqlConnection& conn, std::uint64_t sender_id,
                                   std::uint64_t recipient_id,
                                   const RelationPrecondition& expected) {
  auto rows = conn.Execute(
      "SELECT user_id, relation_version FROM users WHERE user_id IN (?, ?)"
      " ORDER BY user_id LOCK IN SHARE MODE",
      {std::min(sender_id, recipient_id), std::max(sender_id, recipient_id)});
  if (!rows.ok()) return rows.status();
  if (rows->rows.size() != 2) return absl::NotFoundError("no such user");
  for (const SqlRow& row : rows->rows) {
    const std::uint64_t want =
        row.U64(0) == sender_id ? expected.sender_version : expected.recipient_version;
    if (row.U64(1) != want) return absl::FailedPreconditionError("relation changed");
  }
  return absl::OkStatus();
}

// The end of an append: the stored message, or, when a concurrent send with
// the same client id committed first (nothing was changed here), that original.
absl::Status Settle(MysqlConnection& conn, absl::StatusOr<internal::AppendMessageResponse> inserted,
                    const SendKey& send, internal::AppendMessageResponse* stored) {
  if (inserted.status().code() == absl::StatusCode::kAlreadyExists) {
    inserted = FindByClientId(conn, send, /*locking=*/true);
  }
  if (!inserted.ok()) return inserted.status();
  *stored = std::move(*inserted);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<internal::AppendMessageResponse> MessageStore::AppendDirect(
    std::uint64_t sender_id, std::uint64_t recipient_id, std::string_view client_msg_id,
    std::string_view body, std::optional<RelationPrecondition> precondition,
    std::string_view kind) {
  auto lease = pool_->Acquire();
  if (!lease.ok()) return lease.status();
  MysqlConnection& conn = **lease;
  const std::string peer_key = DirectPeerKey(sender_id, recipient_id);
  const SqlParam client_id = client_msg_id.empty() ? SqlParam(nullptr) : SqlParam(client_msg_id);

  const SendKey send{sender_id, client_msg_id, peer_key, 0, kind, body};
  internal::AppendMessageResponse stored;
  bool conversation_missing = false;
  auto append = [&]() -> absl::Status {
    conversation_missing = false;
    auto resend = FoundResend(conn, send, &stored);
    if (!resend.ok() || *resend) return resend.status();
    if (precondition) {
      if (auto s = CheckRelationVersions(conn, sender_id, recipient_id, *precondition); !s.ok()) {
        return s;
      }
    }
    // The conversation row lock serialises appends to one conversation.
    auto locked = conn.Execute(
        "SELECT conv_id, max_seq FROM conversations WHERE peer_key = ? FOR UPDATE", {peer_key});
    if (!locked.ok()) return locked.status();
    if (locked->rows.empty()) {
      conversation_missing = true;
      return absl::NotFoundError("conversation does not exist yet");
    }
    auto inserted = InsertNextMessage(conn, locked->rows[0].U64(0), locked->rows[0].U64(1),
                                      NewMessage{sender_id, client_id, kind, body});
    return Settle(conn, std::move(inserted), send, &stored);
  };

  absl::Status status = RunTransaction(conn, append, /*attempts=*/5);
  if (conversation_missing) {
    if (auto s = EnsureDirectConversation(conn, sender_id, recipient_id); !s.ok()) return s;
    status = RunTransaction(conn, append, /*attempts=*/5);
  }
  if (!status.ok()) return status;
  return stored;
}

absl::StatusOr<internal::AppendMessageResponse> MessageStore::AppendGroup(
    std::uint64_t sender_id, std::uint64_t group_id, std::string_view client_msg_id,
    std::string_view body, std::string_view kind) {
  auto lease = pool_->Acquire();
  if (!lease.ok()) return lease.status();
  MysqlConnection& conn = **lease;
  const SqlParam client_id = client_msg_id.empty() ? SqlParam(nullptr) : SqlParam(client_msg_id);
  const SendKey send{sender_id, client_msg_id, {}, group_id, kind, body};
  internal::AppendMessageResponse stored;
  auto append = [&]() -> absl::Status {
    auto resend = FoundResend(conn, send, &stored);
    if (!resend.ok() || *resend) return resend.status();
    // Locks the group: membership, mute and mute-all hold until commit.
    auto view = RequireMember(conn, group_id, sender_id, /*lock=*/true);
    if (!view.ok()) return view.status();
    if (auto s = MaySend(view->member.role, view->member.muted_until_ms, view->group.mute_all,
                         common::NowMs());
        !s.ok()) {
      return s;
    }
    auto inserted = InsertNextMessage(conn, group_id, view->group.max_seq,
                                      NewMessage{sender_id, client_id, kind, body});
    if (auto s = Settle(conn, std::move(inserted), send, &stored); !s.ok()) return s;
    stored.set_member_count(view->group.member_count);
    return absl::OkStatus();
  };
  if (auto s = RunTransaction(conn, append, /*attempts=*/5); !s.ok()) return s;
  return stored;
}

absl::StatusOr<internal::RecallMessageResponse> MessageStore::Recall(std::uint64_t user_id,
                                                                     std::uint64_t msg_id,
                                                                     std::int64_t window_ms) {
  auto lease = pool_->Acquire();
  if (!lease.ok()) return lease.status();
  MysqlConnection& conn = **lease;
  auto found = conn.Execute(
      "SELECT m.conv_id, m.seq, m.sender_id, m.sent_at_ms, c.kind FROM messages m"
      " JOIN conversations c ON c.conv_id = m.conv_id"
      " JOIN conversation_members cm ON cm.conv_id = m.conv_id AND cm.user_id = ?"
      "  AND m.seq > cm.visible_after_seq AND (c.kind = 1 OR cm.visible_until_seq IS NULL)"
      " WHERE m.msg_id = ?",
      {user_id, msg_id});
  if (!found.ok()) return found.status();
  if (found->rows.empty()) return absl::NotFoundError("no such message");
  const SqlRow& row = found->rows[0];
  if (row.U64(2) != user_id) {
    return absl::PermissionDeniedError("only the sender can recall a message");
  }
  if (common::NowMs() - row.I64(3) > window_ms) {
    return absl::FailedPreconditionError(common::StrCat(
        "messages can be recalled for ", window_ms / 1000, " seconds after sending"));
  }
  auto recalled =
      conn.Execute("UPDATE messages SET recalled = 1, body = '' WHERE msg_id = ?", {msg_id});
  if (!recalled.ok()) return recalled.status();
  internal::RecallMessageResponse response;
  response.set_conv_id(row.U64(0));
  response.set_seq(row.U64(1));
  if (row.I64(4) == kGroupConversation) {
    response.set_group_id(row.U64(0));
    return response;
  }
  auto members =
      conn.Execute("SELECT user_id FROM conversation_members WHERE conv_id = ?", {row.U64(0)});
  if (!members.ok()) return members.status();
  for (const auto& m : members->rows) response.add_member_ids(m.U64(0));
  return response;
}

}  // namespace im::storage
