#pragma once
// Row-level steps the group operations share, all inside the caller's
// transaction (which holds the group's lock where they write).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "storage.pb.h"
#include "storage/mysql_connection.h"

namespace im::storage {

// Rows per batched statement (a fixed size keeps one prepared statement each).
inline constexpr std::size_t kRowBatch = 200;

struct NamedUser {
  std::uint64_t user_id = 0;
  std::string username;
};

// NOT_FOUND "no such user: NAME".
absl::StatusOr<NamedUser> FindUserByName(MysqlConnection& conn, std::string_view username);
absl::StatusOr<std::string> UsernameOf(MysqlConnection& conn, std::uint64_t user_id);

// Each user once, in the order named; NOT_FOUND for the first unknown name.
// Batched: one query per kRowBatch names.
absl::StatusOr<std::vector<NamedUser>> FindUsersByName(MysqlConnection& conn,
                                                       const std::vector<std::string>& names);

// Of `users`, those who are not current members of the group (batched).
absl::StatusOr<std::vector<NamedUser>> NotMembers(MysqlConnection& conn, std::uint64_t group_id,
                                                  std::vector<NamedUser> users);

// Makes each user a member with `role` who sees seqs after `after_seq`
// (re-joining resets a former member's row). Batched: one multi-row insert
// per kRowBatch users.
absl::Status AddMemberRows(MysqlConnection& conn, std::uint64_t group_id,
                           const std::vector<std::uint64_t>& user_ids, internal::GroupRole role,
                           std::uint64_t after_seq);
// Ends the membership: the user still sees seqs up to `last_seq`.
absl::Status RemoveMemberRow(MysqlConnection& conn, std::uint64_t group_id, std::uint64_t user_id,
                             std::uint64_t last_seq);

// Stores `event` (its actor set here) as a system message from `actor` at
// seq locked_max_seq + 1 (see group_event_rows.h); with `for_webhook`, also
// in the webhook outbox (type "group.changed", that message).
absl::StatusOr<internal::StoredMessage> RecordGroupEvent(
    MysqlConnection& conn, std::uint64_t group_id, std::uint64_t locked_max_seq,
    const NamedUser& actor, internal::StoredGroupEvent event, bool for_webhook);

// An event of `type` about `users`: the first `listed` named, the rest counted.
internal::StoredGroupEvent EventAbout(internal::StoredGroupEvent::Type type,
                                      const std::vector<NamedUser>& users, std::size_t listed = 10);

}  // namespace im::storage
