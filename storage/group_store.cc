#include "storage/group_store.h"

#include <algorithm>

#include "common/clock.h"
#include "common/str_cat.h"
#include "storage/group_membership.h"
#include "storage/group_rows.h"

namespace im::storage {
namespace {

constexpr std::int64_t kGroupConversation = 2;
constexpr std::uint32_t kMaxMembersPage = 500;

// Columns read by ReadInfo, from chat_groups g, conversations c, users o
// (the owner) and the reader's conversation_members row cm.
constexpr std::string_view kInfoColumns =
    "g.conv_id, g.name, g.announcement, o.username, g.member_count, g.mute_all, cm.role,"
    " c.max_seq, g.created_at_ms";

internal::GroupRecord ReadInfo(const SqlRow& row) {
  internal::GroupRecord info;
  info.set_group_id(row.U64(0));
  info.set_name(row.Str(1));
  info.set_announcement(row.Str(2));
  info.set_owner(row.Str(3));
  info.set_member_count(static_cast<std::uint32_t>(row.U64(4)));
  info.set_mute_all(row.I64(5) != 0);
  info.set_my_role(static_cast<internal::GroupRole>(row.I64(6)));
  info.set_max_seq(row.U64(7));
  info.set_created_at_ms(row.I64(8));
  return info;
}

absl::Status CheckSize(std::size_t members, std::uint32_t max_members) {
  if (members <= max_members) return absl::OkStatus();
  return absl::FailedPreconditionError(
      common::StrCat("the group would have ", members, " members; the limit is ", max_members));
}

}  // namespace

absl::StatusOr<internal::GroupChangeResult> GroupStore::Create(
    std::uint64_t owner_id, std::string_view name, const std::vector<std::string>& members,
    std::uint32_t max_members, bool record_event) {
  auto lease = pool_->Acquire();
  if (!lease.ok()) return lease.status();
  MysqlConnection& conn = **lease;
  internal::GroupChangeResult result;
  auto create = [&]() -> absl::Status {
    auto owner_name = UsernameOf(conn, owner_id);
    if (!owner_name.ok()) return owner_name.status();
    const NamedUser owner{owner_id, *owner_name};
    auto invited = FindUsersByName(conn, members);
    if (!invited.ok()) return invited.status();
    std::erase_if(*invited, [&](const NamedUser& u) { return u.user_id == owner_id; });
    if (auto s = CheckSize(invited->size() + 1, max_members); !s.ok()) return s;

    const std::int64_t now = common::NowMs();
    auto conversation = conn.Execute(
        "INSERT INTO conversations (kind, peer_key, max_seq, created_at_ms)"
        " VALUES (?, NULL, 0, ?)",
        {kGroupConversation, now});
    if (!conversation.ok()) return conversation.status();
    const std::uint64_t group_id = conversation->insert_id;
    auto group = conn.Execute(
        "INSERT INTO chat_groups (conv_id, name, owner_id, member_count, created_at_ms)"
        " VALUES (?, ?, ?, ?, ?)",
        {group_id, name, owner_id, static_cast<std::uint64_t>(invited->size() + 1), now});
    if (!group.ok()) return group.status();
    if (auto s = AddMemberRows(conn, group_id, {owner_id}, internal::GROUP_ROLE_OWNER, 0);
        !s.ok()) {
      return s;
    }
    std::vector<std::uint64_t> ids;
    for (const NamedUser& user : *invited) ids.push_back(user.user_id);
    if (auto s = AddMemberRows(conn, group_id, ids, internal::GROUP_ROLE_MEMBER, 0); !s.ok()) {
      return s;
    }
    internal::StoredGroupEvent created = EventAbout(internal::StoredGroupEvent::CREATED, *invited);
    created.set_text(std::string(name));
    auto message = RecordGroupEvent(conn, group_id, 0, owner, std::move(created), record_event);
    if (!message.ok()) return message.status();
    result.set_group_id(group_id);
    result.set_changed(true);
    *result.mutable_system_message() = std::move(*message);
    result.set_member_count(static_cast<std::uint32_t>(invited->size() + 1));
    return absl::OkStatus();
  };
  if (auto s = RunTransaction(conn, create, /*attempts=*/5); !s.ok()) return s;
  return result;
}

absl::StatusOr<internal::GroupRecord> GroupStore::Info(std::uint64_t user_id,
                                                       std::uint64_t group_id) {
  auto lease = pool_->Acquire();
  if (!lease.ok()) return lease.status();
  if (auto member = RequireMember(**lease, group_id, user_id, /*lock=*/false); !member.ok()) {
    return member.status();
  }
  static const std::string sql =
      common::StrCat("SELECT ", kInfoColumns,
                     " FROM chat_groups g JOIN conversations c ON c.conv_id = g.conv_id"
                     " JOIN users o ON o.user_id = g.owner_id"
                     " JOIN conversation_members cm ON cm.conv_id = g.conv_id AND cm.user_id = ?"
                     " WHERE g.conv_id = ?");
  auto rows = (*lease)->Execute(sql, {user_id, group_id});
  if (!rows.ok()) return rows.status();
  if (rows->rows.empty()) return absl::NotFoundError(common::StrCat("no such group ", group_id));
  return ReadInfo(rows->rows[0]);
}

absl::StatusOr<internal::GroupMemberPage> GroupStore::Members(std::uint64_t user_id,
                                                              std::uint64_t group_id,
                                                              std::uint64_t after_user_id,
                                                              std::uint32_t limit) {
  auto lease = pool_->Acquire();
  if (!lease.ok()) return lease.status();
  if (auto member = RequireMember(**lease, group_id, user_id, /*lock=*/false); !member.ok()) {
    return member.status();
  }
  const std::uint32_t page =
      std::clamp<std::uint32_t>(limit == 0 ? 100 : limit, 1, kMaxMembersPage);
  auto rows = (*lease)->Execute(
      "SELECT cm.user_id, u.username, cm.role, cm.muted_until_ms, cm.visible_after_seq + 1"
      " FROM conversation_members cm JOIN users u ON u.user_id = cm.user_id"
      " WHERE cm.conv_id = ? AND cm.user_id > ? AND cm.visible_until_seq IS NULL AND cm.role > 0"
      " ORDER BY cm.user_id LIMIT ?",
      {group_id, after_user_id, std::uint64_t{page} + 1});
  if (!rows.ok()) return rows.status();
  internal::GroupMemberPage response;
  const std::int64_t now = common::NowMs();
  for (std::size_t i = 0; i < rows->rows.size() && i < page; ++i) {
    const SqlRow& row = rows->rows[i];
    auto* member = response.add_members();
    member->set_user_id(row.U64(0));
    member->set_username(row.Str(1));
    member->set_role(static_cast<internal::GroupRole>(row.I64(2)));
    member->set_muted_until_ms(row.I64(3) > now ? row.I64(3) : 0);
    member->set_joined_seq(row.U64(4));
  }
  if (rows->rows.size() > page) {
    response.set_next_after_user_id(response.members(response.members_size() - 1).user_id());
  }
  return response;
}

absl::StatusOr<internal::GroupRecords> GroupStore::List(std::uint64_t user_id) {
  auto lease = pool_->Acquire();
  if (!lease.ok()) return lease.status();
  static const std::string sql =
      common::StrCat("SELECT ", kInfoColumns,
                     " FROM conversation_members cm JOIN chat_groups g ON g.conv_id = cm.conv_id"
                     " JOIN conversations c ON c.conv_id = g.conv_id"
                     " JOIN users o ON o.user_id = g.owner_id"
                     " WHERE cm.user_id = ? AND cm.role > 0 AND cm.visible_until_seq IS NULL"
                     " AND g.dissolved = 0 ORDER BY g.conv_id");
  auto rows = (*lease)->Execute(sql, {user_id});
  if (!rows.ok()) return rows.status();
  internal::GroupRecords response;
  for (const SqlRow& row : rows->rows) *response.add_groups() = ReadInfo(row);
  return response;
}

absl::StatusOr<std::vector<std::uint64_t>> GroupStore::Recipients(std::uint64_t group_id,
                                                                  std::uint64_t seq) {
  auto lease = pool_->Acquire();
  if (!lease.ok()) return lease.status();
  auto rows = (*lease)->Execute(
      "SELECT user_id FROM conversation_members WHERE conv_id = ? AND visible_after_seq < ?"
      " AND (visible_until_seq IS NULL OR visible_until_seq >= ?)",
      {group_id, seq, seq});
  if (!rows.ok()) return rows.status();
  std::vector<std::uint64_t> ids;
  ids.reserve(rows->rows.size());
  for (const SqlRow& row : rows->rows) ids.push_back(row.U64(0));
  return ids;
}

}  // namespace im::storage
