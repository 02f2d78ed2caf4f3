#include "storage/conversation_append.h"

#include "common/clock.h"

namespace im::storage {

absl::StatusOr<internal::AppendMessageResponse> InsertNextMessage(MysqlConnection& conn,
                                                                  std::uint64_t conv_id,
                                                                  std::uint64_t locked_max_seq,
                                                                  const NewMessage& message) {
  const std::uint64_t seq = locked_max_seq + 1;
  const std::int64_t now = common::NowMs();
  auto inserted = conn.Execute(
      "INSERT INTO messages (conv_id, seq, sender_id, client_msg_id, body, sent_at_ms, kind)"
      " VALUES (?, ?, ?, ?, ?, ?, ?)",
      {conv_id, seq, message.sender_id, message.client_msg_id, message.body, now, message.kind});
  if (!inserted.ok()) return inserted.status();
  auto bumped =
      conn.Execute("UPDATE conversations SET max_seq = ? WHERE conv_id = ?", {seq, conv_id});
  if (!bumped.ok()) return bumped.status();
  // What you sent yourself is not unread to you.
  auto read = conn.Execute(
      "UPDATE conversation_members SET read_seq = GREATEST(read_seq, ?)"
      " WHERE conv_id = ? AND user_id = ?",
      {seq, conv_id, message.sender_id});
  if (!read.ok()) return read.status();
  internal::AppendMessageResponse stored;
  stored.set_msg_id(inserted->insert_id);
  stored.set_conv_id(conv_id);
  stored.set_seq(seq);
  stored.set_sent_at_ms(now);
  stored.set_duplicate(false);
  return stored;
}

}  // namespace im::storage
