#pragma once
// Resolves the user a request names as its peer ("to bob", "befriend bob"):
// NOT_FOUND "no such user 'bob'" if there is none, and `self_error` if it is
// the session's own user. `done` runs on a gRPC thread.

#include <string>

#include "logic.pb.h"
#include "logic/storage_client.h"

namespace im::logic {

void LookUpPeer(StorageClient& storage, const internal::SessionContext& session,
                const std::string& peer_name, const std::string& self_error,
                Done<internal::User> done);

}  // namespace im::logic
