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

namespace im::cli {

// True if `group` is "friend", "block" or "privacy".
bool IsRelationGroup(const std::string& group);

// A parsed command: the request to send and how to print its answer.
struct RelationCommand {
  client::ClientFrame request;
  std::function<void(const client::ServerFrame& response, bool json, std::ostream& out)> print;
};

// INVALID_ARGUMENT "usage: ..." for a malformed command. Needs no server.
absl::StatusOr<RelationCommand> ParseRelationCommand(const std::string& group,
                                                     const std::vector<std::string>& args,
                                                     const std::string& note);

// Sends the request and prints the answer; returns the server's status.
absl::Status RunRelationCommand(ImClient& client, const RelationCommand& command, bool json,
                                std::ostream& out);

const char* RelationUsage();

// One line describing `event` from the point of view of user `me`.
std::string FormatFriendEvent(const client::FriendEvent& event, const std::string& me, bool json);

// Prints the incoming friend requests waiting for the user (after login).
void PrintPendingRequests(ImClient& client, bool json, std::ostream& out);

}  // namespace im::cli
