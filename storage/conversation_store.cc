#include "storage/conversation_store.h"

#include <algorithm>
#include <limits>

#include "common/str_cat.h"
#include "storage/direct_conversation.h"

namespace im::storage {
namespace {

// The columns ReadMessage expects, and the joins they need (`m` is messages).
// The recipient of a 1:1 message is the conversation's other member.
constexpr std::string_view kMessageColumns =
    "m.msg_id, m.conv_id, m.seq, m.sender_id, s.username, COALESCE(ru.username, ''),"
    " m.body, m.sent_at_ms, m.kind, m.recalled";
constexpr std::string_view kMessageJoins =
    " JOIN users s ON s.user_id = m.sender_id"
    " LEFT JOIN conversation_members rm ON rm.conv_id = m.conv_id AND rm.user_id <> m.sender_id"
    " LEFT JOIN users ru ON ru.user_id = rm.user_id";
constexpr std::size_t kMessageColumnCount = 10;

void ReadMessage(const SqlRow& row, std::size_t at, client::ChatMessage* m) {
  m->set_msg_id(row.U64(at));
  m->set_conv_id(row.U64(at + 1));
  m->set_seq(row.U64(at + 2));
  m->set_sender_id(row.U64(at + 3));
  m->set_sender(row.Str(at + 4));
  m->set_recipient(row.Str(at + 5));
  m->set_sent_at_ms(row.I64(at + 7));
  m->set_kind(row.Str(at + 8));
  m->set_recalled(row.I64(at + 9) != 0);
  if (m->recalled()) return;
  if (m->kind() == "text") {
    m->set_text(row.Str(at + 6));
  } else {
    m->set_payload(row.Str(at + 6));
  }
}

std::uint32_t ClampPage(std::uint32_t limit) {
  return std::clamp<std::uint32_t>(limit == 0 ? 100 : limit, 1, kMaxPageSize);
}

// The direct conversation's id and max_seq, NOT_FOUND if there is none.
absl::StatusOr<std::pair<std::uint64_t, std::uint64_t>> FindDirect(MysqlConnection& conn,
                                                                   std::uint64_t a,
                                                                   std::uint64_t b) {
  const std::string key = DirectPeerKey(a, b);
  auto found = conn.Execute("SELECT conv_id, max_seq FROM conversations WHERE peer_key = ?",
                            {std::string_view(key)});
  if (!found.ok()) return found.status();
  if (found->rows.empty()) return absl::NotFoundError("no conversation yet");
  return std::make_pair(found->rows[0].U64(0), found->rows[0].U64(1));
}

}  // namespace

absl::StatusOr<internal::MessagePage> ConversationStore::Sync(std::uint64_t user_id,
                                                              std::string_view device_id,
                                                              std::uint32_t limit) {
  auto lease = pool_->Acquire();
  if (!lease.ok()) return lease.status();
  const std::uint32_t page = ClampPage(limit);
  // One row more than the page tells whether there is more.
  static const std::string sql = common::StrCat(
      "SELECT ", kMessageColumns,
      " FROM conversation_members cm"
      " JOIN conversations c ON c.conv_id = cm.conv_id"
      " LEFT JOIN device_cursors d ON d.user_id = cm.user_id AND d.device_id = ?"
      "  AND d.conv_id = cm.conv_id"
      " JOIN messages m ON m.conv_id = cm.conv_id AND m.seq > COALESCE(d.acked_seq, 0)",
      kMessageJoins,
      " WHERE cm.user_id = ? AND c.max_seq > COALESCE(d.acked_seq, 0)"
      " ORDER BY m.conv_id, m.seq LIMIT ?");
  auto rows = (*lease)->Execute(sql, {device_id, user_id, std::uint64_t{page} + 1});
  if (!rows.ok()) return rows.status();
  internal::MessagePage result;
  for (std::size_t i = 0; i < rows->rows.size() && i < page; ++i) {
    ReadMessage(rows->rows[i], 0, result.add_messages());
  }
  result.set_more(rows->rows.size() > page);
  return result;
}

absl::Status ConversationStore::Ack(std::uint64_t user_id, std::string_view device_id,
                                    const std::vector<client::ConversationAck>& acks) {
  auto lease = pool_->Acquire();
  if (!lease.ok()) return lease.status();
  for (const auto& ack : acks) {
    auto stored = (*lease)->Execute(
        "INSERT INTO device_cursors (user_id, device_id, conv_id, acked_seq)"
        " SELECT cm.user_id, ?, cm.conv_id, LEAST(?, c.max_seq) FROM conversation_members cm"
        " JOIN conversations c ON c.conv_id = cm.conv_id WHERE cm.user_id = ? AND cm.conv_id = ?"
        " ON DUPLICATE KEY UPDATE acked_seq = GREATEST(acked_seq, VALUES(acked_seq))",
        {device_id, ack.seq(), user_id, ack.conv_id()});
    if (!stored.ok()) return stored.status();
  }
  return absl::OkStatus();
}

absl::StatusOr<internal::ListConversationsResponse> ConversationStore::List(std::uint64_t user_id) {
  auto lease = pool_->Acquire();
  if (!lease.ok()) return lease.status();
  static const std::string sql = common::StrCat(
      "SELECT c.conv_id, COALESCE(pu.username, ''), c.max_seq, cm.read_seq, ", kMessageColumns,
      " FROM conversation_members cm"
      " JOIN conversations c ON c.conv_id = cm.conv_id"
      " LEFT JOIN conversation_members pm ON pm.conv_id = c.conv_id AND pm.user_id <> cm.user_id"
      " LEFT JOIN users pu ON pu.user_id = pm.user_id"
      " JOIN messages m ON m.conv_id = c.conv_id AND m.seq = c.max_seq",
      kMessageJoins, " WHERE cm.user_id = ? ORDER BY m.sent_at_ms DESC, c.conv_id DESC");
  auto rows = (*lease)->Execute(sql, {user_id});
  if (!rows.ok()) return rows.status();
  internal::ListConversationsResponse response;
  for (const auto& row : rows->rows) {
    auto* summary = response.add_conversations();
    summary->set_conv_id(row.U64(0));
    summary->set_peer(row.Str(1));
    summary->set_max_seq(row.U64(2));
    summary->set_read_seq(row.U64(3));
    summary->set_unread(summary->max_seq() - std::min(summary->read_seq(), summary->max_seq()));
    ReadMessage(row, 4, summary->mutable_last_message());
  }
  return response;
}

absl::StatusOr<internal::MessagePage> ConversationStore::DirectHistory(std::uint64_t user_id,
                                                                       std::uint64_t peer_id,
                                                                       std::uint64_t before_seq,
                                                                       std::uint32_t limit) {
  auto lease = pool_->Acquire();
  if (!lease.ok()) return lease.status();
  auto conversation = FindDirect(**lease, user_id, peer_id);
  if (!conversation.ok()) return conversation.status();
  const std::uint32_t page = ClampPage(limit);
  static const std::string sql =
      common::StrCat("SELECT ", kMessageColumns, " FROM messages m", kMessageJoins,
                     " WHERE m.conv_id = ? AND m.seq < ? ORDER BY m.seq DESC LIMIT ?");
  const std::uint64_t before =
      before_seq == 0 ? std::numeric_limits<std::uint64_t>::max() : before_seq;
  auto rows = (*lease)->Execute(sql, {conversation->first, before, std::uint64_t{page} + 1});
  if (!rows.ok()) return rows.status();
  internal::MessagePage result;
  const std::size_t n = std::min<std::size_t>(rows->rows.size(), page);
  for (std::size_t i = n; i-- > 0;) ReadMessage(rows->rows[i], 0, result.add_messages());
  result.set_more(rows->rows.size() > page);
  return result;
}

absl::StatusOr<internal::MarkReadResult> ConversationStore::MarkDirectRead(std::uint64_t user_id,
                                                                           std::uint64_t peer_id,
                                                                           std::uint64_t seq) {
  auto lease = pool_->Acquire();
  if (!lease.ok()) return lease.status();
  auto conversation = FindDirect(**lease, user_id, peer_id);
  if (!conversation.ok()) return conversation.status();
  const auto [conv_id, max_seq] = *conversation;
  const std::uint64_t target = seq == 0 ? max_seq : std::min(seq, max_seq);
  auto updated = (*lease)->Execute(
      "UPDATE conversation_members SET read_seq = GREATEST(read_seq, ?)"
      " WHERE conv_id = ? AND user_id = ?",
      {target, conv_id, user_id});
  if (!updated.ok()) return updated.status();
  auto read = (*lease)->Execute(
      "SELECT read_seq FROM conversation_members WHERE conv_id = ? AND user_id = ?",
      {conv_id, user_id});
  if (!read.ok()) return read.status();
  if (read->rows.empty()) return absl::NotFoundError("not a member of this conversation");
  internal::MarkReadResult result;
  result.set_conv_id(conv_id);
  result.set_read_seq(read->rows[0].U64(0));
  return result;
}

}  // namespace im::storage
