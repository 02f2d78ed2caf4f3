#include "storage/group_rules.h"

#include "common/str_cat.h"

namespace im::storage {
namespace {

bool IsManager(GroupRole role) {
  return role == internal::GROUP_ROLE_OWNER || role == internal::GROUP_ROLE_ADMIN;
}

}  // namespace

absl::Status MayManageGroup(GroupRole actor) {
  if (IsManager(actor)) return absl::OkStatus();
  return absl::PermissionDeniedError("only the owner and admins can do that");
}

absl::Status MayActOnMember(GroupRole actor, GroupRole target, bool target_is_actor,
                            const char* action) {
  if (target_is_actor) {
    return absl::InvalidArgumentError(common::StrCat("you cannot ", action, " yourself"));
  }
  if (!IsManager(actor)) {
    return absl::PermissionDeniedError(
        common::StrCat("only the owner and admins can ", action, " members"));
  }
  if (target == internal::GROUP_ROLE_OWNER) {
    return absl::PermissionDeniedError(common::StrCat("nobody can ", action, " the owner"));
  }
  if (actor == internal::GROUP_ROLE_ADMIN && target == internal::GROUP_ROLE_ADMIN) {
    return absl::PermissionDeniedError(
        common::StrCat("admins cannot ", action, " other admins; ask the owner"));
  }
  return absl::OkStatus();
}

absl::Status MayChangeRole(GroupRole actor, GroupRole target, GroupRole new_role) {
  if (actor != internal::GROUP_ROLE_OWNER) {
    return absl::PermissionDeniedError("only the owner can change roles");
  }
  if (new_role != internal::GROUP_ROLE_ADMIN && new_role != internal::GROUP_ROLE_MEMBER) {
    return absl::InvalidArgumentError("a role is admin or member (use transfer for owner)");
  }
  if (target == internal::GROUP_ROLE_OWNER) {
    return absl::InvalidArgumentError("the owner's role changes only by transfer");
  }
  return absl::OkStatus();
}

absl::Status MayTransfer(GroupRole actor, GroupRole /*target*/, bool target_is_actor) {
  if (actor != internal::GROUP_ROLE_OWNER) {
    return absl::PermissionDeniedError("only the owner can transfer ownership");
  }
  if (target_is_actor) return absl::InvalidArgumentError("you are already the owner");
  return absl::OkStatus();
}

absl::Status MayDissolve(GroupRole actor) {
  if (actor == internal::GROUP_ROLE_OWNER) return absl::OkStatus();
  return absl::PermissionDeniedError("only the owner can dissolve the group");
}

absl::Status MayLeave(GroupRole actor) {
  if (actor != internal::GROUP_ROLE_OWNER) return absl::OkStatus();
  return absl::FailedPreconditionError(
      "the owner cannot leave; transfer ownership first (or dissolve the group)");
}

absl::Status MaySend(GroupRole sender, std::int64_t muted_until_ms, bool mute_all,
                     std::int64_t now_ms) {
  if (muted_until_ms > now_ms) {
    return absl::PermissionDeniedError("you are muted in this group");
  }
  if (mute_all && !IsManager(sender)) {
    return absl::PermissionDeniedError("only the owner and admins can send while mute-all is on");
  }
  return absl::OkStatus();
}

}  // namespace im::storage
