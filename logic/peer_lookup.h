#pragma once
// Resolves the user a request names as its peer ("to bob", "befriend bob"):
// NOT_FOUND "no such user 'bob'" if there is none, and `self_error` if it is
// the session's own user. `done` runs on a gRPC thread, or at once when the
// name is known (UserDirectory).

#include <string>

#include "logic.pb.h"
#include "logic/handler_task.h"
#include "logic/user_directory.h"

namespace im::logic {

void LookUpPeer(UserDirectory& users, const internal::SessionContext& session,
                const std::string& peer_name, const std::string& self_error,
                Done<internal::User> done);

// The same, for a handler coroutine: `auto peer = co_await PeerNamed(...)`.
Suspend<internal::User> PeerNamed(UserDirectory& users, internal::SessionContext session,
                                  std::string peer_name, std::string self_error);

}  // namespace im::logic
