#pragma once
// The limits on what a group request may carry, and their checks, read alike
// by every tier. Logic checks each client request here before it calls
// storage; storage checks its own GroupChange here again (it trusts no caller
// with its tables). The client's GroupChangeRequest and storage's GroupChange
// have the same fields by the same names, so one template checks both. A new
// kind of group change adds one case to ValidateGroupChange here, and one to
// storage's Changer (storage/group_change.cc), which decides and applies it
// under the lock.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "absl/status/status.h"
#include "common/str_cat.h"

namespace im::common {

inline constexpr std::size_t kMaxGroupNameBytes = 64;
inline constexpr std::size_t kMaxGroupAnnouncementBytes = 1024;
inline constexpr std::uint32_t kMaxGroupMuteMinutes = 366 * 24 * 60;

// A name that is not blank and at most kMaxGroupNameBytes.
absl::Status ValidateGroupName(std::string_view name);

// What can be judged from the request alone (INVALID_ARGUMENT otherwise):
// a group, one change, and that change's fields within their limits.
// Permissions and the group's state are storage's, under the group's lock.
// `Change` is client::GroupChangeRequest or internal::GroupChange.
template <typename Change>
absl::Status ValidateGroupChange(const Change& change) {
  if (change.group_id() == 0) return absl::InvalidArgumentError("which group? (group_id)");
  switch (change.change_case()) {
    case Change::kInvite:
      if (change.invite().usernames_size() == 0) return absl::InvalidArgumentError("invite whom?");
      return absl::OkStatus();
    case Change::kRename:
      return ValidateGroupName(change.rename());
    case Change::kAnnounce:
      if (change.announce().size() > kMaxGroupAnnouncementBytes) {
        return absl::InvalidArgumentError(
            StrCat("an announcement is at most ", kMaxGroupAnnouncementBytes, " bytes"));
      }
      return absl::OkStatus();
    case Change::kMute:
      if (change.mute().minutes() > kMaxGroupMuteMinutes) {
        return absl::InvalidArgumentError("a mute lasts at most a year (or until unmuted)");
      }
      return absl::OkStatus();
    case Change::kKick:
    case Change::kSetRole:
    case Change::kTransfer:
    case Change::kMuteAll:
    case Change::kLeave:
    case Change::kDissolve:
      return absl::OkStatus();
    case Change::CHANGE_NOT_SET:
      break;
  }
  return absl::InvalidArgumentError("no group change given");
}

}  // namespace im::common
