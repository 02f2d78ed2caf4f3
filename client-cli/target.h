#pragma once
// Where a message goes or which conversation a command means: a username
// ("bob") or a group ("g:12"). Shared by the one-shot commands and the REPL.

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "client.pb.h"

namespace im::cli {

struct Target {
  std::string peer;            // a user, or empty
  std::uint64_t group_id = 0;  // a group, or 0
};

// INVALID_ARGUMENT for "g:" without a valid number.
absl::StatusOr<Target> ParseTarget(const std::string& text);
// A group id given as "12" or "g:12"; INVALID_ARGUMENT otherwise.
absl::StatusOr<std::uint64_t> ParseGroupId(const std::string& text);
// "bob" or "g:12".
std::string TargetName(const Target& target);

// Fills a send's to_user or group_id.
void SetTarget(const Target& target, client::SendMessageRequest* request);
// Fills the peer or group_id of a request naming a conversation (history, read).
template <typename Request>
void SetTarget(const Target& target, Request* request) {
  if (target.group_id != 0) {
    request->set_group_id(target.group_id);
  } else {
    request->set_peer(target.peer);
  }
}

}  // namespace im::cli
