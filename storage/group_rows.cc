#include "storage/group_rows.h"

#include <algorithm>
#include <map>
#include <set>

#include "common/str_cat.h"
#include "storage/conversation_append.h"
#include "storage/group_event_rows.h"
#include "storage/sql_batch.h"
#include "storage/webhook_outbox_store.h"

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
  static const std::string sql = common::StrCat(
      "SELECT user_id, username FROM users WHERE username IN (", Repeat("?", kRowBatch), ")");
  std::map<std::string, std::uint64_t, std::less<>> found;
  absl::Status status =
      ForEachBatch(names.size(), kRowBatch, [&](std::size_t begin, std::size_t end) {
        std::vector<SqlParam> params;
        for (std::size_t i = 0; i < kRowBatch; ++i) {  // a short batch repeats its first name
          params.emplace_back(std::string_view(names[begin + (begin + i < end ? i : 0)]));
        }
        auto rows = conn.Execute(sql, params);
        if (!rows.ok()) return rows.status();
        for (const SqlRow& row : rows->rows) found[row.Str(1)] = row.U64(0);
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  std::vector<NamedUser> users;
  std::set<std::uint64_t> seen;
  for (const std::string& name : names) {
    auto it = found.find(name);
    if (it == found.end()) return absl::NotFoundError(common::StrCat("no such user: ", name));
    if (seen.insert(it->second).second) users.push_back(NamedUser{it->second, name});
  }
  return users;
}

absl::StatusOr<std::vector<NamedUser>> NotMembers(MysqlConnection& conn, std::uint64_t group_id,
                                                  std::vector<NamedUser> users) {
  static const std::string sql = common::StrCat(
      "SELECT user_id FROM conversation_members WHERE conv_id = ? AND role > 0"
      " AND visible_until_seq IS NULL AND user_id IN (",
      Repeat("?", kRowBatch), ")");
  std::set<std::uint64_t> members;
  absl::Status status =
      ForEachBatch(users.size(), kRowBatch, [&](std::size_t begin, std::size_t end) {
        std::vector<SqlParam> params = {group_id};
        for (std::size_t i = 0; i < kRowBatch; ++i) {
          params.emplace_back(users[begin + (begin + i < end ? i : 0)].user_id);
        }
        auto rows = conn.Execute(sql, params);
        if (!rows.ok()) return rows.status();
        for (const SqlRow& row : rows->rows) members.insert(row.U64(0));
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  std::erase_if(users, [&](const NamedUser& u) { return members.count(u.user_id) != 0; });
  return users;
}

absl::Status AddMemberRows(MysqlConnection& conn, std::uint64_t group_id,
                           const std::vector<std::uint64_t>& user_ids, internal::GroupRole role,
                           std::uint64_t after_seq) {
  static const std::string sql = common::StrCat(
      "INSERT INTO conversation_members"
      " (conv_id, user_id, read_seq, role, visible_after_seq, visible_until_seq, muted_until_ms)"
      " VALUES ",
      Repeat("(?, ?, ?, ?, ?, NULL, 0)", kRowBatch),
      " ON DUPLICATE KEY UPDATE read_seq = VALUES(read_seq), role = VALUES(role),"
      " visible_after_seq = VALUES(visible_after_seq), visible_until_seq = NULL,"
      " muted_until_ms = 0");
  return ForEachBatch(user_ids.size(), kRowBatch, [&](std::size_t begin, std::size_t end) {
    std::vector<SqlParam> params;
    for (std::size_t i = 0; i < kRowBatch; ++i) {  // a short batch repeats its first row
      const std::uint64_t user = user_ids[begin + (begin + i < end ? i : 0)];
      params.insert(params.end(),
                    {group_id, user, after_seq, static_cast<std::int64_t>(role), after_seq});
    }
    return conn.Execute(sql, params).status();
  });
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

absl::StatusOr<internal::StoredMessage> RecordGroupEvent(
    MysqlConnection& conn, std::uint64_t group_id, std::uint64_t locked_max_seq,
    const NamedUser& actor, internal::StoredGroupEvent event, bool for_webhook) {
  event.set_actor(actor.username);
  const std::string body = GroupEventBody(event);
  auto stored = InsertNextMessage(conn, group_id, locked_max_seq,
                                  NewMessage{actor.user_id, nullptr, kGroupEventKind, body});
  if (!stored.ok()) return stored.status();
  internal::StoredMessage message;
  message.set_msg_id(stored->msg_id());
  message.set_conv_id(group_id);
  message.set_group_id(group_id);
  message.set_seq(stored->seq());
  message.set_sender_id(actor.user_id);
  message.set_sender(actor.username);
  message.set_kind("system");
  *message.mutable_group_event() = std::move(event);
  message.set_sent_at_ms(stored->sent_at_ms());
  if (for_webhook) {
    internal::OutboxEvent change;
    change.set_type("group.changed");
    *change.mutable_message() = message;
    if (auto s = WebhookOutboxStore::RecordInTransaction(conn, {&change}); !s.ok()) return s;
  }
  return message;
}

internal::StoredGroupEvent EventAbout(internal::StoredGroupEvent::Type type,
                                      const std::vector<NamedUser>& users, std::size_t listed) {
  internal::StoredGroupEvent event;
  event.set_type(type);
  for (std::size_t i = 0; i < users.size() && i < listed; ++i) event.add_users(users[i].username);
  if (users.size() > listed)
    event.set_more_users(static_cast<std::uint32_t>(users.size() - listed));
  return event;
}

}  // namespace im::storage
