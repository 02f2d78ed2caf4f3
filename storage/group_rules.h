#pragma once
// Who may do what in a group: pure functions of the roles involved, checked by
// GroupStore and MessageStore inside the transaction that holds the group's
// lock, so a decision never rests on a role that changed meanwhile.
//
//   invite, rename, announce, mute-all    owner, admins
//   kick, mute                            owner: anyone but themselves;
//                                         admins: members only
//   set role, transfer, dissolve          owner only
//   leave                                 anyone but the owner (transfer first)
//   send                                  any member not muted; while mute-all
//                                         is on, owner and admins only
//
// Refusals are PERMISSION_DENIED (role) or FAILED_PRECONDITION (state), with a
// message meant for the person who asked.

#include <cstdint>

#include "absl/status/status.h"
#include "storage.pb.h"

namespace im::storage {

using internal::GroupRole;

// OK when `actor` may invite, rename, announce or switch mute-all.
absl::Status MayManageGroup(GroupRole actor);
// OK when `actor` may kick or mute `target` (a member).
absl::Status MayActOnMember(GroupRole actor, GroupRole target, bool target_is_actor,
                            const char* action);
// Role changes and transfers: owner only, never on the owner themselves.
absl::Status MayChangeRole(GroupRole actor, GroupRole target, GroupRole new_role);
absl::Status MayTransfer(GroupRole actor, GroupRole target, bool target_is_actor);
absl::Status MayDissolve(GroupRole actor);
absl::Status MayLeave(GroupRole actor);
absl::Status MaySend(GroupRole sender, std::int64_t muted_until_ms, bool mute_all,
                     std::int64_t now_ms);

}  // namespace im::storage
