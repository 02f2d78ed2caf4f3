#include "logic/message_policy.h"

#include "common/str_cat.h"

namespace im::logic {

client::MessagePolicy EffectivePolicy(int stored_policy, client::MessagePolicy server_default) {
  if (stored_policy == client::MESSAGE_POLICY_EVERYONE ||
      stored_policy == client::MESSAGE_POLICY_FRIENDS) {
    return static_cast<client::MessagePolicy>(stored_policy);
  }
  return server_default;
}

absl::Status MaySendDirect(const internal::Relation& relation, client::MessagePolicy server_default,
                           std::string_view peer) {
  if (relation.peer_blocked_user()) {
    return absl::PermissionDeniedError(common::StrCat(peer, " has blocked you"));
  }
  if (relation.user_blocked_peer()) {
    return absl::FailedPreconditionError(
        common::StrCat("you have blocked ", peer, "; unblock them to send"));
  }
  if (EffectivePolicy(relation.peer_message_policy(), server_default) ==
          client::MESSAGE_POLICY_FRIENDS &&
      !relation.friends()) {
    return absl::PermissionDeniedError(common::StrCat(peer, " accepts messages from friends only"));
  }
  return absl::OkStatus();
}

bool ParseMessagePolicy(std::string_view text, client::MessagePolicy* policy) {
  if (text == "everyone") {
    *policy = client::MESSAGE_POLICY_EVERYONE;
  } else if (text == "friends") {
    *policy = client::MESSAGE_POLICY_FRIENDS;
  } else {
    return false;
  }
  return true;
}

}  // namespace im::logic
