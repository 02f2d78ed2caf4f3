#pragma once
// Who may send a 1:1 message to whom: the one rule every send is checked
// against, as a pure function of the facts storage returns (see
// internal::Relation). Blocks win over everything; a block keeps an existing
// friendship but stops messages both ways until it is lifted; then the
// recipient's policy applies (friends only, or everyone).

#include <string_view>

#include "absl/status/status.h"
#include "client.pb.h"
#include "storage.pb.h"

namespace im::logic {

// The recipient's policy, or `server_default` when they never chose one.
client::MessagePolicy EffectivePolicy(int stored_policy, client::MessagePolicy server_default);

// OK, or the refusal the sender sees:
//   PERMISSION_DENIED "<peer> has blocked you"
//   FAILED_PRECONDITION "you have blocked <peer>; unblock them to send"
//   PERMISSION_DENIED "<peer> accepts messages from friends only"
absl::Status MaySendDirect(const internal::Relation& relation, client::MessagePolicy server_default,
                           std::string_view peer);

// Parses "everyone" / "friends".
bool ParseMessagePolicy(std::string_view text, client::MessagePolicy* policy);

}  // namespace im::logic
