#pragma once
// The group parts of the client protocol that every tier reads alike: the
// limits on what a group request may carry, the checks of those limits, and
// the names of the roles. Logic checks each request here before it calls
// storage; storage checks again here (it trusts no caller with its tables);
// im-cli prints roles by these names. A new kind of group change adds one
// case to ValidateGroupChange here, and one to storage's Changer
// (storage/group_change.cc), which decides and applies it under the lock.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "absl/status/status.h"
#include "client.pb.h"

namespace im::common {

inline constexpr std::size_t kMaxGroupNameBytes = 64;
inline constexpr std::size_t kMaxGroupAnnouncementBytes = 1024;
inline constexpr std::uint32_t kMaxGroupMuteMinutes = 366 * 24 * 60;

// A name that is not blank and at most kMaxGroupNameBytes.
absl::Status ValidateGroupName(std::string_view name);

// What can be judged from the request alone (INVALID_ARGUMENT otherwise):
// a group, one change, and that change's fields within their limits.
// Permissions and the group's state are storage's, under the group's lock.
absl::Status ValidateGroupChange(const client::GroupChangeRequest& change);

// "owner", "admin", "member", or "none".
const char* GroupRoleName(client::GroupRole role);

}  // namespace im::common
