#include "storage/message_store.h"

#include <algorithm>

#include "common/str_cat.h"
#include "common/clock.h"

namespace im::storage {
namespace {

constexpr std::int64_t kDirectConversation = 1;

// Looks up an earlier message by its client id. NOT_FOUND when there is none.
absl::StatusOr<internal::AppendMessageResponse> FindByClientId(MysqlConnection& conn,
                                                              std::uint64_t sender_id,
                                                              std::string_view client_msg_id) {
  auto found = conn.Execute(
      "SELECT msg_id, conv_id, seq, sent_at_ms FROM messages"
      " WHERE sender_id = ? AND client_msg_id = ?",
      {sender_id, client_msg_id});
  if (!found.ok()) return found.status();
  if (found->rows.empty()) return absl::NotFoundError("no such message");
  const SqlRow& row = found->rows[0];
  internal::AppendMessageResponse original;
  original.set_msg_id(row.U64(0));
  original.set_conv_id(row.U64(1));
  original.set_seq(row.U64(2));
  original.set_sent_at_ms(row.I64(3));
  original.set_duplicate(true);
  return original;
}

// Locks the direct conversation between two users, creating it (and its two
// member rows) on first use. Returns (conv_id, max_seq).
absl::StatusOr<std::pair<std::uint64_t, std::uint64_t>> LockDirectConversation(
    MysqlConnection& conn, std::uint64_t a, std::uint64_t b) {
  const std::string peer_key = common::StrCat(std::min(a, b), ":", std::max(a, b));
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto locked = conn.Execute(
        "SELECT conv_id, max_seq FROM conversations WHERE peer_key = ? FOR UPDATE", {peer_key});
    if (!locked.ok()) return locked.status();
    if (!locked->rows.empty()) {
      return std::make_pair(locked->rows[0].U64(0), locked->rows[0].U64(1));
    }
    auto created = conn.Execute(
        "INSERT INTO conversations (kind, peer_key, max_seq, created_at_ms) VALUES (?, ?, 0, ?)",
        {kDirectConversation, std::string_view(peer_key), common::NowMs()});
    if (created.status().code() == absl::StatusCode::kAlreadyExists) continue;  // lost a race
    if (!created.ok()) return created.status();
    const std::uint64_t conv_id = created->insert_id;
    auto members = conn.Execute(
        "INSERT INTO conversation_members (conv_id, user_id) VALUES (?, ?), (?, ?)",
        {conv_id, a, conv_id, b});
    if (!members.ok()) return members.status();
    return std::make_pair(conv_id, std::uint64_t{0});
  }
  return absl::AbortedError("conversation creation raced; retry");
}

}  // namespace

absl::StatusOr<internal::AppendMessageResponse> MessageStore::AppendDirect(
    std::uint64_t sender_id, std::uint64_t recipient_id, std::string_view client_msg_id,
    std::string_view text) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  const SqlParam client_id =
      client_msg_id.empty() ? SqlParam(nullptr) : SqlParam(client_msg_id);

  internal::AppendMessageResponse stored;
  absl::Status status = RunTransaction(**conn, [&]() -> absl::Status {
    if (!client_msg_id.empty()) {
      auto original = FindByClientId(**conn, sender_id, client_msg_id);
      if (original.ok()) {
        stored = *original;
        return absl::OkStatus();
      }
      if (original.status().code() != absl::StatusCode::kNotFound) return original.status();
    }
    auto conversation = LockDirectConversation(**conn, sender_id, recipient_id);
    if (!conversation.ok()) return conversation.status();
    const auto [conv_id, max_seq] = *conversation;
    const std::uint64_t seq = max_seq + 1;
    const std::int64_t now = common::NowMs();
    auto bumped = (*conn)->Execute("UPDATE conversations SET max_seq = ? WHERE conv_id = ?",
                                   {seq, conv_id});
    if (!bumped.ok()) return bumped.status();
    auto inserted = (*conn)->Execute(
        "INSERT INTO messages (conv_id, seq, sender_id, client_msg_id, body, sent_at_ms)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        {conv_id, seq, sender_id, client_id, text, now});
    // A concurrent resend of the same client id committed first: the caller
    // retries and finds it.
    if (inserted.status().code() == absl::StatusCode::kAlreadyExists) {
      return absl::AbortedError("concurrent resend");
    }
    if (!inserted.ok()) return inserted.status();
    stored.set_msg_id(inserted->insert_id);
    stored.set_conv_id(conv_id);
    stored.set_seq(seq);
    stored.set_sent_at_ms(now);
    stored.set_duplicate(false);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return stored;
}

}  // namespace im::storage
