#pragma once
// Groups in MySQL: creation, membership, roles, mute, and the reads members
// make (info, member pages, my groups, who can see a message). Every change
// runs in one transaction that locks the group (group_membership.h), checks
// storage/group_rules.h against what it locked, and records the change as a
// "system" message in the group's sequence; a request that would change
// nothing records nothing; with `record_event`, the change is also recorded
// for the after_send webhook in its transaction. Invites name users by username: one unknown name,
// or a group pushed past `max_members`, refuses the whole request.
// Thread-safe; blocking: call from a worker thread.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "storage.pb.h"
#include "storage/user_store.h"

namespace im::storage {

class GroupStore {
 public:
  explicit GroupStore(MysqlPool* pool) : pool_(pool) {}

  absl::StatusOr<internal::GroupChangeResult> Create(std::uint64_t owner_id, std::string_view name,
                                                     const std::vector<std::string>& members,
                                                     std::uint32_t max_members,
                                                     bool record_event = false);
  absl::StatusOr<internal::GroupChangeResult> Change(std::uint64_t actor_id,
                                                     const internal::GroupChange& change,
                                                     std::uint32_t max_members,
                                                     bool record_event = false);

  absl::StatusOr<internal::GroupRecord> Info(std::uint64_t user_id, std::uint64_t group_id);
  absl::StatusOr<internal::GroupMemberPage> Members(std::uint64_t user_id, std::uint64_t group_id,
                                                    std::uint64_t after_user_id,
                                                    std::uint32_t limit);
  absl::StatusOr<internal::GroupRecords> List(std::uint64_t user_id);

  // Members who can see message `seq` (the recipients of its push).
  absl::StatusOr<std::vector<std::uint64_t>> Recipients(std::uint64_t group_id, std::uint64_t seq);

 private:
  MysqlPool* pool_;
};

}  // namespace im::storage
