#include "storage/group_rows.h"

#include <set>

#include "common/str_cat.h"
#include "storage/conversation_append.h"

namespace im::storage {

absl::StatusOr<NamedUser> FindUserByName(MysqlConnection& conn, std::string_view username) {
  auto rows = conn.Execute("SELECT user_id, username FROM users WHERE username = ?", {username});
  if (!rows.ok()) return rows.status();
  if (rows->rows.empty()) return absl::NotFoundError(common::StrCat("no such user: ", username));
  return NamedUser{rows->rows[0].U64(0), rows->rows[0].Str(1)};
}

absl::StatusOr<std::string> UsernameOf(MysqlConnection& conn, std::uint64_t user_id) {
  auto rows = conn.Execute("SELECT username FROM users WHERE user_id = ?", {user_id});
  if (!rows.ok()) return rows.status();
  if (rows->rows.empty()) return absl::NotFoundError("no such user");
  return rows->rows[0].Str(0);
}

absl::StatusOr<std::vector<NamedUser>> FindUsersByName(MysqlConnection& conn,
                                                       const std::vector<std::string>& names) {
  std::vector<NamedUser> users;
  std::set<std::uint64_t> seen;
  for (const std::string& name : names) {
    auto user = FindUserByName(conn, name);
    if (!user.ok()) return user.status();
    if (seen.insert(user->user_id).second) users.push_back(std::move(*user));
  }
  return users;
}

absl::Status AddMemberRow(MysqlConnection& conn, std::uint64_t group_id, std::uint64_t user_id,
                          client::GroupRole role, std::uint64_t after_seq) {
  return conn
      .Execute(
          "INSERT INTO conversation_members"
          " (conv_id, user_id, read_seq, role, visible_after_seq, visible_until_seq,"
          " muted_until_ms) VALUES (?, ?, ?, ?, ?, NULL, 0)"
          " ON DUPLICATE KEY UPDATE read_seq = VALUES(read_seq), role = VALUES(role),"
          " visible_after_seq = VALUES(visible_after_seq), visible_until_seq = NULL,"
          " muted_until_ms = 0",
          {group_id, user_id, after_seq, static_cast<std::int64_t>(role), after_seq})
      .status();
}

absl::Status RemoveMemberRow(MysqlConnection& conn, std::uint64_t group_id, std::uint64_t user_id,
                             std::uint64_t last_seq) {
  return conn
      .Execute(
          "UPDATE conversation_members SET role = 0, visible_until_seq = ?, muted_until_ms = 0"
          " WHERE conv_id = ? AND user_id = ?",
          {last_seq, group_id, user_id})
      .status();
}

absl::StatusOr<client::ChatMessage> RecordSystemMessage(MysqlConnection& conn,
                                                        std::uint64_t group_id,
                                                        std::uint64_t locked_max_seq,
                                                        const NamedUser& actor,
                                                        std::string_view text) {
  auto stored = InsertNextMessage(conn, group_id, locked_max_seq,
                                  NewMessage{actor.user_id, nullptr, "system", text});
  if (!stored.ok()) return stored.status();
  client::ChatMessage message;
  message.set_msg_id(stored->msg_id());
  message.set_conv_id(group_id);
  message.set_group_id(group_id);
  message.set_seq(stored->seq());
  message.set_sender_id(actor.user_id);
  message.set_sender(actor.username);
  message.set_kind("system");
  message.set_text(std::string(text));
  message.set_sent_at_ms(stored->sent_at_ms());
  return message;
}

std::string ListNames(const std::vector<NamedUser>& users, std::size_t shown) {
  std::string out;
  for (std::size_t i = 0; i < users.size() && i < shown; ++i) {
    if (i > 0) out += ", ";
    out += users[i].username;
  }
  if (users.size() > shown) out += common::StrCat(" and ", users.size() - shown, " others");
  return out;
}

}  // namespace im::storage
