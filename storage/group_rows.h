#pragma once
// Row-level steps the group operations share, all inside the caller's
// transaction (which holds the group's lock where they write).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "client.pb.h"
#include "storage/mysql_connection.h"

namespace im::storage {

struct NamedUser {
  std::uint64_t user_id = 0;
  std::string username;
};

// NOT_FOUND "no such user: NAME".
absl::StatusOr<NamedUser> FindUserByName(MysqlConnection& conn, std::string_view username);
absl::StatusOr<std::string> UsernameOf(MysqlConnection& conn, std::uint64_t user_id);

// Each name once, in order; NOT_FOUND for the first unknown one.
absl::StatusOr<std::vector<NamedUser>> FindUsersByName(MysqlConnection& conn,
                                                       const std::vector<std::string>& names);

// Makes the user a member with `role` who sees seqs after `after_seq`
// (re-joining resets a former member's row).
absl::Status AddMemberRow(MysqlConnection& conn, std::uint64_t group_id, std::uint64_t user_id,
                          client::GroupRole role, std::uint64_t after_seq);
// Ends the membership: the user still sees seqs up to `last_seq`.
absl::Status RemoveMemberRow(MysqlConnection& conn, std::uint64_t group_id, std::uint64_t user_id,
                             std::uint64_t last_seq);

// Stores `text` as a system message from `actor` at seq locked_max_seq + 1.
absl::StatusOr<client::ChatMessage> RecordSystemMessage(MysqlConnection& conn,
                                                        std::uint64_t group_id,
                                                        std::uint64_t locked_max_seq,
                                                        const NamedUser& actor,
                                                        std::string_view text);

// "bob, carol and 3 others" (at most `shown` names).
std::string ListNames(const std::vector<NamedUser>& users, std::size_t shown = 10);

}  // namespace im::storage
