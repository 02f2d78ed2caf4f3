#include "storage/group_membership.h"

#include "common/str_cat.h"

namespace im::storage {

absl::StatusOr<GroupState> ReadGroup(MysqlConnection& conn, std::uint64_t group_id, bool lock) {
  auto rows = conn.Execute(
      lock ? "SELECT c.max_seq, g.name, g.owner_id, g.mute_all, g.member_count, g.dissolved"
             " FROM conversations c JOIN chat_groups g ON g.conv_id = c.conv_id"
             " WHERE c.conv_id = ? FOR UPDATE"
           : "SELECT c.max_seq, g.name, g.owner_id, g.mute_all, g.member_count, g.dissolved"
             " FROM conversations c JOIN chat_groups g ON g.conv_id = c.conv_id"
             " WHERE c.conv_id = ?",
      {group_id});
  if (!rows.ok()) return rows.status();
  if (rows->rows.empty()) return absl::NotFoundError(common::StrCat("no such group ", group_id));
  if (rows->rows[0].I64(5) != 0) {
    return absl::NotFoundError(common::StrCat("group ", group_id, " has been dissolved"));
  }
  const SqlRow& row = rows->rows[0];
  GroupState group;
  group.group_id = group_id;
  group.max_seq = row.U64(0);
  group.name = row.Str(1);
  group.owner_id = row.U64(2);
  group.mute_all = row.I64(3) != 0;
  group.member_count = static_cast<std::uint32_t>(row.U64(4));
  return group;
}

absl::StatusOr<Membership> ReadMembership(MysqlConnection& conn, std::uint64_t group_id,
                                          std::uint64_t user_id) {
  auto rows = conn.Execute(
      "SELECT role, visible_after_seq, muted_until_ms FROM conversation_members"
      " WHERE conv_id = ? AND user_id = ? AND visible_until_seq IS NULL AND role > 0",
      {group_id, user_id});
  if (!rows.ok()) return rows.status();
  Membership member;
  if (rows->rows.empty()) return member;
  member.role = static_cast<internal::GroupRole>(rows->rows[0].I64(0));
  member.visible_after_seq = rows->rows[0].U64(1);
  member.muted_until_ms = rows->rows[0].I64(2);
  return member;
}

absl::StatusOr<MemberView> RequireMember(MysqlConnection& conn, std::uint64_t group_id,
                                         std::uint64_t user_id, bool lock) {
  auto group = ReadGroup(conn, group_id, lock);
  if (!group.ok()) return group.status();
  auto member = ReadMembership(conn, group_id, user_id);
  if (!member.ok()) return member.status();
  if (member->role == internal::GROUP_ROLE_NONE) {
    return absl::PermissionDeniedError(common::StrCat("you are not a member of group ", group_id));
  }
  return MemberView{std::move(*group), *member};
}

}  // namespace im::storage
