#pragma once
// The relationship-chain commands, shared by the one-shot CLI
// (`im-cli friend ...`) and the REPL (`/friend ...`):
//   friend request PEER [--note TEXT] | accept PEER | decline PEER |
//          cancel PEER | remove PEER | list | pending
//   block add PEER | remove PEER | list
//   privacy set messages everyone|friends
// Each runs one request on a logged-in client and prints the result to `out`
// (one JSON object per line with `json`).

#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "client-cli/im_client.h"
#include "client-cli/printed_request.h"

namespace im::cli {

// True if `group` is "friend", "block" or "privacy".
bool IsRelationGroup(const std::string& group);

// A parsed command: the request to send and how to print its answer.
using RelationCommand = PrintedRequest;

// INVALID_ARGUMENT "usage: ..." for a malformed command. Needs no server.
absl::StatusOr<RelationCommand> ParseRelationCommand(const std::string& group,
                                                     const std::vector<std::string>& args,
                                                     const std::string& note);

const char* RelationUsage();

// One line describing `event` from the point of view of user `me`.
std::string FormatFriendEvent(const client::FriendEvent& event, const std::string& me, bool json);

// Prints the incoming friend requests waiting for the user (after login).
void PrintPendingRequests(ImClient& client, bool json, std::ostream& out);

}  // namespace im::cli
