#pragma once
// Reading a group and one user's place in it, the check every group operation
// starts with. With `lock`, the group's conversation row is locked FOR UPDATE
// (serialising every change and append to the group) and the state returned
// holds until the caller's transaction ends.

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "storage.pb.h"
#include "storage/mysql_connection.h"

namespace im::storage {

struct GroupState {
  std::uint64_t group_id = 0;
  std::uint64_t max_seq = 0;
  std::string name;
  std::uint64_t owner_id = 0;
  bool mute_all = false;
  std::uint32_t member_count = 0;
};

struct Membership {
  internal::GroupRole role = internal::GROUP_ROLE_NONE;  // NONE: not a member now
  std::uint64_t visible_after_seq = 0;
  std::int64_t muted_until_ms = 0;
};

// NOT_FOUND "no such group N", or "group N has been dissolved".
absl::StatusOr<GroupState> ReadGroup(MysqlConnection& conn, std::uint64_t group_id, bool lock);

// The user's current membership (role NONE if they are not a member).
absl::StatusOr<Membership> ReadMembership(MysqlConnection& conn, std::uint64_t group_id,
                                          std::uint64_t user_id);

// ReadGroup then ReadMembership; PERMISSION_DENIED "you are not a member of
// group N" for a non-member.
struct MemberView {
  GroupState group;
  Membership member;
};
absl::StatusOr<MemberView> RequireMember(MysqlConnection& conn, std::uint64_t group_id,
                                         std::uint64_t user_id, bool lock);

}  // namespace im::storage
