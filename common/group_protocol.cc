#include "common/group_protocol.h"

#include "common/str_cat.h"

namespace im::common {

absl::Status ValidateGroupName(std::string_view name) {
  if (name.find_first_not_of(" \t") == std::string_view::npos) {
    return absl::InvalidArgumentError("the group needs a name");
  }
  if (name.size() > kMaxGroupNameBytes) {
    return absl::InvalidArgumentError(
        StrCat("a group name is at most ", kMaxGroupNameBytes, " bytes"));
  }
  return absl::OkStatus();
}

absl::Status ValidateGroupChange(const client::GroupChangeRequest& change) {
  using Change = client::GroupChangeRequest;
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

const char* GroupRoleName(client::GroupRole role) {
  switch (role) {
    case client::GROUP_ROLE_OWNER:
      return "owner";
    case client::GROUP_ROLE_ADMIN:
      return "admin";
    case client::GROUP_ROLE_MEMBER:
      return "member";
    default:
      return "none";
  }
}

}  // namespace im::common
